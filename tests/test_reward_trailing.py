"""One score per completion: special tokens after its last stop count the same in every form.

The rule (docs/reward.md, "Trailing special tokens", ``trim_trailing_specials``): of the run of
special tokens at a completion's very end, everything after the first stop token is ignored;
without a stop, the filler tokens are. Checked with token ids (our decoder, openai-harmony's and
the offline tokenizer's), harmony text, ``skip_special_tokens`` text, chat messages, the TRL
function with ``completion_ids`` and verl's ``compute_score``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlla_4k_gpt import reward
from rlla_4k_gpt.reward.toolrl_reward_core import RewardResult, Variant, toolrl_reward, trim_trailing_specials

FIRST_SPECIAL = 199998
STOPS = {200002: "<|return|>", 200007: "<|end|>", 200012: "<|call|>"}
SYNTAX = {200003, 200005, 200006, 200008}  # <|constrain|>, <|channel|>, <|start|>, <|message|>
FILLERS = [199998, 199999, 200000, 200001, 200004, 200009, 200013, 200018, 201087]  # incl. reserved
SPECIALS = sorted({*STOPS, *SYNTAX, *FILLERS})
DEFAULT = Variant()


@pytest.fixture(scope="module")
def tokenizer(offline_vocab: Any) -> Any:
    from rlla_4k_gpt.tokens.tokenizer import load_tokenizer

    return load_tokenizer("offline")


@pytest.fixture(scope="module")
def cases(harmony: Any, built_rows: list[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """(ground truth, completion ids): each ground truth, its first call alone, wrong arguments."""
    out = []
    for row in built_rows[::7]:
        gt = row["reward_model"]["ground_truth"]
        out.append((gt, harmony.encode(gt, allowed_special="all")))
        if "<|call|>" in gt:
            first = gt[: gt.index("<|call|>") + len("<|call|>")]
            out.append((gt, harmony.encode(first, allowed_special="all")))
            call = row["answer"]["calls"][0]
            wrong = gt.replace(call["arguments"], json.dumps({"wrong": 1}), 1)
            out.append((gt, harmony.encode(wrong, allowed_special="all")))
    return out


def scores_in_every_form(ids: list[int], gt: str, harmony: Any, tokenizer: Any) -> dict[str, RewardResult]:
    text = harmony.decode(ids)
    stripped = harmony.decode([t for t in ids if t < FIRST_SPECIAL])
    hf_ids = [t for t in ids if t < len(tokenizer)]  # the Hub tokenizer stops at 200,018
    hf_text = tokenizer.decode(hf_ids, skip_special_tokens=False)
    hf_stripped = tokenizer.decode(hf_ids, skip_special_tokens=True)
    forms: dict[str, RewardResult] = {
        "ids": toolrl_reward(ids, gt, variant=DEFAULT),
        "ids, openai-harmony decoder": toolrl_reward(ids, gt, variant=DEFAULT, decoder=harmony.decode),
        "harmony text": toolrl_reward(text, gt, variant=DEFAULT),
        "tokenizer text, specials kept": toolrl_reward(hf_text, gt, variant=DEFAULT),
        "skip_special_tokens text": toolrl_reward(stripped, gt, variant=DEFAULT),
        "tokenizer skip_special_tokens": toolrl_reward(hf_stripped, gt, variant=DEFAULT),
        "chat message": toolrl_reward([{"role": "assistant", "content": text}], gt, variant=DEFAULT),
    }
    verl = reward.compute_score("rlla_gpt", text, gt, {"step": 1}, variant="default")
    forms["verl compute_score"] = RewardResult(verl["score"], verl["format"], verl["correctness"], verl["length"])
    trl = [
        reward.make_trl_reward_func(c, variant="default", tokenizer=tokenizer)(
            prompts=["p"], completions=[stripped], completion_ids=[hf_ids], ground_truth=[gt]
        )[0]
        for c in ("score", "format", "correctness", "length")
    ]
    forms["TRL completion_ids"] = RewardResult(*trl)
    return forms


def assert_one_score(forms: dict[str, RewardResult], expected: RewardResult) -> None:
    wrong = {name: result for name, result in forms.items() if result != expected}
    assert not wrong, (expected, wrong)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), suffix=st.lists(st.sampled_from(SPECIALS), max_size=6))
def test_special_tokens_after_the_last_stop_never_change_the_score(
    data: st.DataObject, suffix: list[int], cases: list[tuple[str, list[int]]], harmony: Any, tokenizer: Any
) -> None:
    gt, ids = data.draw(st.sampled_from(cases))
    assert ids[-1] in STOPS
    expected = toolrl_reward(ids, gt, variant=DEFAULT)
    assert_one_score(scores_in_every_form(ids + suffix, gt, harmony, tokenizer), expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), suffix=st.lists(st.sampled_from(FILLERS), min_size=1, max_size=6))
def test_filler_tokens_after_a_missing_stop_never_change_the_score(
    data: st.DataObject, suffix: list[int], cases: list[tuple[str, list[int]]], harmony: Any, tokenizer: Any
) -> None:
    gt, ids = data.draw(st.sampled_from(cases))
    truncated = ids[:-1]  # a stop dropped (inference servers often do)
    expected = toolrl_reward(truncated, gt, variant=DEFAULT)
    assert_one_score(scores_in_every_form(truncated + suffix, gt, harmony, tokenizer), expected)


def test_every_ground_truth_with_trailing_tokens_scores_the_maximum(harmony: Any, built_rows: list[dict[str, Any]]) -> None:
    """What TRL and padding leave: <|endoftext|>, a repeated stop, padding runs, a dangling <|start|>."""
    tails = [[199999], [200012], [200002], [200007], [199999] * 8, [200006], [200012, 199999, 200006, 200008]]
    for row in built_rows:
        gt = row["reward_model"]["ground_truth"]
        top = 4.0 if row["answer"]["calls"] else 1.0
        ids = harmony.encode(gt, allowed_special="all")
        for tail in tails:
            assert toolrl_reward(ids + tail, gt, variant=DEFAULT).score == top, (row["extra_info"], tail)
            assert toolrl_reward(harmony.decode(ids + tail), gt, variant=DEFAULT).score == top


@pytest.mark.parametrize(
    ("text", "trimmed"),
    [
        ('{"a": 1}<|call|><|endoftext|>', '{"a": 1}<|call|>'),
        ('{"a": 1}<|call|> <|call|>\n<|start|>', '{"a": 1}<|call|>'),
        ("Hi<|return|><|end|><|return|>", "Hi<|return|>"),
        ('{"a": 1}<|endoftext|><|reserved_200013|>', '{"a": 1}'),
        ("<|channel|>final<|message|><|endoftext|>", "<|channel|>final<|message|>"),  # header tokens stay
        ("Hi<|start|><|endoftext|><|return|><|end|>", "Hi<|start|><|endoftext|><|return|>"),  # before the stop: kept
        ("no specials", "no specials"),
        ("<|end|>text after", "<|end|>text after"),
    ],
)
def test_trim_trailing_specials(text: str, trimmed: str) -> None:
    assert trim_trailing_specials(text) == trimmed


def test_a_long_run_of_special_tokens_is_read_whole() -> None:
    text = '{"a": 1}' + "<|endoftext|>" * 5000 + "<|call|>" + "<|endoftext|>" * 3
    assert trim_trailing_specials(text) == text[: -len("<|endoftext|>") * 3]


@pytest.mark.parametrize("before", ['{"a": 1}<|call|>', '{"a": 1}'])
def test_padding_longer_than_4096_characters_is_dropped_whole(before: str) -> None:
    text = before + "<|endoftext|>" * 320  # 4,160 characters: a window of the last 4,096 cut a token
    assert trim_trailing_specials(text) == before


_TOKEN_AT_END = re.compile(r"<\|[A-Za-z0-9_]{1,64}\|>\Z")
_STOP_AT = re.compile(r"<\|(?:end|call|return)\|>")
_HARMONY_SYNTAX = {"<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|call|>", "<|return|>"}


def _rule(text: str) -> str:
    """The rule of docs/reward.md, written out plainly: peel whitespace and special tokens off the
    end to find the trailing run; cut after its first stop, or else drop its filler tokens."""
    start, tokens = len(text), 0
    while match := _TOKEN_AT_END.search(text[: len(text[:start].rstrip())]):
        start, tokens = match.start(), tokens + 1
    if not tokens:
        return text
    start = len(text[:start].rstrip())
    stop = _STOP_AT.search(text, start)
    if stop:
        return text[: stop.end()]
    tail = re.sub(r"<\|[A-Za-z0-9_]{1,64}\|>", lambda m: m.group() if m.group() in _HARMONY_SYNTAX else "", text[start:])
    return text[:start] + tail


PIECES = ["a", "}", " ", "\n", "\u00a0", ">", "x>", "<|", "|>", "<|end|>", "<|call|>", "<|return|>", "<|endoftext|>",
          "<|start|>", "<|message|>", "<|reserved_200013|>", "<|no token|>", "<|" + "a" * 65 + "|>"]  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=10))
def test_trim_trailing_specials_follows_the_rule(pieces: list[str]) -> None:
    """Every shortcut in trim_trailing_specials (text ending in ordinary text or in one stop
    token) gives what the rule gives."""
    text = "".join(pieces)
    assert trim_trailing_specials(text) == _rule(text)
