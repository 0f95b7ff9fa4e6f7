"""Parsing ToolRL's raw text: tools, history and answers, including the awkward shapes."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest

from rlla_4k_gpt.convert.toolrl import (
    AssistantTurn,
    Observation,
    ToolRLParseError,
    UserTurn,
    format_answer,
    parse_answer,
    parse_example,
    parse_history,
    parse_tools,
)

from .conftest import SFT_FIXTURE

INSTRUCTION = """You are a helpful assistant.

**Available Tools**
In your response, you can use the following tools:
1. Name: Search Managers
Description: Find managers.
Parameters: {"name": {"description": "Who", "type": "str", "default": ""}}
2. Name: Ping
Description: No parameters at all.
Parameters: {}
3. Name: M4.5+ Earthquakes, Past 7 Days
Description: Quakes.
Parameters: {"count": {"description": "How many", "type": "int, optional", "default": 5}}

**Steps for Each Turn**
1. Think."""


def fixture_records() -> list[tuple[str, dict]]:
    from rlla_4k_gpt.build.sources import sample_path

    test = [r["extra_info"] for r in pq.read_table(sample_path()).to_pylist()]
    sft = json.loads(gzip.decompress(SFT_FIXTURE.read_bytes()))
    return [(f"test {i}", r) for i, r in enumerate(test)] + [(f"sft {i}", r) for i, r in enumerate(sft)]


def test_parse_tools_keeps_names_and_params() -> None:
    tools = parse_tools(INSTRUCTION)
    assert [t.name for t in tools] == ["Search Managers", "Ping", "M4.5+ Earthquakes, Past 7 Days"]
    assert tools[1].params == ()
    assert tools[2].params[0].type == "int, optional" and tools[2].params[0].default == 5


def test_parse_tools_rejects_bad_parameters_json() -> None:
    bad = INSTRUCTION.replace('Parameters: {}', 'Parameters: {not json')
    with pytest.raises(ToolRLParseError, match="Ping"):
        parse_tools(bad)


def test_multiline_json_and_several_calls() -> None:
    out = '<think> two </think>\n<tool_call>\n{\n  "name": "a",\n  "parameters": {"x": [1,\n 2]}\n}\n{"name": "b", "parameters": {}}\n</tool_call>'
    answer = parse_answer(out)
    assert [c.name for c in answer.calls] == ["a", "b"]
    assert answer.calls[0].arguments == {"x": [1, 2]}


def test_tags_inside_reasoning_are_text() -> None:
    reasoning = "I will put it in the <tool_call> block, not a <response>; then </think> is literal too."
    out = f'<think> {reasoning} </think>\n<tool_call>\n{{"name": "f", "parameters": {{}}}}\n</tool_call>'
    answer = parse_answer(out)
    assert answer.reasoning == reasoning
    assert [c.name for c in answer.calls] == ["f"]


def test_response_only_answer() -> None:
    answer = parse_answer("<think> just talk </think>\n<response> Hello there </response>")
    assert answer.calls == () and answer.response == "Hello there"


@pytest.mark.parametrize(
    "bad",
    [
        "no tags at all",
        "<think> only thinking </think>",
        '<tool_call>\n{"name": "f", "parameters": {}}\n</tool_call>',
        "<think> x </think>\n<tool_call>\n{broken json}\n</tool_call>",
        "<think> never closed",
    ],
)
def test_bad_answers_raise(bad: str) -> None:
    with pytest.raises(ToolRLParseError):
        parse_answer(bad)


def test_history_with_observation_answering_several_calls() -> None:
    text = (
        "**Dialogue Records History**\n<user> two things </user>\n\n"
        '<think> both </think>\n<tool_call>\n{"name": "a", "parameters": {}}\n{"name": "b", "parameters": {}}\n</tool_call>\n'
        '<obs> [{"name": "a", "results": {"ok": 1}}, {"name": "b", "results": [2]}] </obs>\n\n'
        "<think> answer </think>\n<response> done </response>\n\n<user> thanks </user>"
    )
    turns = parse_history(text)
    assert isinstance(turns[0], UserTurn) and turns[0].text == "two things"
    assert isinstance(turns[1], AssistantTurn) and [c.name for c in turns[1].calls] == ["a", "b"]
    assert isinstance(turns[2], Observation) and [r.results for r in turns[2].results] == [{"ok": 1}, [2]]
    assert turns[3] == AssistantTurn("answer", (), "done")
    assert turns[4] == UserTurn("thanks")


def test_every_fixture_record_parses_and_round_trips() -> None:
    records = fixture_records()
    assert len(records) == 380
    for where, record in records:
        example = parse_example(record["instruction"], record["input"], record["output"])
        again = parse_answer(format_answer(example.answer))
        assert again == example.answer, where


def test_fixture_shapes_are_present() -> None:
    """The fixtures hold every shape the issue lists, so the invariant tests cover them."""
    answers = [parse_answer(r["output"]) for _, r in fixture_records()]
    test_answers = answers[:80]
    assert sum(len(a.calls) > 1 for a in test_answers) == 35
    assert sum(not a.calls for a in test_answers) == 9
    literal = [a for a in answers[80:] if a.calls and ("<tool_call>" in a.reasoning or "</tool_call>" in a.reasoning or "<response>" in a.reasoning)]
    assert literal, "SFT rows mention the tags inside their reasoning"
