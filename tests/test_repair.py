"""The repair rule for ToolRL's tool names cut at "(" (issue 8), on small hand-made rows."""

from __future__ import annotations

import json

import pytest

from rlla_4k_gpt.convert.record import ConversionError, SourceDataError, convert_record
from rlla_4k_gpt.convert.repair import SourceContradiction, repair_example
from rlla_4k_gpt.convert.toolrl import parse_example

DAX = "DAX Point Changes for Each Month (January-August, 2022)"


def tool_entry(i: int, name: str, params: tuple[str, ...]) -> str:
    body = {p: {"description": p, "type": "str", "default": ""} for p in params}
    return f"{i}. Name: {name}\nDescription: d\nParameters: {json.dumps(body)}"


def record(tools: list[tuple[str, tuple[str, ...]]], calls: list[dict], history: str = "<user> hi </user>") -> dict:
    entries = "\n".join(tool_entry(i + 1, n, p) for i, (n, p) in enumerate(tools))
    lines = "\n".join(json.dumps(c) for c in calls)
    return {
        "instruction": f"Preamble\n**Available Tools**\n{entries}\n**Steps**\nx",
        "input": f"**Dialogue Records History**\n{history}",
        "output": f"<think> go </think>\n<tool_call>\n{lines}\n</tool_call>",
    }


def cut(key: str = "start_string", rest: str = "January-August, 2022", name: str = "DAX Point Changes for Each Month ") -> dict:
    return {"name": name, "parameters": {f"{rest})({key}": "2022-01-01", "end_string": "2022-08-31"}}


def repaired(rec: dict):
    return repair_example(parse_example(rec["instruction"], rec["input"], rec["output"]))


def test_cut_name_and_glued_key_are_repaired_keeping_argument_order() -> None:
    fixed, repairs = repaired(record([(DAX, ("start_string", "end_string"))], [cut()]))
    (call,) = fixed.answer.calls
    assert call.name == DAX and list(call.arguments) == ["start_string", "end_string"]
    assert [(r.place, r.name_before, r.key_before, r.key) for r in repairs] == [
        ("answer", "DAX Point Changes for Each Month ", "January-August, 2022)(start_string", "start_string")]


def test_whitespace_is_normalised_before_comparing() -> None:
    fixed, repairs = repaired(record([("Send  SMS (Custom  OTP)", ("phone",))], [cut("phone", "Custom OTP", "Send SMS")]))
    assert fixed.answer.calls[0].name == "Send  SMS (Custom  OTP)" and len(repairs) == 1


@pytest.mark.parametrize("tools, call", [
    ([(DAX, ("end_string",))], cut()),                                        # K is not a parameter
    ([(DAX, ("start_string",)), (DAX + " ", ("start_string",))], cut()),    # two tools match
    ([("Other (x)", ("start_string",))], cut()),                             # no tool matches
    ([(DAX, ("start_string",))], {"name": "DAX Point Changes for Each Month ", "parameters": {"start_string": 1}}),
])  # fmt: skip
def test_rule_does_not_apply_otherwise(tools: list, call: dict) -> None:
    fixed, repairs = repaired(record(tools, [call]))
    assert repairs == () and fixed.answer.calls[0].name == call["name"]


def obs(name: str) -> str:
    return f"<obs> {json.dumps([{'name': name, 'results': {'ok': 1}}])} </obs>"


def history_with(result_name: str) -> str:
    return f"<user> hi </user>\n<think> a </think>\n<tool_call>\n{json.dumps(cut())}\n</tool_call>\n{obs(result_name)}"


def test_history_calls_are_repaired_when_their_obs_agrees() -> None:
    rec = record([(DAX, ("start_string", "end_string"))], [{"name": DAX, "parameters": {}}], history_with(DAX))
    fixed, repairs = repaired(rec)
    assert fixed.history[1].calls[0].name == DAX and [r.place for r in repairs] == ["history turn 1"]
    conv = convert_record(rec, "mine.json row 0")
    assert len(conv.repairs) == 1 and conv.history[1].calls[0].arguments == {"start_string": "2022-01-01", "end_string": "2022-08-31"}


def test_repaired_history_call_disagreeing_with_its_obs_is_a_source_data_error() -> None:
    tools = [(DAX, ("start_string", "end_string")), ("Other", ())]
    rec = record(tools, [{"name": "Other", "parameters": {}}], history_with("Other"))
    with pytest.raises(SourceContradiction, match="not answered by its <obs>"):
        repaired(rec)
    with pytest.raises(SourceDataError, match=r"mine\.json row 3: repaired call"):
        convert_record(rec, "mine.json row 3")


def test_undeclared_tools_are_source_data_errors_and_other_failures_are_not() -> None:
    with pytest.raises(SourceDataError, match=r"row 1: call to undeclared tool 'Nope'"):
        convert_record(record([("Ping", ())], [{"name": "Nope", "parameters": {}}]), "f.json row 1")
    rec = record([("Ping", ())], [{"name": "Ping", "parameters": {}}], f"<user> hi </user>\n{obs('Gone')}")
    with pytest.raises(SourceDataError, match="tool result from undeclared tool 'Gone'"):
        convert_record(rec, "f.json row 2")
    with pytest.raises(ConversionError) as err:
        convert_record(dict(rec, output="<think> x"), "f.json row 4")
    assert not isinstance(err.value, SourceDataError) and "f.json row 4" in str(err.value)


def test_call_to_an_ambiguous_tool_still_raises_as_our_error() -> None:
    rec = record([("Ping", ()), ("Ping", ("host",))], [{"name": "Ping", "parameters": {}}])
    with pytest.raises(ConversionError, match=r"f\.json row 5: ValueError: call to ambiguous tool 'Ping'") as err:
        convert_record(rec, "f.json row 5")
    assert not isinstance(err.value, SourceDataError)
