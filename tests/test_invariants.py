"""The issue's invariants, checked on every built fixture row of both sources.

1. ``prompt_text + ground_truth`` parses with openai-harmony into exactly the intended messages
   (the intended messages are derived here from the structured ``prompt``/``answer`` columns and
   harmony's rule that analysis before a later final is dropped).
2. Every ground-truth call names a declared tool, and its arguments validate (``jsonschema``).
3. The ground truth converted back to ToolRL's XML gives the original reasoning, calls (JSON-equal
   up to the documented coercion) and response.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from openai_harmony import Role

from rlla_4k_gpt.convert.harmony import INSTRUCTIONS, ground_truth_turn, message_text, parse_completion
from rlla_4k_gpt.convert.repair import repair_example
from rlla_4k_gpt.convert.toolrl import Answer, ToolCall, format_answer, parse_answer, parse_example

Expected = tuple[str, str | None, str | None, Any]


def _call_body(text: str) -> Any:
    return json.loads(text)


def expected_history(prompt: list[dict[str, Any]]) -> list[Expected]:
    history = prompt[1:]
    out: list[Expected] = []
    for i, m in enumerate(history):
        later_final = any(h["role"] == "assistant" and "tool_calls" not in h for h in history[i + 1 :])
        if m["role"] == "user":
            out.append(("user", None, None, m["content"]))
        elif m["role"] == "tool":
            out.append((f"functions.{m['name']}", "commentary", "assistant", json.dumps(m["content"], ensure_ascii=False)))
        elif "tool_calls" in m:
            assert not later_final or "thinking" not in m, "analysis of a completed turn is left out of prompt"
            if "thinking" in m:
                out.append(("assistant", "analysis", None, m["thinking"]))
            fn = m["tool_calls"][0]["function"]
            out.append(("assistant", "commentary", f"functions.{fn['name']}", fn["arguments"]))
        else:
            out.append(("assistant", "final", None, m["content"]))
    return out


def expected_answer(answer: dict[str, Any]) -> list[Expected]:
    out: list[Expected] = [("assistant", "analysis", None, answer["reasoning"])]
    out += [("assistant", "commentary", f"functions.{c['name']}", json.loads(c["arguments"])) for c in answer["calls"]]
    if answer["final"] is not None:
        out.append(("assistant", "final", None, answer["final"]))
    return out


def observed(messages: list) -> list[Expected]:
    out: list[Expected] = []
    for m in messages:
        who = m.author.name if m.author.role == Role.TOOL else m.author.role.value
        body: Any = message_text(m)
        if m.recipient and m.recipient.startswith("functions."):
            body = _call_body(body)
        out.append((who, m.channel, m.recipient, body))
    return out


def test_fixture_builds_are_not_empty(built_rows: list[dict[str, Any]], build_reports: dict) -> None:
    assert build_reports["rl"]["splits"]["test"]["read"] == 80
    assert build_reports["sft"]["splits"]["train"]["read"] + build_reports["sft"]["splits"]["test"]["read"] == 300
    written = sum(s["written"] for r in build_reports.values() for s in r["splits"].values())
    assert len(built_rows) == written >= 370


def test_prompt_plus_ground_truth_parses_into_the_intended_messages(built_rows: list[dict[str, Any]]) -> None:
    for row in built_rows:
        where = row["extra_info"]["source"], row["extra_info"]["source_row"]
        assert row["prompt_text"].endswith("<|start|>assistant"), where
        messages = parse_completion(row["prompt_text"] + row["reward_model"]["ground_truth"])
        system, developer, rest = messages[0], messages[1], observed(messages[2:])
        assert system.author.role == Role.SYSTEM and "Reasoning: medium" in message_text(system), where
        assert "Current date" not in message_text(system), where
        assert developer.author.role == Role.DEVELOPER, where
        dev_text = message_text(developer)
        assert dev_text.startswith(f"# Instructions\n\n{INSTRUCTIONS}\n\n# Tools"), where
        for tool in row["tools"]:
            assert f"type {tool['function']['name']} = " in dev_text, where
        assert rest == expected_history(row["prompt"]) + expected_answer(row["answer"]), where


def test_no_tags_or_harmony_tokens_in_instructions() -> None:
    assert not re.search(r"<\|[a-z_]+\|>", INSTRUCTIONS)
    assert not re.search(r"</?(think|tool_call|response|obs|user)>", INSTRUCTIONS)


def test_ground_truth_shape(built_rows: list[dict[str, Any]]) -> None:
    for row in built_rows:
        gt, answer = row["reward_model"]["ground_truth"], row["answer"]
        assert gt.startswith("<|channel|>analysis<|message|>")
        assert gt.count("<|call|>") == len(answer["calls"])
        assert gt.endswith("<|return|>" if answer["final"] is not None else "<|call|>")


def test_ground_truth_calls_are_declared_and_validate(built_rows: list[dict[str, Any]]) -> None:
    for row in built_rows:
        tools = {t["function"]["name"]: t["function"]["parameters"] for t in row["tools"]}
        for call in ground_truth_turn(row["reward_model"]["ground_truth"]).calls:
            assert call.name in tools, (row["extra_info"]["source_row"], call.name)
            jsonschema.validate(call.arguments, tools[call.name])


def test_history_calls_validate_too(built_rows: list[dict[str, Any]]) -> None:
    for row in built_rows:
        tools = {t["function"]["name"]: t["function"]["parameters"] for t in row["tools"]}
        for m in row["prompt"]:
            for c in m.get("tool_calls", []):
                jsonschema.validate(c["function"]["arguments"], tools[c["function"]["name"]])


def equal_up_to_coercion(original: Any, converted: Any) -> bool:
    """JSON-equal, or a documented lossless coercion of the original (string literal, 5.0 → 5)."""
    if type(original) is type(converted) and not isinstance(original, (list, dict)):
        return original == converted
    if isinstance(original, str):
        return json.loads(original.strip()) == converted and json.dumps(json.loads(original.strip())) == json.dumps(converted)
    if isinstance(original, float) and isinstance(converted, int):
        return original == converted
    if isinstance(original, list) and isinstance(converted, list):
        return len(original) == len(converted) and all(map(equal_up_to_coercion, original, converted))
    return original == converted and json.dumps(original) == json.dumps(converted)


def back_to_toolrl(row: dict[str, Any]) -> str:
    turn = ground_truth_turn(row["reward_model"]["ground_truth"])
    original_of = {m["safe"]: m["original"] for m in row["extra_info"]["name_map"]}
    calls = tuple(ToolCall(original_of[c.name], c.arguments) for c in turn.calls)
    return format_answer(Answer(turn.reasoning, calls, turn.response))


def repaired_original(row: dict[str, Any]) -> Answer:
    """ToolRL's answer for this row after the documented repair of names cut at "(" (else unchanged)."""
    info = row["extra_info"]
    return repair_example(parse_example(info["instruction"], info["input"], info["output"]))[0].answer


def test_ground_truth_converts_back_to_the_original_answer(built_rows: list[dict[str, Any]]) -> None:
    coerced = repaired = 0
    for row in built_rows:
        original = repaired_original(row)
        repaired += original != parse_answer(row["extra_info"]["output"])
        back = parse_answer(back_to_toolrl(row))
        where = row["extra_info"]["source_row"]
        assert back.reasoning == original.reasoning and back.response == original.response, where
        assert [c.name for c in back.calls] == [c.name for c in original.calls], where
        for o, b in zip(original.calls, back.calls):
            assert o.arguments.keys() == b.arguments.keys(), where
            assert all(equal_up_to_coercion(o.arguments[k], b.arguments[k]) for k in o.arguments), where
            coerced += o.arguments != b.arguments or json.dumps(o.arguments) != json.dumps(b.arguments)
    assert coerced > 0, "the fixtures contain coerced arguments, so this check is exercised"
    assert repaired > 0, "the fixtures contain repaired answers, so the repaired original is compared"


@pytest.mark.parametrize("bad", [{"a": "1"}, {"a": 1.5}])
def test_equal_up_to_coercion_can_fail(bad: dict) -> None:
    assert not equal_up_to_coercion(bad["a"], "x")
