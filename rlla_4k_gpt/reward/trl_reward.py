"""TRL reward functions: ``(prompts, completions, **kwargs) -> list[float]`` over the reward core.

Pass them to ``GRPOTrainer(reward_funcs=[...])``; the dataset needs a ``ground_truth`` column (or
the ``reward_model`` column of the built dataset).

Example:
    >>> gt = ('<|channel|>analysis<|message|>Weather needed.<|end|><|start|>assistant to=functions.get_weather'
    ...       '<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris"}<|call|>')
    >>> toolrl_reward_func(prompts=["..."], completions=[[{"role": "assistant", "content": gt}]], ground_truth=[gt])
    [4.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .toolrl_reward_core import RewardResult, TokenDecoder, Variant, decode_token_ids, resolve_variant, toolrl_reward

COMPONENTS = ("score", "format", "correctness", "length")


def _ground_truths(kwargs: Mapping[str, Any], count: int) -> list[str]:
    """TRL passes dataset columns as lists: ``ground_truth`` or the built ``reward_model``."""
    if kwargs.get("ground_truth") is not None:
        truths = list(kwargs["ground_truth"])
    elif kwargs.get("reward_model") is not None:
        truths = [rm["ground_truth"] for rm in kwargs["reward_model"]]
    else:
        raise KeyError("the dataset needs a 'ground_truth' column (or the built dataset's 'reward_model')")
    if len(truths) != count:
        raise ValueError(f"{len(truths)} ground truths for {count} completions")
    return truths


def _trl_step(kwargs: Mapping[str, Any]) -> float | None:
    """``step=`` if given, else TRL's ``trainer_state.global_step`` (recent TRL passes it)."""
    if kwargs.get("step") is not None:
        return kwargs["step"]
    state = kwargs.get("trainer_state")
    return getattr(state, "global_step", None)


def _completion_inputs(
    completions: Sequence[Any], completion_ids: Sequence[Sequence[int]] | None, decoder: TokenDecoder | None
) -> list[Any]:
    """Token ids when they can be decoded with special tokens kept (exact), else the text."""
    if completion_ids is None or len(completion_ids) != len(completions):
        return list(completions)
    if decoder is None and decode_token_ids([200006]) is None:
        return list(completions)
    return [list(ids) for ids in completion_ids]


class _BatchMemo:
    """The last batch's inputs and results. TRL calls every reward function with the same
    batch objects, so the component functions (format, correctness, length) score it once."""

    sources: tuple[Sequence[Any] | None, ...] = ()
    settings: tuple[Any, ...] = ()
    results: list[RewardResult] = []


_LAST_BATCH = _BatchMemo()


def _same_items(a: Sequence[Any] | None, b: Sequence[Any] | None) -> bool:
    """The same elements, by identity (TRL passes each function the very same objects)."""
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _memo_hit(sources: tuple[Sequence[Any] | None, ...], settings: tuple[Any, ...]) -> bool:
    memo = _LAST_BATCH
    return memo.settings == settings and all(_same_items(a, b) for a, b in zip(memo.sources, sources))


def make_trl_reward_func(
    component: str = "score",
    *,
    variant: Variant | str | None = None,
    tokenizer: Any = None,
    **flags: bool | None,
) -> Callable[..., list[float]]:
    """A TRL reward function ``(prompts, completions, **kwargs) -> list[float]`` for one component.

    Args:
        component: ``"score"`` (the total), ``"format"``, ``"correctness"`` or ``"length"``.
            Passing the three components as separate reward functions lets TRL log them; their
            sum equals ``"score"``.
        variant: a :class:`Variant` or config name; ``None`` reads ToolRL's environment variables.
        tokenizer: used to decode ``completion_ids`` with special tokens kept; without it a local
            o200k vocabulary is used if present, else the decoded ``completions`` text.
        **flags: :class:`Variant` switches overriding ``variant``.

    The step for the scheduled variants is ``step=`` or ``trainer_state.global_step``. The last
    batch's scores are kept, so the component functions TRL calls one after the other on the same
    batch score it once.

    Example:
        >>> reward = make_trl_reward_func("format", variant="default")
        >>> reward.__name__
        'toolrl_format'
        >>> gt = '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>'
        >>> reward(prompts=["p"], completions=["analysisx assistantfinalHi"], ground_truth=[gt])
        [1.0]
    """
    if component not in COMPONENTS:
        raise ValueError(f"component must be one of {COMPONENTS}, not {component!r}")
    decoder: TokenDecoder | None = None
    if tokenizer is not None:

        def decoder(ids: Sequence[int]) -> str:
            return tokenizer.decode(list(ids), skip_special_tokens=False)

    def reward_func(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **kwargs: Any) -> list[float]:
        truths = _ground_truths(kwargs, len(completions))
        step = _trl_step(kwargs)
        chosen = resolve_variant(variant, **flags)
        sources = (completions, kwargs.get("completion_ids"), truths)
        settings = (step, chosen, id(tokenizer))
        if not _memo_hit(sources, settings):
            inputs = _completion_inputs(completions, sources[1], decoder)
            _LAST_BATCH.results = [
                toolrl_reward(completion, truth, step=step, variant=chosen, decoder=decoder)
                for completion, truth in zip(inputs, truths)
            ]
            _LAST_BATCH.sources, _LAST_BATCH.settings = tuple(list(x) if x is not None else None for x in sources), settings
        return [getattr(result, component) for result in _LAST_BATCH.results]

    reward_func.__name__ = "toolrl_reward" if component == "score" else f"toolrl_{component}"
    reward_func.__qualname__ = reward_func.__name__
    return reward_func


#: TRL reward function for the total ToolRL score (variant from ToolRL's environment variables).
toolrl_reward_func = make_trl_reward_func("score")
#: The format component alone (use the three components together to have TRL log each).
format_reward_func = make_trl_reward_func("format")
#: The correctness component alone.
correctness_reward_func = make_trl_reward_func("correctness")
#: The length component alone (0 unless WITHLENGTH).
length_reward_func = make_trl_reward_func("length")
