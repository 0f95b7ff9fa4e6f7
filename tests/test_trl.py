"""TRL 1.16's own GRPOTrainer with the recipe (examples/trl/grpo_gpt_oss_20b.py), on CPU.

A tiny random ``GptOssForCausalLM`` (one layer, hidden size 8, the real 201,088-row vocabulary)
and the offline tokenizer (``rlla-4k-gpt tokenizer --out DIR``). To feed a ground truth "as
generation", a logits processor added to ``model.generate`` leaves only the ground truth's next
token possible; everything else (TRL's generation config and stop list, its truncation after the
first stop, its decoding, the reward calls and their logging) is TRL's own code. Runs in
``.venv-trl`` (``make test-trl``).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.integration import require

trl = require("trl", "trl")
torch = require("torch", "trl")

from rlla_4k_gpt.cli import main as cli_main  # noqa: E402
from rlla_4k_gpt.reward import make_trl_reward_func  # noqa: E402
from rlla_4k_gpt.reward.toolrl_reward_core import parse_ground_truth  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RETURN, CALL, ENDOFTEXT = 200002, 200012, 199999


def load_recipe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trl_recipe", ROOT / "examples" / "trl" / "grpo_gpt_oss_20b.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


recipe = load_recipe()


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("tokenizer")
    assert cli_main(["tokenizer", "--out", str(folder)]) == 0
    return AutoTokenizer.from_pretrained(str(folder))


def tiny_model() -> Any:
    from transformers import GptOssConfig, GptOssForCausalLM

    config = GptOssConfig(
        vocab_size=201_088, hidden_size=8, intermediate_size=8, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=1, head_dim=4, num_local_experts=2, num_experts_per_tok=1,
        layer_types=["full_attention"], sliding_window=16,
    )  # fmt: skip
    torch.manual_seed(0)
    return GptOssForCausalLM(config)


def maximum(ground_truth: str) -> tuple[float, float, float]:
    """(format, correctness, length) of a perfect completion, default variant."""
    return (1.0, 3.0 if parse_ground_truth(ground_truth).calls else 0.0, 0.0)


class Recorder:
    """Wraps a reward function: keeps what TRL passed and what the function returned."""

    def __init__(self, func: Any) -> None:
        self.func, self.calls, self.steps = func, [], []
        self.__name__ = func.__name__

    def __call__(self, **kwargs: Any) -> list[float]:
        out = self.func(**kwargs)
        self.calls.append((kwargs, out))
        self.steps.append(kwargs["trainer_state"].global_step)  # the live state moves on
        return out


def force_generation(model: Any, targets: dict[tuple[int, ...], list[int]], seen_prompts: list[list[int]]) -> None:
    """Make ``model.generate`` emit, for each prompt, its target ids (then ``<|endoftext|>``)."""
    from transformers import LogitsProcessor, LogitsProcessorList

    class Force(LogitsProcessor):
        def __init__(self, rows: list[list[int]], prompt_length: int) -> None:
            self.rows, self.prompt_length = rows, prompt_length

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            position = input_ids.shape[1] - self.prompt_length
            forced = torch.full_like(scores, float("-inf"))
            for b, row in enumerate(self.rows):
                forced[b, row[position] if position < len(row) else ENDOFTEXT] = 0.0
            return forced

    generate = model.generate

    def forced_generate(*args: Any, input_ids: Any, attention_mask: Any, **kwargs: Any) -> Any:
        prompts = [row[mask.bool()].tolist() for row, mask in zip(input_ids, attention_mask)]
        seen_prompts.extend(prompts)
        processor = Force([targets[tuple(p)] for p in prompts], input_ids.shape[1])
        kwargs["logits_processor"] = LogitsProcessorList([processor])
        return generate(*args, input_ids=input_ids, attention_mask=attention_mask, **kwargs)

    model.generate = forced_generate


def shortest(rows: list[dict[str, Any]], keep: Any) -> dict[str, Any]:
    return min((r for r in rows if keep(r)), key=lambda r: len(r["reward_model"]["ground_truth"]))


@pytest.fixture(scope="module")
def rl_rows(build_dirs: dict[str, Path]) -> list[dict[str, Any]]:
    from tests.conftest import read_build

    return read_build(build_dirs["rl"])


def run_one_step(
    tmp_path: Path, tokenizer: Any, build_dir: Path, rows: list[dict[str, Any]], stop_ids: list[int] | None
) -> tuple[Any, list[Recorder], list[list[int]], float]:
    """One GRPO step of the recipe on ``rows`` (their ground truths forced as generation).

    ``stop_ids=None``: the recipe's stop tokens; otherwise the model's stop list is ``stop_ids``.
    """
    data = recipe.load_train_dataset(build_dir / "data")
    wanted = {r["prompt_text"] for r in rows}
    dataset = data.filter(lambda row: row["prompt"] in wanted)
    assert len(dataset) == len(rows)
    model = tiny_model()
    targets = {tuple(tokenizer(r["prompt_text"])["input_ids"]): tokenizer(r["reward_model"]["ground_truth"])["input_ids"] for r in rows}
    seen_prompts: list[list[int]] = []
    force_generation(model, targets, seen_prompts)
    longest = max(len(t) for t in targets.values())
    args = recipe.grpo_config(
        str(tmp_path / "out"), max_steps=1, num_generations=2, per_device_train_batch_size=2 * len(rows),
        max_completion_length=longest + 1, bf16=False, gradient_checkpointing=False, use_cpu=True,
        report_to="none", save_strategy="no", generation_kwargs={"do_sample": False},  # the forcing decides anyway
    )  # fmt: skip
    if stop_ids is None:
        trainer = recipe.build_trainer(model, tokenizer, dataset, args, variant="default")
    else:  # TRL reads the model's stop list when the trainer is created
        model.generation_config.eos_token_id = stop_ids
        funcs = recipe.reward_functions(tokenizer, variant="default")
        trainer = trl.GRPOTrainer(model=model, reward_funcs=funcs, args=args, train_dataset=dataset, processing_class=tokenizer)
    recorders = [Recorder(f) for f in trainer.reward_funcs]
    trainer.reward_funcs = recorders
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    print(f"TRL GRPO step: {seconds:.1f} s for {len(seen_prompts)} completions of up to {longest + 1} tokens")
    return trainer, recorders, seen_prompts, seconds


def test_recipe_step_keeps_every_call_and_scores_the_maximum(
    tmp_path: Path, tokenizer: Any, build_dirs: dict[str, Path], rl_rows: list[dict[str, Any]], harmony: Any
) -> None:
    multi = shortest(rl_rows, lambda r: len(r["answer"]["calls"]) > 1)
    final = shortest(rl_rows, lambda r: r["answer"]["final"] is not None)
    rows = [multi, final]
    trainer, recorders, seen_prompts, _ = run_one_step(tmp_path, tokenizer, build_dirs["rl"], rows, None)

    # TRL's stop list, read from the model when the trainer was created: the recipe's, no <|call|>.
    assert trainer.eos_token_ids == [RETURN, ENDOFTEXT]
    # The prompt TRL tokenised is the harmony prompt with the tools, token for token.
    expected_prompts = {tuple(harmony.encode(r["prompt_text"], allowed_special="all")) for r in rows}
    assert {tuple(p) for p in seen_prompts} == expected_prompts

    by_gt = {r["reward_model"]["ground_truth"]: r for r in rows}
    assert [r.__name__ for r in recorders] == ["toolrl_format", "toolrl_correctness", "toolrl_length"]
    for index, recorder in enumerate(recorders):
        assert len(recorder.calls) == 1
        kwargs, out = recorder.calls[0]
        assert {"prompts", "completions", "completion_ids", "reward_model", "trainer_state"} <= kwargs.keys()
        assert recorder.steps == [0]
        truths = [rm["ground_truth"] for rm in kwargs["reward_model"]]
        assert sorted(set(truths)) == sorted(by_gt) and len(truths) == 4
        assert out == [maximum(gt)[index] for gt in truths]
        for gt, ids, text in zip(truths, kwargs["completion_ids"], kwargs["completions"]):
            gt_ids = tokenizer(gt)["input_ids"]
            # TRL cut after its first stop: the whole ground truth, every <|call|>, then the
            # <|endoftext|> that ended a calls-only turn; a final ends at its own <|return|>.
            assert ids == (gt_ids if gt_ids[-1] == RETURN else gt_ids + [ENDOFTEXT])
            assert ids.count(CALL) == len(by_gt[gt]["answer"]["calls"])
            assert isinstance(text, str) and "<|" not in text  # decoded with skip_special_tokens=True
    # The same scores from the text alone and from the ids alone.
    kwargs, _ = recorders[0].calls[0]
    for component, index in (("format", 0), ("correctness", 1), ("length", 2)):
        func = make_trl_reward_func(component, variant="default", tokenizer=tokenizer)
        truths = [rm["ground_truth"] for rm in kwargs["reward_model"]]
        expected = [maximum(gt)[index] for gt in truths]
        assert func(prompts=kwargs["prompts"], completions=kwargs["completions"], reward_model=kwargs["reward_model"]) == expected
        garbage = ["x"] * len(truths)
        assert func(prompts=kwargs["prompts"], completions=garbage, completion_ids=kwargs["completion_ids"], reward_model=kwargs["reward_model"]) == expected
    # TRL logged each component.
    logged = trainer.state.log_history[0]
    assert logged["rewards/toolrl_format/mean"] == 1.0
    assert logged["rewards/toolrl_correctness/mean"] == pytest.approx(1.5)  # 3 (calls) and 0 (final only)
    assert logged["rewards/toolrl_length/mean"] == 0.0
    assert logged["reward"] == pytest.approx(2.5)


def test_a_stop_list_with_call_truncates_after_the_first_call(
    tmp_path: Path, tokenizer: Any, build_dirs: dict[str, Path], rl_rows: list[dict[str, Any]]
) -> None:
    multi = shortest(rl_rows, lambda r: len(r["answer"]["calls"]) > 1)
    trainer, recorders, _, _ = run_one_step(tmp_path, tokenizer, build_dirs["rl"], [multi], [RETURN, ENDOFTEXT, CALL])
    assert trainer.eos_token_ids == [RETURN, ENDOFTEXT, CALL]
    kwargs, correctness = recorders[1].calls[0]
    gt_ids = tokenizer(multi["reward_model"]["ground_truth"])["input_ids"]
    first_call = gt_ids.index(CALL) + 1
    assert all(ids == gt_ids[:first_call] for ids in kwargs["completion_ids"])
    assert all(score < 3.0 for score in correctness)


def test_stop_token_ids_in_generation_kwargs_do_not_change_trl_stop_list(tmp_path: Path, tokenizer: Any, build_dirs: dict[str, Path]) -> None:
    model = tiny_model()
    model.generation_config.eos_token_id = [RETURN, ENDOFTEXT, CALL]
    args = recipe.grpo_config(
        str(tmp_path / "out"), max_steps=1, num_generations=2, per_device_train_batch_size=2, bf16=False,
        gradient_checkpointing=False, use_cpu=True, report_to="none", generation_kwargs={"stop_token_ids": [RETURN]},
    )  # fmt: skip
    dataset = recipe.load_train_dataset(build_dirs["rl"] / "data").select(range(2))
    trainer = trl.GRPOTrainer(model=model, reward_funcs=recipe.reward_functions(tokenizer), args=args, train_dataset=dataset, processing_class=tokenizer)
    assert trainer.eos_token_ids == [RETURN, ENDOFTEXT, CALL]  # <|call|> still ends every completion
    assert trainer.generation_config.eos_token_id == [RETURN, ENDOFTEXT, CALL]


def test_every_fixture_row_scores_the_maximum_as_trl_decodes_it(tokenizer: Any, built_rows: list[dict[str, Any]]) -> None:
    """Every ground truth as TRL hands it over: ids up to the recipe's first stop (plus the
    <|endoftext|> ending a calls-only turn) and their skip_special_tokens decode."""
    funcs = recipe.reward_functions(tokenizer, variant="default")
    truths = [r["reward_model"]["ground_truth"] for r in built_rows]
    completion_ids = []
    for gt in truths:
        ids = tokenizer(gt)["input_ids"]
        completion_ids.append(ids if ids[-1] == RETURN else ids + [ENDOFTEXT])
    completions = tokenizer.batch_decode(completion_ids, skip_special_tokens=True)
    reward_model = [r["reward_model"] for r in built_rows]
    expected = [maximum(gt) for gt in truths]
    for index, func in enumerate(funcs):
        want = [e[index] for e in expected]
        common = {"prompts": [r["prompt_text"] for r in built_rows], "reward_model": reward_model}
        assert func(completions=completions, completion_ids=completion_ids, **common) == want
        assert func(completions=completions, **common) == want
    assert len(built_rows) >= 370


def test_docs_and_card_show_the_recipe_wiring() -> None:
    stop_line = f"model.generation_config.eos_token_id = {list(recipe.STOP_TOKEN_IDS)}"
    rename = 'remove_columns("prompt").rename_column("prompt_text", "prompt")'
    rewards = 'make_trl_reward_func(c, tokenizer=tokenizer) for c in ("format", "correctness", "length")'
    for doc in ("docs/reward.md", "dataset_card.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert stop_line in text and rename in text and rewards in text, doc
    source = (ROOT / "examples" / "trl" / "grpo_gpt_oss_20b.py").read_text(encoding="utf-8")
    assert rename in source and recipe.COMPONENTS == ("format", "correctness", "length")
    assert "examples/trl/grpo_gpt_oss_20b.py" in (ROOT / "README.md").read_text(encoding="utf-8")
