"""Property-based tests (hypothesis): parity with a spec oracle, ranges, robustness, linear time."""

from __future__ import annotations

import itertools
import json
import math
import re
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlla_4k_gpt.reward.toolrl_reward_core import Variant, bounds, toolrl_reward

Call = tuple[str, dict[str, Any]]
SPECIAL = re.compile(r"<\|[a-z]+\|>")
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- rendering structured turns -----------------------------------------------------------------


def render(think: str | None, calls: list[Call], reply: str | None, extra: list[str] = ()) -> str:
    parts = [f"<|channel|>analysis<|message|>{think}<|end|>"] if think is not None else []
    for name, args in calls:
        parts.append(
            f"<|start|>assistant to=functions.{name}<|channel|>commentary <|constrain|>json<|message|>{json.dumps(args)}<|call|>"
        )
    parts += list(extra)
    if reply is not None:
        parts.append(f"<|start|>assistant<|channel|>final<|message|>{reply}<|return|>")
    return "".join(parts)


def strip_special(text: str) -> str:
    """Equivalent to decoding with skip_special_tokens=True: each special token is one token."""
    return SPECIAL.sub("", text)


# --- an oracle written from the issue's spec ----------------------------------------------------


def spec_bounds(v: Variant, step: float) -> tuple[float, float, float, float]:
    fmin, fmax = 0.0, 1.0
    cmin, cmax = (-1.0, 1.0) if v.correct_max1 else (-3.0, 3.0)
    if v.max1_step30_max3 and step < 30:
        cmin, cmax = cmin / 3, cmax / 3
    if v.max1_step30_max3 and step >= 30:
        fmin, fmax = fmin / 2, fmax / 2
    if v.schedule_reward:
        fmax = max(2 - (2 - fmax) * step / 150, 1.0)
        fmin = min(-2 + (2 + fmin) * step / 150, -1.0)
        cmax = min((cmax - 2) * step / 150 + 2, 3.0)
        cmin = max((cmin + 2) * step / 150 - 2, -3.0)
    return fmin, fmax, cmin, cmax


def spec_overlap(a: list[Any], b: list[Any], refined: bool) -> float:
    if a == b:
        return 1.0
    if refined or not a or not b:
        return 0.0
    common = sum((Counter(a) & Counter(b)).values())
    return common / (len(a) + len(b) - common)


def spec_correctness(gt: list[Call], pd: list[Call], v: Variant, step: float) -> float:
    _, _, cmin, cmax = spec_bounds(v, step)
    if not gt:
        return 0.0
    if not pd:
        return cmin
    if gt == pd:
        return cmax
    if v.coarse_reward:
        return cmin
    score = spec_overlap([n for n, _ in gt], [n for n, _ in pd], v.refined_reward)
    used: set[int] = set()
    for name, args in gt:
        best, pick = 0.0, None
        for i, (pname, pargs) in enumerate(pd):
            if i in used or pname != name:
                continue
            if v.intermediate_reward:
                total = 1.0 if pargs == args else 0.0
            else:
                keys = spec_overlap(list(args), list(pargs), v.refined_reward)
                total = keys + sum(1.0 for k in args if k in pargs and pargs[k] == args[k])
            if total > best:
                best, pick = total, i
        if pick is not None:
            used.add(pick)
            score += best
    top = 1 + len(gt) if v.intermediate_reward else 1 + sum(1 + len(a) for _, a in gt)
    return (cmax - cmin) * score / top + cmin


def spec_format_ok(kinds: list[str], gt_calls: bool, gt_final: bool) -> bool:
    expected = "A" + ("C+" if gt_calls else "") + ("F" if gt_final else "")
    return re.fullmatch(expected, "".join(kinds)) is not None


# --- strategies ------------------------------------------------------------------------------------

values = st.sampled_from([1, 1.0, 2, True, False, "1", "x", "X", None, [1], {"k": 1}, 0])
args_st = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), values, max_size=3)
calls_st = st.lists(st.tuples(st.sampled_from(["f", "g", "h"]), args_st), max_size=4)
toolrl_variants = st.builds(
    Variant,
    with_length=st.booleans(),
    schedule_length=st.booleans(),
    correct_max1=st.booleans(),
    max1_step30_max3=st.booleans(),
    schedule_reward=st.booleans(),
    refined_reward=st.booleans(),
    intermediate_reward=st.booleans(),
    coarse_reward=st.booleans(),
)
all_variants = st.builds(
    Variant,
    **{f: st.booleans() for f in Variant.__dataclass_fields__},
)
steps = st.one_of(st.integers(0, 400), st.floats(0, 400, allow_nan=False))
words = st.lists(st.sampled_from(["alpha", "beta", "gamma", "42", "é"]), max_size=700).map(" ".join)


@PROPS
@given(gt=calls_st, pd=calls_st, v=toolrl_variants, step=steps, stripped=st.booleans())
def test_correctness_matches_spec_oracle(gt: list[Call], pd: list[Call], v: Variant, step: float, stripped: bool) -> None:
    truth = render("t", gt, None if gt else "r")
    completion = render("t", pd, None)
    if stripped:
        completion = strip_special(completion)
    got = toolrl_reward(completion, truth, step=step, variant=v).correctness
    assert got == spec_correctness(gt, pd, v, step)


@PROPS
@given(
    kinds=st.lists(st.sampled_from("ACFP"), max_size=6),
    gt_calls=st.booleans(),
    gt_final=st.booleans(),
    v=toolrl_variants,
    step=steps,
)
def test_format_matches_spec_oracle(kinds: list[str], gt_calls: bool, gt_final: bool, v: Variant, step: float) -> None:
    pieces = {
        "A": "<|start|>assistant<|channel|>analysis<|message|>hmm<|end|>",
        "C": "<|start|>assistant to=functions.f<|channel|>commentary <|constrain|>json<|message|>{}<|call|>",
        "F": "<|start|>assistant<|channel|>final<|message|>ok<|return|>",
        "P": "<|start|>assistant<|channel|>commentary<|message|>Checking.<|end|>",
    }
    truth = render("t", [("f", {})] if gt_calls else [], "r" if gt_final else None)
    fmin, fmax, _, _ = spec_bounds(v, step)
    expected = fmax if spec_format_ok(kinds, gt_calls, gt_final) else fmin
    completion = "".join(pieces[k] for k in kinds)
    assert toolrl_reward(completion, truth, step=step, variant=v).format == expected
    assert toolrl_reward(strip_special(completion), truth, step=step, variant=v).format == expected


@PROPS
@given(think=words, gt=calls_st.filter(bool), reply=st.one_of(st.none(), words), v=toolrl_variants, step=steps)
def test_ground_truth_is_the_maximum(think: str, gt: list[Call], reply: str | None, v: Variant, step: float) -> None:
    truth = render(think, gt, reply)
    fmin, fmax, cmin, cmax = spec_bounds(v, step)
    target = (640 - 384) * step / 105 + 384 if v.schedule_length else 512
    length = min(round(len(think.split()) / target, 2), 1.0) if v.with_length else 0.0
    for completion in (truth, strip_special(truth), "<|start|>assistant" + truth):
        r = toolrl_reward(completion, truth, step=step, variant=v)
        assert (r.format, r.correctness, r.length) == (fmax, cmax, length)
        assert r.score == fmax + cmax + length


def check_ranges(completion: Any, truth: str, v: Variant, step: float) -> None:
    r = toolrl_reward(completion, truth, step=step, variant=v)
    b = bounds(v, step)
    assert r.format in (b.format_min, b.format_max)
    # ToolRL's schedule can cross the bounds (CORRECTMAX1 + SCHEDULEREWARD after step 300)
    low, high = sorted((b.correctness_min, b.correctness_max))
    assert low - 1e-9 <= r.correctness <= high + 1e-9
    assert 0.0 <= r.length <= 1.0
    assert all(math.isfinite(x) for x in (r.score, r.format, r.correctness, r.length))
    assert r.score == r.format + r.correctness + r.length


fragments = st.sampled_from(
    [
        "<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|call|>", "<|return|>",
        "assistant", " to=functions.f", "to=functions.g", "commentary", "analysis", "final", "json", " ",
        "\n", "{", "}", '"a"', ":", "1", "[", "]", "NaN", "Infinity", "1e999", "user", "system", "<|", "|>",
        "functions.f to=assistant", "é", "\x00",
    ]
)
harmony_soup = st.lists(fragments, max_size=40).map("".join)
TRUTHS = [
    render("t", [("f", {"a": 1})], None),
    render("t", [("f", {"a": 1}), ("g", {})], "ok"),
    render("t", [], "ok"),
    render("t", [], None),
]


@PROPS
@given(text=st.one_of(st.text(), harmony_soup), truth=st.sampled_from(TRUTHS), v=all_variants, step=steps)
def test_never_raises_and_stays_in_range(text: str, truth: str, v: Variant, step: float) -> None:
    check_ranges(text, truth, v, step)


@PROPS
@given(data=st.binary(max_size=200), truth=st.sampled_from(TRUTHS), v=all_variants)
def test_random_bytes_and_token_ids(data: bytes, truth: str, v: Variant) -> None:
    check_ranges(data.decode("utf-8", errors="replace"), truth, v, 1)
    check_ranges(list(data), truth, v, 1)  # ids < 256 decode to byte tokens
    check_ranges([200006, 200005, 200008, 200012, 200002, 200007, 201000, 5] * 3, truth, v, 1)


# --- adversarial megabyte inputs (a loose bound that only catches super-linear blow-ups) -----------

MB = 1 << 20
ADVERSARIAL = {
    "repeated <|start|>": "<|start|>" * (MB // 9),
    "repeated headers": ("<|start|>assistant to=functions.f<|channel|>commentary json<|message|>{}<|call|>" * (MB // 74)),
    "long header": "<|start|>assistant to=" + " " * MB + "<|message|>{}",
    "unbalanced specials": "<|message|><|channel|><|constrain|>" * (MB // 35),
    "deep json": "<|channel|>analysis<|message|>x<|end|><|start|>assistant to=functions.f<|channel|>commentary<|message|>" + "[" * MB,
    "huge number": "<|channel|>analysis<|message|>x<|end|><|start|>assistant to=functions.f<|channel|>commentary<|message|>{\"a\": " + "9" * MB + "}",
    "stripped markers": "assistant to=functions." + "a" * MB,
    "stripped repeated": "assistantcommentary to=functions.f json{}" * (MB // 40),
    "assistant soup": "assistant" * (MB // 9),
    "words": "analysis" + " w" * (MB // 2),
    "lt-bars": "<|" * (MB // 2),
    "random-ish": "".join(chr(33 + (i * 7919) % 90) for i in range(MB)),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_megabyte_adversarial_inputs_are_linear(name: str) -> None:
    text = ADVERSARIAL[name]
    v = Variant(with_length=True)
    started = time.perf_counter()
    check_ranges(text, TRUTHS[1], v, 1)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{name}: {elapsed:.3f}s (target 0.05s; see scripts/bench_reward.py)"


def spec_pair(g: Call, p: Call) -> float:
    if g[0] != p[0]:
        return 0.0
    keys = spec_overlap(list(g[1]), list(p[1]), False)
    return keys + sum(1.0 for k in g[1] if k in p[1] and p[1][k] == g[1][k])


def brute_force_best(gt: list[Call], pd: list[Call]) -> float:
    """Best total over every injective pairing of GT calls with predictions (or none)."""
    best = 0.0
    slots = list(range(len(pd))) + [None] * len(gt)
    for choice in itertools.permutations(slots, len(gt)):
        best = max(best, sum(spec_pair(g, pd[j]) for g, j in zip(gt, choice) if j is not None))
    return best


@PROPS
@given(gt=calls_st.filter(bool), pd=calls_st.filter(bool))
def test_optimal_assignment_matches_brute_force(gt: list[Call], pd: list[Call]) -> None:
    truth, completion = render("t", gt, None), render("t", pd, None)
    got = toolrl_reward(completion, truth, variant=Variant(optimal_assignment=True)).correctness
    greedy = toolrl_reward(completion, truth, variant=Variant()).correctness
    if gt == pd:
        assert got == 3.0
        return
    top = 1 + sum(1 + len(a) for _, a in gt)
    expected = 6 * (spec_overlap([n for n, _ in gt], [n for n, _ in pd], False) + brute_force_best(gt, pd)) / top - 3
    assert got == pytest.approx(expected)
    assert got >= greedy - 1e-12
