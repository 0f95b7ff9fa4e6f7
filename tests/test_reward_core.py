"""ToolRL semantics of the reward core: the seven scenarios, hand-computed parity cases, variants.

Expected numbers are worked out by hand from the issue's spec (ToolRL's formulas), never by
calling the code under test.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from rlla_4k_gpt.reward import toolrl_reward_core as core
from rlla_4k_gpt.reward.toolrl_reward_core import GroundTruthError, Variant, bounds, toolrl_reward

Call = tuple[str, dict[str, Any]]


def analysis(text: str = "I should call the tool.") -> str:
    return f"<|channel|>analysis<|message|>{text}<|end|>"


def call(name: str, args: Any, raw: str | None = None) -> str:
    body = json.dumps(args) if raw is None else raw
    return f"<|start|>assistant to=functions.{name}<|channel|>commentary <|constrain|>json<|message|>{body}<|call|>"


def final(text: str = "Done.") -> str:
    return f"<|start|>assistant<|channel|>final<|message|>{text}<|return|>"


def turn(calls: list[Call] = (), reply: str | None = None, think: str | None = "I should call the tool.") -> str:
    parts = [analysis(think)] if think is not None else []
    parts += [call(n, a) for n, a in calls]
    if reply is not None:
        parts.append(final(reply))
    return "".join(parts)


def score(completion: str, gt: str, **kw: Any) -> core.RewardResult:
    kw.setdefault("variant", Variant())
    return toolrl_reward(completion, gt, **kw)


WEATHER = [("get_weather", {"location": "Paris", "unit": "celsius"})]
GT_WEATHER = turn(WEATHER)


# --- the seven scenarios of the earlier datatrove reward -------------------------------------


def test_perfect_call() -> None:
    r = score(GT_WEATHER, GT_WEATHER)
    assert (r.format, r.correctness, r.score) == (1.0, 3.0, 4.0)


def test_partial_parameters() -> None:
    pred = turn([("get_weather", {"location": "Paris", "unit": "fahrenheit"})])
    r = score(pred, GT_WEATHER)
    assert r.format == 1.0
    assert -3.0 < r.correctness < 3.0
    # names 1 + keys 1 + one matching value 1 = 3 of S_max 1 + (1 + 2) = 4
    assert r.correctness == pytest.approx(6 * 3 / 4 - 3)


def test_wrong_tool_name() -> None:
    r = score(turn([("get_forecast", WEATHER[0][1])]), GT_WEATHER)
    assert (r.format, r.correctness) == (1.0, -3.0)


def test_missing_analysis() -> None:
    r = score(turn(WEATHER, think=None), GT_WEATHER)
    assert (r.format, r.correctness) == (0.0, 3.0)


def test_multiple_calls() -> None:
    calls = [("get_weather", {"location": "Paris"}), ("get_time", {"tz": "CET"}), ("get_weather", {"location": "Rome"})]
    r = score(turn(calls), turn(calls))
    assert (r.format, r.correctness) == (1.0, 3.0)


def test_final_only_ground_truth() -> None:
    gt = turn(reply="Which city?")
    r = score(turn(reply="Which city do you mean?"), gt)
    assert (r.format, r.correctness, r.score) == (1.0, 0.0, 1.0)


def test_garbage() -> None:
    r = score("lorem ipsum <|end|> {not json", GT_WEATHER)
    assert (r.format, r.correctness) == (0.0, -3.0)


# --- correctness: hand-computed ToolRL numbers ------------------------------------------------


def test_extra_call_lowers_name_overlap() -> None:
    gt = turn([("f", {"a": 1}), ("g", {"b": 2})])
    pred = turn([("f", {"a": 1}), ("g", {"b": 2}), ("h", {})])
    # names: 2 common of union 3; f: 1 + 1; g: 1 + 1; S_max = 1 + 2 + 2
    assert score(pred, gt).correctness == pytest.approx(6 * (2 / 3 + 4) / 5 - 3)


def test_swapped_order_reaches_max_without_exact_match() -> None:
    gt = turn([("f", {"a": 1}), ("g", {"b": 2})])
    pred = turn([("g", {"b": 2}), ("f", {"a": 1})])
    assert score(pred, gt).correctness == 3.0  # 1 + 2 + 2 of 5


def test_greedy_takes_best_same_name_prediction() -> None:
    gt = turn([("f", {"a": 1}), ("f", {"a": 2})])
    pred = turn([("f", {"a": 2}), ("f", {"a": 1})])
    assert score(pred, gt).correctness == 3.0


def test_greedy_versus_optimal_assignment() -> None:
    gt = turn([("f", {"a": 1}), ("f", {"a": 1, "b": 2})])
    pred = turn([("f", {"a": 1, "b": 2}), ("f", {"c": 9})])
    # greedy: GT1 takes P1 (0.5 + 1), GT2 gets only P2 (0 → claims nothing); S_max = 6
    assert score(pred, gt).correctness == pytest.approx(6 * (1 + 1.5) / 6 - 3)
    # optimal: GT2-P1 (1 + 2), GT1-P2 (0)
    assert score(pred, gt, optimal_assignment=True).correctness == pytest.approx(6 * (1 + 3) / 6 - 3)


def test_zero_total_claims_nothing() -> None:
    gt = turn([("f", {})])
    pred = turn([("f", {"x": 1})])
    assert score(pred, gt).correctness == pytest.approx(6 * 1 / 2 - 3)  # only the name overlap


def test_empty_arguments_match() -> None:
    gt = turn([("f", {})])
    pred = turn([("f", {}), ("g", {})])
    assert score(pred, gt).correctness == pytest.approx(6 * (0.5 + 1.0) / 2 - 3)


def test_python_equality_like_toolrl() -> None:
    gt = turn([("f", {"a": 1, "b": True})])
    assert score(turn([("f", {"a": 1.0, "b": 1})]), gt).correctness == 3.0  # 1 == 1.0, True == 1
    assert score(turn([("f", {"a": "1", "b": True})]), gt).correctness == pytest.approx(6 * 3 / 4 - 3)


def test_invalid_arguments_give_min() -> None:
    gt = turn([("f", {"a": 1})])
    for raw in ["[1, 2]", "{bad json}", '"text"', "", "{}{}"]:
        pred = analysis() + call("f", None, raw=raw)
        assert score(pred, gt).correctness == -3.0, raw
    both = analysis() + call("f", {"a": 1}) + call("g", None, raw="nope")
    assert score(both, gt).correctness == -3.0


def test_nan_and_huge_numbers_are_values() -> None:
    gt = turn([("f", {"a": 1})])
    for raw in ['{"a": NaN}', '{"a": Infinity}', '{"a": 1e999}']:
        assert score(analysis() + call("f", None, raw=raw), gt).correctness == pytest.approx(6 * 2 / 3 - 3)
    assert score(analysis() + call("f", None, raw='{"a": ' + "9" * 5000 + "}"), gt).correctness == -3.0


def test_no_call_when_ground_truth_expects_one() -> None:
    assert score(turn(reply="Sure."), GT_WEATHER).correctness == -3.0


def test_calls_against_final_only_truth() -> None:
    r = score(GT_WEATHER, turn(reply="Which city?"))
    assert (r.format, r.correctness) == (0.0, 0.0)


# --- format ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "gt", "expected"),
    [
        (turn(WEATHER, "It is sunny."), turn(WEATHER, "It is sunny."), 1.0),
        (turn(WEATHER, "It is sunny."), GT_WEATHER, 0.0),  # a final the truth does not have
        (turn(WEATHER), turn(WEATHER, "x"), 0.0),  # missing final
        (turn(reply="a") + final("b"), turn(reply="a"), 0.0),  # second final
        (analysis(), analysis(), 1.0),  # neither calls nor final
        (analysis() + analysis(), analysis(), 0.0),
        (turn(reply="a"), analysis(), 0.0),
        (final("a") + analysis(), turn(reply="a"), 0.0),  # analysis not first
        ("Sure! " + GT_WEATHER, GT_WEATHER, 0.0),  # text outside messages
        (GT_WEATHER + " trailing", GT_WEATHER, 0.0),
        (GT_WEATHER.replace("<|start|>", "\n  <|start|>") + "\n", GT_WEATHER, 1.0),  # whitespace ignored
        (analysis() + "<|start|>assistant<|channel|>commentary<|message|>Let me check.<|end|>" + call(*WEATHER[0]), GT_WEATHER, 0.0),
        (GT_WEATHER.replace("<|end|>", "", 1), GT_WEATHER, 0.0),  # missing stop before the next message
        (GT_WEATHER.replace("<|end|>", "<|return|>", 1), GT_WEATHER, 0.0),  # wrong stop for analysis
        (GT_WEATHER[: -len("<|call|>")], GT_WEATHER, 1.0),  # missing stop at the very end
    ],
)
def test_format(completion: str, gt: str, expected: float) -> None:
    assert score(completion, gt).format == expected


# --- variants at several steps --------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "fmin", "fmax", "cmin", "cmax"),
    [
        (0, -2.0, 2.0, -2.0, 2.0),
        (30, -1.6, 1.8, -2.2, 2.2),
        (75, -1.0, 1.5, -2.5, 2.5),
        (150, -1.0, 1.0, -3.0, 3.0),
        (400, -1.0, 1.0, -3.0, 3.0),
    ],
)
def test_schedule_reward_bounds(step: int, fmin: float, fmax: float, cmin: float, cmax: float) -> None:
    b = bounds(Variant(schedule_reward=True), step)
    assert (b.format_min, b.format_max) == pytest.approx((fmin, fmax))
    assert (b.correctness_min, b.correctness_max) == pytest.approx((cmin, cmax))


@pytest.mark.parametrize(("step", "fmax", "cmax"), [(0, 1.0, 1.0), (29, 1.0, 1.0), (30, 0.5, 3.0), (200, 0.5, 3.0)])
def test_max1_step30_max3(step: int, fmax: float, cmax: float) -> None:
    r = score(GT_WEATHER, GT_WEATHER, max1_step30_max3=True, step=step)
    assert (r.format, r.correctness) == (fmax, cmax)
    assert score("junk", GT_WEATHER, max1_step30_max3=True, step=step).correctness == -cmax


def test_max1_step30_max3_then_schedule() -> None:
    b = bounds(Variant(max1_step30_max3=True, schedule_reward=True), 10)
    assert b.correctness_max == pytest.approx((1 - 2) * 10 / 150 + 2)
    assert b.format_max == pytest.approx(2 - 1 * 10 / 150)


def test_scheduled_partial_score_uses_step_bounds() -> None:
    pred = turn([("get_weather", {"location": "Paris", "unit": "fahrenheit"})])
    cmax, cmin = 1 * 60 / 150 + 2, -1 * 60 / 150 - 2
    r = score(pred, GT_WEATHER, schedule_reward=True, step=60)
    assert r.correctness == pytest.approx((cmax - cmin) * 3 / 4 + cmin)
    assert r.format == pytest.approx(2 - 60 / 150)


def test_correct_max1() -> None:
    pred = turn([("get_weather", {"location": "Paris", "unit": "fahrenheit"})])
    assert score(pred, GT_WEATHER, correct_max1=True).correctness == pytest.approx(2 * 3 / 4 - 1)
    assert score(GT_WEATHER, GT_WEATHER, correct_max1=True).correctness == 1.0


def test_refined_reward() -> None:
    gt = turn([("f", {"a": 1, "b": 2})])
    pred = turn([("f", {"b": 2, "a": 9})])
    assert score(pred, gt).correctness == pytest.approx(6 * 3 / 4 - 3)
    # keys [a, b] vs [b, a] are not equal in order → 0; one matching value; names equal → 1
    assert score(pred, gt, refined_reward=True).correctness == pytest.approx(6 * 2 / 4 - 3)
    two = turn([("f", {"a": 1}), ("g", {})])
    assert score(turn([("f", {"a": 1})]), two, refined_reward=True).correctness == pytest.approx(6 * 2 / 4 - 3)


def test_intermediate_reward() -> None:
    gt = turn([("f", {"a": 1}), ("g", {"b": 2})])
    pred = turn([("f", {"a": 1}), ("g", {"b": 3})])
    assert score(pred, gt, intermediate_reward=True).correctness == pytest.approx(6 * 2 / 3 - 3)


def test_coarse_reward() -> None:
    pred = turn([("get_weather", {"location": "Paris", "unit": "fahrenheit"})])
    assert score(pred, GT_WEATHER, coarse_reward=True).correctness == -3.0
    assert score(GT_WEATHER, GT_WEATHER, coarse_reward=True).correctness == 3.0


@pytest.mark.parametrize(("words", "expected"), [(0, 0.0), (3, 0.01), (5, 0.01), (256, 0.5), (300, 0.59), (600, 1.0)])
def test_length_reward(words: int, expected: float) -> None:
    gt = turn(WEATHER, think=" ".join(["w"] * words))
    r = score(gt, gt, with_length=True)
    assert r.length == expected
    assert r.score == pytest.approx(4.0 + expected)


def test_length_uses_last_analysis_and_min_without_one() -> None:
    two = analysis("one two three four") + "<|start|>assistant" + analysis(" ".join(["x"] * 256)) + final("a")
    assert score(two, turn(reply="a"), with_length=True).length == 0.5
    assert score(final("a"), turn(reply="a"), with_length=True).length == 0.0


@pytest.mark.parametrize(("step", "words"), [(0, 192), (105, 320), (210, 448)])
def test_schedule_length(step: int, words: int) -> None:
    gt = turn(WEATHER, think=" ".join(["w"] * words))  # target (640 - 384) * step / 105 + 384, half of it
    assert score(gt, gt, with_length=True, schedule_length=True, step=step).length == 0.5


def test_step_defaults_to_one_like_toolrl() -> None:
    assert score(GT_WEATHER, GT_WEATHER, schedule_reward=True).format == pytest.approx(2 - 1 / 150)


# --- typed matching (opt-in) --------------------------------------------------------------------


def test_typed_match() -> None:
    gt = turn([("f", {"n": 1, "x": 5, "flag": True, "city": "New York"})])
    pred = turn([("f", {"n": "1", "x": 5.0, "flag": True, "city": "new york"})])
    assert score(pred, gt).correctness < 3.0
    assert score(pred, gt, typed_match=True).correctness == 3.0
    bool_vs_int = turn([("f", {"n": 1, "x": 5, "flag": 1, "city": "New York"})])
    assert score(bool_vs_int, gt).correctness == 3.0  # ToolRL: True == 1
    assert score(bool_vs_int, gt, typed_match=True).correctness < 3.0


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [("1", 1, True), (5.0, 5, True), ("5.0", 5, True), (True, 1, False), (False, 0, False), (True, True, True),
     ("Paris ", "paris", True), ("a-b", "ab", True), ("x", "y", False), ([1, "2"], ["1", 2], True),
     ({"k": "1"}, {"k": 1}, True), (None, None, True), (None, "None", False), ("1", "one", False)],
)
def test_typed_equal(a: Any, b: Any, equal: bool) -> None:
    assert core.typed_equal(a, b) is equal


# --- environment variables and explicit options -------------------------------------------------


def test_environment_variables_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    pred = turn([("get_weather", {"location": "Paris", "unit": "fahrenheit"})])
    assert toolrl_reward(pred, GT_WEATHER).correctness == pytest.approx(1.5)
    monkeypatch.setenv("COARSEREWARD", "1")
    assert toolrl_reward(pred, GT_WEATHER).correctness == pytest.approx(1.5)  # kept from the first read
    assert core.resolve_variant(environ=os.environ).coarse_reward  # an explicit mapping is read now
    core.reload_environment()
    assert toolrl_reward(pred, GT_WEATHER).correctness == -3.0
    assert toolrl_reward(pred, GT_WEATHER, coarse_reward=False).correctness == pytest.approx(1.5)
    monkeypatch.setenv("COARSEREWARD", "true")  # ToolRL only honours "1"
    core.reload_environment()
    assert toolrl_reward(pred, GT_WEATHER).correctness == pytest.approx(1.5)


def test_environment_is_not_read_per_score(monkeypatch: pytest.MonkeyPatch) -> None:
    class CountingEnviron(dict):
        reads = 0

        def get(self, key: str, default: Any = None) -> Any:
            CountingEnviron.reads += 1
            return super().get(key, default)

    monkeypatch.setattr(core.os, "environ", CountingEnviron(WITHLENGTH="1"))
    core.reload_environment()
    reads = CountingEnviron.reads
    for _ in range(5):
        assert toolrl_reward(GT_WEATHER, GT_WEATHER).length > 0.0
        assert core.compute_score("rlla_gpt", GT_WEATHER, GT_WEATHER)["length"] > 0.0
    assert CountingEnviron.reads == reads


def test_explicit_variant_ignores_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WITHLENGTH", "1")
    core.reload_environment()
    assert toolrl_reward(GT_WEATHER, GT_WEATHER, variant="default").length == 0.0
    assert toolrl_reward(GT_WEATHER, GT_WEATHER).length > 0.0


def test_variant_names() -> None:
    assert core.variant_from_name("default") == Variant()
    assert core.variant_from_name("schedulereward+withlength") == Variant(schedule_reward=True, with_length=True)
    assert core.variant_from_name("typed,optimal") == Variant(typed_match=True, optimal_assignment=True)
    with pytest.raises(ValueError, match="unknown reward variant"):
        core.variant_from_name("nope")
    with pytest.raises(TypeError, match="unknown reward option"):
        toolrl_reward(GT_WEATHER, GT_WEATHER, with_lenght=True)


# --- ground truth -------------------------------------------------------------------------------


def test_ground_truth_errors_are_clear() -> None:
    with pytest.raises(GroundTruthError):
        toolrl_reward(GT_WEATHER, analysis() + call("f", None, raw="[1]"))
    with pytest.raises(GroundTruthError):
        toolrl_reward(GT_WEATHER, "plain text")


def test_ground_truth_parse_is_cached() -> None:
    gt = turn([("cached_tool", {"q": 1})])
    assert core.parse_ground_truth(gt) is core.parse_ground_truth(gt)
