"""verl's compute_score (package and by-path entry file) and TRL reward functions."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rlla_4k_gpt import reward
from rlla_4k_gpt.reward import trl_reward

ROOT = Path(__file__).resolve().parents[1]
GT = (
    "<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant to=functions.get_weather"
    '<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris"}<|call|>'
)
STRIPPED = 'analysisNeed the weather.assistantcommentary to=functions.get_weather json{"city": "Paris"}'
WRONG = STRIPPED.replace("get_weather", "get_time")


def load_like_verl(path: Path) -> Any:
    """What verl's get_custom_reward_fn does: exec the file by path under a fixed module name."""
    spec = importlib.util.spec_from_file_location("custom_module", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compute_score_returns_components() -> None:
    assert reward.compute_score("rlla_gpt", STRIPPED, GT) == {"score": 4.0, "format": 1.0, "correctness": 3.0, "length": 0.0}
    assert reward.compute_score("rlla_gpt", WRONG, GT, None)["correctness"] == -3.0


def test_step_from_keyword_or_extra_info() -> None:
    by_extra = reward.compute_score("rlla_gpt", GT, GT, {"step": 75}, schedule_reward=True)
    by_kwarg = reward.compute_score("rlla_gpt", GT, GT, {"step": 0}, schedule_reward=True, step=75)
    assert by_extra == by_kwarg
    assert (by_extra["format"], by_extra["correctness"]) == pytest.approx((1.5, 2.5))


def test_step_precedence_step_then_extra_info_step_then_global_steps() -> None:
    def fmt(extra_info: dict | None, **kw: Any) -> float:
        return reward.compute_score("rlla_gpt", GT, GT, extra_info, schedule_reward=True, **kw)["format"]

    at = {s: reward.toolrl_reward(GT, GT, step=s, variant="schedulereward").format for s in (1, 50, 75, 100)}
    assert fmt({"global_steps": 49}) == at[50]  # the rollout's weights version: trainer step - 1
    assert fmt({"global_steps": 49, "step": 75}) == at[75]
    assert fmt({"global_steps": 49, "step": 75}, step=100) == at[100]
    assert fmt({"global_steps": None, "step": None}) == fmt({}) == fmt(None) == at[1]
    with pytest.raises(ValueError, match="global_steps"):
        fmt({"global_steps": "49"})


def test_scheduled_variant_without_a_step_warns_once(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from rlla_4k_gpt.reward import toolrl_reward_core

    monkeypatch.setattr(toolrl_reward_core, "_warned_no_step", False)
    with caplog.at_level("WARNING", logger="rlla_4k_gpt.reward.toolrl_reward_core"):
        reward.compute_score("rlla_gpt", GT, GT, {}, variant="default")
        assert not caplog.records
        for _ in range(3):
            reward.compute_score("rlla_gpt", GT, GT, {}, schedule_reward=True)
    assert [r.getMessage()[:40] for r in caplog.records] == ["scheduled reward variant without a step "]


def test_verl_manager_keywords_are_ignored_and_others_raise() -> None:
    extra = dict.fromkeys(reward.VERL_MANAGER_KWARGS, "x")
    assert reward.compute_score("rlla_gpt", STRIPPED, GT, {}, **extra) == reward.compute_score("rlla_gpt", STRIPPED, GT)
    with pytest.raises(TypeError, match="with_lenght"):
        reward.compute_score("rlla_gpt", STRIPPED, GT, {}, with_lenght=True, **extra)


def test_compute_score_batch_matches_compute_score() -> None:
    infos = [{"global_steps": 0}, {"step": 100}]
    out = reward.compute_score_batch(["rlla_gpt"] * 2, [STRIPPED, WRONG], [GT, GT], infos,
                                     schedule_reward=True, reward_router_address="x")
    assert out == [reward.compute_score("rlla_gpt", c, GT, i, schedule_reward=True) for c, i in zip([STRIPPED, WRONG], infos)]
    assert reward.compute_score_batch(["s"], [STRIPPED], [GT]) == [reward.compute_score("s", STRIPPED, GT)]
    with pytest.raises(ValueError, match="1 extra_infos for 2 solutions"):
        reward.compute_score_batch(["s"] * 2, [STRIPPED, WRONG], [GT, GT], [{}])
    with pytest.raises(ValueError, match="2 solutions, 1 ground truths"):
        reward.compute_score_batch(["s"] * 2, [STRIPPED, WRONG], [GT])


def test_environment_and_keyword_variants(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRECTMAX1", "1")
    reward.reload_environment()
    assert reward.compute_score("rlla_gpt", GT, GT)["correctness"] == 1.0
    assert reward.compute_score("rlla_gpt", GT, GT, correct_max1=False)["correctness"] == 3.0
    assert reward.compute_score("rlla_gpt", GT, GT, variant="default")["correctness"] == 3.0


def test_verl_entry_file_by_path_in_the_package() -> None:
    module = load_like_verl(ROOT / "rlla_4k_gpt" / "reward" / "verl_reward.py")
    assert module._core.__name__ == "rlla_4k_gpt.reward.toolrl_reward_core"
    assert module.compute_score("rlla_gpt", STRIPPED, GT, {"step": 1}) == reward.compute_score("rlla_gpt", STRIPPED, GT)


def test_verl_entry_file_copied_without_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("verl_reward.py", "toolrl_reward_core.py"):
        shutil.copy(ROOT / "rlla_4k_gpt" / "reward" / name, tmp_path / name)
    for name in ("rlla_4k_gpt", "rlla_4k_gpt.reward"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    monkeypatch.delitem(sys.modules, "_rlla_4k_gpt_toolrl_reward_core", raising=False)
    module = load_like_verl(tmp_path / "verl_reward.py")
    assert Path(module._core.__file__) == tmp_path / "toolrl_reward_core.py"
    assert module.compute_score("rlla_gpt", STRIPPED, GT) == {"score": 4.0, "format": 1.0, "correctness": 3.0, "length": 0.0}


def test_trl_plain_and_conversational_completions() -> None:
    plain = reward.toolrl_reward_func(prompts=["p", "p"], completions=[STRIPPED, WRONG], ground_truth=[GT, GT])
    assert plain == [4.0, -2.0]
    chat = [[{"role": "assistant", "content": STRIPPED}], [{"role": "assistant", "content": WRONG}]]
    assert reward.toolrl_reward_func(prompts=["p", "p"], completions=chat, ground_truth=[GT, GT]) == [4.0, -2.0]


def test_trl_reads_the_built_reward_model_column(built_rows: list[dict]) -> None:
    rows = built_rows[:8]
    completions = [r["reward_model"]["ground_truth"] for r in rows]
    out = reward.toolrl_reward_func(prompts=[r["prompt"] for r in rows], completions=completions, reward_model=[r["reward_model"] for r in rows])
    assert out == [4.0 if r["answer"]["calls"] else 1.0 for r in rows]


def test_trl_components_sum_to_score() -> None:
    kwargs = {"prompts": ["p"] * 2, "completions": [STRIPPED, WRONG], "ground_truth": [GT, GT]}
    parts = [f(**kwargs) for f in (reward.format_reward_func, reward.correctness_reward_func, reward.length_reward_func)]
    assert [sum(x) for x in zip(*parts)] == reward.toolrl_reward_func(**kwargs)
    assert reward.format_reward_func.__name__ == "toolrl_format"


def test_trl_uses_completion_ids_and_trainer_state(offline_vocab: Path) -> None:
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding

    enc = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
    ids = enc.encode(GT, allowed_special="all")
    misleading_text = "garbage"  # the ids, decoded with special tokens, must win over the text
    out = reward.toolrl_reward_func(prompts=["p"], completions=[misleading_text], completion_ids=[ids], ground_truth=[GT])
    assert out == [4.0]
    state = SimpleNamespace(global_step=150)
    scheduled = reward.make_trl_reward_func("format", schedule_reward=True)
    assert scheduled(prompts=["p"], completions=[GT], ground_truth=[GT], trainer_state=state) == [1.0]
    assert scheduled(prompts=["p"], completions=[GT], ground_truth=[GT], trainer_state=SimpleNamespace(global_step=0)) == [2.0]


def test_trl_with_a_tokenizer_decoder(offline_vocab: Path) -> None:
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding

    enc = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
    tokenizer = SimpleNamespace(decode=lambda ids, skip_special_tokens=False: enc.decode(ids))
    func = reward.make_trl_reward_func(tokenizer=tokenizer, variant="default")
    assert func(prompts=["p"], completions=["x"], completion_ids=[enc.encode(GT, allowed_special="all")], ground_truth=[GT]) == [4.0]


def test_trl_missing_ground_truth_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="ground_truth"):
        reward.toolrl_reward_func(prompts=["p"], completions=[GT])


def test_trl_components_score_a_batch_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = reward.toolrl_reward

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(trl_reward, "toolrl_reward", counting)
    kwargs = {"prompts": ["p"] * 2, "completions": [STRIPPED, WRONG], "ground_truth": [GT, GT]}
    parts = [f(**kwargs) for f in (reward.format_reward_func, reward.correctness_reward_func, reward.length_reward_func)]
    assert parts == [[1.0, 1.0], [3.0, -3.0], [0.0, 0.0]]
    assert calls == [STRIPPED, WRONG]  # one pass for the three components
    assert reward.correctness_reward_func(**{**kwargs, "completions": [WRONG, STRIPPED]}) == [-3.0, 3.0]
    assert reward.format_reward_func(**kwargs, step=3) == [1.0, 1.0]  # another step: scored again
    assert len(calls) == 6


def test_verl_entry_file_at_the_0_2_path() -> None:
    module = load_like_verl(ROOT / "rlla_4k_gpt" / "verl_reward.py")
    assert module.compute_score("rlla_gpt", STRIPPED, GT) == reward.compute_score("rlla_gpt", STRIPPED, GT)
    assert module.compute_score_batch(["s"], [STRIPPED], [GT]) == reward.compute_score_batch(["s"], [STRIPPED], [GT])
