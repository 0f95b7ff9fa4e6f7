"""Every input form a trainer produces scores identically (built fixture rows and synthetic cases).

Token ids and ``skip_special_tokens=True`` decodes come from openai-harmony's encoder, so the
parser is checked against the real tokenisation, not against text it produced itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rlla_4k_gpt.reward.toolrl_reward_core import (
    CALL,
    FINAL,
    Variant,
    decode_token_ids,
    parse_completion,
    parse_ground_truth,
    toolrl_reward,
)

FIRST_SPECIAL = 199998


@pytest.fixture(scope="module")
def enc(offline_vocab: Any) -> Any:
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding

    return load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)


def ids_of(enc: Any, text: str) -> list[int]:
    return enc.encode(text, allowed_special="all")


def skip_special(enc: Any, text: str) -> str:
    """What verl's reward managers and TRL decode: the same ids with special tokens skipped."""
    return enc.decode([t for t in ids_of(enc, text) if t < FIRST_SPECIAL])


def channel_form(gt: str, constrain: str = " <|constrain|>json") -> str:
    """gpt-oss's own placement: the recipient after the channel name."""
    return re.sub(
        r"<\|start\|>assistant to=(functions\.\w+)<\|channel\|>commentary <\|constrain\|>json",
        lambda m: f"<|start|>assistant<|channel|>commentary to={m.group(1)}{constrain}",
        gt,
    )


def datatrove_form(gt: str) -> str:
    """The earlier datatrove converter's layout: every message opens with <|start|>assistant, "\\n"-joined."""
    out = []
    for m in parse_completion(gt).messages:
        if m.kind == CALL:
            args = json.dumps(json.loads(m.content), separators=(",", ":"), ensure_ascii=False)
            out.append(f"<|start|>assistant to=functions.{m.name}<|channel|>commentary json<|message|>{args}<|call|>")
        elif m.kind == FINAL:
            out.append(f"<|start|>assistant<|channel|>final<|message|>{m.content}<|return|>")
        else:
            out.append(f"<|start|>assistant<|channel|>analysis<|message|>{m.content}<|end|>")
    return "\n".join(out)


def text_forms(gt: str, prompt_text: str) -> Iterator[tuple[str, str]]:
    yield "as stored", gt
    yield "leading <|start|>assistant", "<|start|>assistant" + gt
    yield "whole transcript", prompt_text + gt
    yield "recipient in channel", channel_form(gt)
    yield "channel, no space before constrain", channel_form(gt, "<|constrain|>json")
    yield "channel, no constrain", channel_form(gt, "")
    yield "channel, plain json", channel_form(gt, " json")
    yield "role, no constrain", gt.replace(" <|constrain|>json", "")
    yield "missing final stop", re.sub(r"<\|(call|return)\|>$", "", gt)
    yield "datatrove style", datatrove_form(gt)


def all_forms(enc: Any, gt: str, prompt_text: str) -> Iterator[tuple[str, Any]]:
    for name, text in text_forms(gt, prompt_text):
        yield name, text
        if name != "whole transcript":
            yield f"{name}, special tokens skipped", skip_special(enc, text)
    yield "token ids", ids_of(enc, gt)
    yield "stripped whole transcript", skip_special(enc, prompt_text + gt)
    yield "chat message", [{"role": "assistant", "content": skip_special(enc, gt)}]


def maximum(gt: str) -> float:
    return 4.0 if parse_ground_truth(gt).calls else 1.0


def test_built_ground_truths_parse_like_the_answer_column(built_rows: list[dict[str, Any]]) -> None:
    assert len(built_rows) >= 80
    for row in built_rows:
        truth = parse_ground_truth(row["reward_model"]["ground_truth"])
        answer = row["answer"]
        expected = [(c["name"], json.loads(c["arguments"])) for c in answer["calls"]]
        assert list(truth.calls) == expected
        assert truth.has_final == (answer["final"] is not None)


def max_failures(enc: Any, rows: list[dict[str, Any]]) -> list[tuple[Any, str, Any]]:
    """Every (row, input form) in which a row's ground truth does not score the maximum against itself."""
    failures = []
    for row in rows:
        gt = row["reward_model"]["ground_truth"]
        for form, completion in all_forms(enc, gt, row["prompt_text"]):
            result = toolrl_reward(completion, gt, variant=Variant())
            if result.score != maximum(gt):
                failures.append((row["extra_info"].get("index"), form, result))
        for form, truth in [("datatrove ground truth", datatrove_form(gt))]:
            if toolrl_reward(gt, truth, variant=Variant()).score != maximum(gt):
                failures.append((row["extra_info"].get("index"), form, None))
    return failures


def test_every_built_row_scores_max_in_every_form(enc: Any, built_rows: list[dict[str, Any]]) -> None:
    failures = max_failures(enc, built_rows)
    assert not failures, failures[:10]


def test_repaired_rows_score_max_in_every_form(enc: Any, built_rows: list[dict[str, Any]], build_reports: dict) -> None:
    """Rows whose tool names were cut at "(" upstream (repaired) are scored like any other."""
    repaired = {r["where"] for report in build_reports.values() for r in report["repairs"]}
    rows = [r for r in built_rows if f"{r['extra_info']['source']} row {r['extra_info']['source_row']}" in repaired]
    assert len(rows) == len(repaired) >= 2
    assert any("(" in c["name"] or "_" in c["name"] for r in rows for c in r["answer"]["calls"])
    failures = max_failures(enc, rows)
    assert not failures, failures[:10]


def test_skip_special_tokens_decode_scores_like_the_original(enc: Any, built_rows: list[dict[str, Any]]) -> None:
    variant = Variant(with_length=True)
    for row in built_rows:
        gt = row["reward_model"]["ground_truth"]
        decoded = skip_special(enc, gt)
        assert "<|" not in decoded
        assert toolrl_reward(decoded, gt, variant=variant) == toolrl_reward(gt, gt, variant=variant)


def test_multi_call_rows_are_scored_whole(built_rows: list[dict[str, Any]]) -> None:
    multi = [r for r in built_rows if len(r["answer"]["calls"]) > 1]
    assert multi
    for row in multi:
        gt = row["reward_model"]["ground_truth"]
        first_call_only = gt[: gt.index("<|call|>") + len("<|call|>")]  # what a rollout stopping at <|call|> holds
        assert toolrl_reward(first_call_only, gt, variant=Variant()).correctness < 3.0


# --- synthetic cases for the stripped form ------------------------------------------------------


def gt_with(name: str, args: dict[str, Any], think: str = "Let me look that up.") -> str:
    return (
        f"<|channel|>analysis<|message|>{think}<|end|><|start|>assistant to=functions.{name}"
        f"<|channel|>commentary <|constrain|>json<|message|>{json.dumps(args)}<|call|>"
    )


@pytest.mark.parametrize("name", ["to_json", "json", "get_commentary", "finalize", "analysis_tool", "x_final", "a1"])
@pytest.mark.parametrize("placement", ["role", "channel", "channel-glued", "channel-plain"])
def test_stripped_names_with_keyword_suffixes(enc: Any, name: str, placement: str) -> None:
    gt = gt_with(name, {"q": "v"})
    text = {
        "role": gt,
        "channel": channel_form(gt),
        "channel-glued": channel_form(gt, "<|constrain|>json"),
        "channel-plain": channel_form(gt, ""),
    }[placement]
    assert toolrl_reward(skip_special(enc, text), gt, variant=Variant()).score == 4.0


def test_stripped_glued_json_prefers_the_ground_truth_reading(enc: Any) -> None:
    gt = gt_with("get", {"q": 1})
    glued = skip_special(enc, channel_form(gt, "<|constrain|>json"))
    assert "functions.getjson{" in glued
    assert toolrl_reward(glued, gt, variant=Variant()).correctness == 3.0
    assert toolrl_reward(glued, gt_with("getjson", {"q": 1}), variant=Variant()).correctness == 3.0


def test_stripped_reasoning_ending_in_assistant(enc: Any) -> None:
    gt = gt_with("lookup", {"q": 1}, think="I am a helpful assistant")
    decoded = skip_special(enc, gt)
    assert "assistantassistant to=functions.lookup" in decoded
    assert toolrl_reward(decoded, gt, variant=Variant(with_length=True)) == toolrl_reward(gt, gt, variant=Variant(with_length=True))


def test_stripped_garbage_and_missing_analysis(enc: Any) -> None:
    gt = gt_with("lookup", {"q": 1})
    no_analysis = skip_special(enc, gt[gt.index("<|start|>") :])
    r = toolrl_reward(no_analysis, gt, variant=Variant())
    assert (r.format, r.correctness) == (0.0, 3.0)
    r = toolrl_reward("I think the answer is 42.", gt, variant=Variant())
    assert (r.format, r.correctness) == (0.0, -3.0)


# --- transcripts, tool outputs, chat messages, token ids ----------------------------------------


def test_transcript_scores_only_the_last_assistant_turn() -> None:
    history = (
        "<|start|>system<|message|>sys<|end|><|start|>user<|message|>hi<|end|>"
        "<|start|>assistant to=functions.old<|channel|>commentary <|constrain|>json<|message|>{}<|call|>"
        "<|start|>functions.old to=assistant<|channel|>commentary<|message|>{\"ok\": true}<|end|>"
        "<|start|>assistant"
    )
    gt = gt_with("new", {"a": 1})
    assert toolrl_reward(history + gt, gt, variant=Variant()).score == 4.0
    hallucinated_output = gt + "<|start|>functions.new to=assistant<|channel|>commentary<|message|>{}<|end|>"
    assert toolrl_reward(hallucinated_output, gt, variant=Variant()).format == 0.0


def test_structured_chat_messages() -> None:
    gt = gt_with("lookup", {"q": 1}) + "<|start|>assistant<|channel|>final<|message|>Done<|return|>"
    message = {
        "role": "assistant",
        "thinking": "Let me look that up.",
        "content": "Done",
        "tool_calls": [{"type": "function", "function": {"name": "lookup", "arguments": {"q": 1}}}],
    }
    assert toolrl_reward([message], gt, variant=Variant()).score == 4.0
    assert toolrl_reward(message, gt, variant=Variant()).score == 4.0


def test_token_ids_decode_like_openai_harmony(enc: Any) -> None:
    text = gt_with("get_weather", {"location": "Zürich 🌧", "days": [1, 2]}) + "<|start|>assistant<|channel|>final<|message|>ok<|return|>"
    ids = ids_of(enc, text)
    assert decode_token_ids(ids) == enc.decode(ids) == text
    assert toolrl_reward(ids, text, variant=Variant()).score == 4.0


def test_token_ids_with_a_custom_decoder(enc: Any) -> None:
    gt = gt_with("f", {"a": 1})
    decoder: Callable[[list[int]], str] = enc.decode
    assert toolrl_reward(ids_of(enc, gt), gt, decoder=decoder, variant=Variant()).score == 4.0
