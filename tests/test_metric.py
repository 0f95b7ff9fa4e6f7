"""The evaluate module: loads from a checkout, shares the core through a symlink, scores like the core."""

from __future__ import annotations

import ast
import os
import sys
import time
from pathlib import Path

import pytest

import evaluate
from rlla_4k_gpt.reward.toolrl_reward_core import Variant, toolrl_reward

ROOT = Path(__file__).resolve().parents[1]
METRIC = ROOT / "metric" / "toolrl_gpt_oss_reward"
GT = (
    "<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant to=functions.get_weather"
    '<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris", "unit": "C"}<|call|>'
)
PARTIAL = GT.replace('"C"', '"F"')
STRIPPED = 'analysisNeed the weather.assistantcommentary to=functions.get_weather json{"city": "Paris", "unit": "C"}'


@pytest.fixture(scope="module")
def metric() -> evaluate.EvaluationModule:
    return evaluate.load(str(METRIC))


def test_helper_is_a_symlink_to_the_single_core() -> None:
    helper = METRIC / "toolrl_reward_core.py"
    assert helper.is_symlink()
    assert os.readlink(helper) == "../../rlla_4k_gpt/reward/toolrl_reward_core.py"
    assert helper.resolve() == (ROOT / "rlla_4k_gpt" / "reward" / "toolrl_reward_core.py").resolve()


def test_module_imports_only_stdlib_evaluate_datasets_and_its_helper() -> None:
    source = (METRIC / "toolrl_gpt_oss_reward.py").read_text()
    assert "\nfrom .toolrl_reward_core import " in source  # column 0, as evaluate requires
    allowed = set(sys.stdlib_module_names) | {"evaluate", "datasets"}
    for tree in (ast.parse(source), ast.parse((METRIC / "toolrl_reward_core.py").read_text())):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] in allowed for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module.split(".")[0] in allowed | {"__future__"}
    core = ast.parse((METRIC / "toolrl_reward_core.py").read_text())
    assert not [n for n in ast.walk(core) if isinstance(n, ast.ImportFrom) and n.level > 0]


def test_compute_means_and_lists(metric: evaluate.EvaluationModule) -> None:
    out = metric.compute(predictions=[GT, STRIPPED, PARTIAL, "no idea"], references=[GT] * 4)
    # partial: names 1 + keys 1 + one value 1 = 3 of 1 + (1 + 2) = 4 → 6 * 3/4 - 3 = 1.5
    assert out["per_sample_score"] == [4.0, 4.0, 2.5, -3.0]
    assert out["per_sample_format"] == [1.0, 1.0, 1.0, 0.0]
    assert out["per_sample_correctness"] == [3.0, 3.0, 1.5, -3.0]
    assert out["per_sample_length"] == [0.0] * 4
    assert out["score"] == pytest.approx((4 + 4 + 2.5 - 3) / 4)
    assert out["correctness"] == pytest.approx((3 + 3 + 1.5 - 3) / 4)


def test_config_name_selects_the_variant_and_steps() -> None:
    scheduled = evaluate.load(str(METRIC), "schedulereward+withlength")
    out = scheduled.compute(predictions=[GT, GT], references=[GT, GT], steps=[0, 150])
    assert out["per_sample_format"] == pytest.approx([2.0, 1.0])
    assert out["per_sample_correctness"] == pytest.approx([2.0, 3.0])
    assert out["per_sample_length"] == [0.01, 0.01]  # 3 words / 512
    coarse = evaluate.load(str(METRIC), "coarsereward")
    assert coarse.compute(predictions=[PARTIAL], references=[GT])["correctness"] == -3.0


def test_metric_ignores_environment(monkeypatch: pytest.MonkeyPatch, metric: evaluate.EvaluationModule) -> None:
    monkeypatch.setenv("COARSEREWARD", "1")
    assert metric.compute(predictions=[PARTIAL], references=[GT])["correctness"] == 1.5


def test_unknown_config_fails_clearly() -> None:
    with pytest.raises(ValueError, match="unknown reward variant"):
        evaluate.load(str(METRIC), "fancy")


def test_matches_the_core_on_built_rows(metric: evaluate.EvaluationModule, built_rows: list[dict]) -> None:
    truths = [r["reward_model"]["ground_truth"] for r in built_rows]
    preds = truths[1:] + truths[:1]  # mismatched pairs give a spread of scores
    out = metric.compute(predictions=preds, references=truths)
    assert out["per_sample_score"] == [toolrl_reward(p, t, variant=Variant()).score for p, t in zip(preds, truths)]
    assert len(set(out["per_sample_score"])) > 3


def test_compute_on_10k_predictions_is_fast(metric: evaluate.EvaluationModule) -> None:
    preds = [GT, STRIPPED, PARTIAL, "no idea"] * 2500
    started = time.perf_counter()
    metric.compute(predictions=preds, references=[GT] * len(preds))
    assert time.perf_counter() - started < 10  # target 2 s, measured by scripts/bench_reward.py


def test_docstring_example_runs_with_the_space_id_resolved() -> None:
    """The metric's own example names the Space id; run it with that id pointing at this folder."""
    import doctest

    from rlla_4k_gpt.hub.load import METRIC_REPO

    source = (METRIC / "toolrl_gpt_oss_reward.py").read_text()
    assert f'evaluate.load("{METRIC_REPO}")' in source
    example = source[source.index("Examples:"):].split('"""', 1)[0].replace(METRIC_REPO, str(METRIC))
    test = doctest.DocTestParser().get_doctest(example, {"evaluate": evaluate}, "metric example", None, 0)
    assert len(test.examples) >= 4
    result = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE).run(test)
    assert result.failed == 0
