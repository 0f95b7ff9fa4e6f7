"""Parse ToolRL's raw text into typed structures.

A ToolRL example has three text fields:

- ``instruction``: a fixed preamble, an ``**Available Tools**`` list
  (``N. Name: ...`` / ``Description: ...`` / ``Parameters: {json}``), then fixed sections on steps,
  output format and notes;
- ``input``: ``**Dialogue Records History**`` followed by ``<user>`` turns and earlier assistant
  turns (``<think>``, ``<tool_call>``, ``<obs>``, ``<response>``);
- ``output``: ``<think> ... </think>`` then a ``<tool_call>`` block of JSON objects and/or a
  ``<response>``.

Reasoning text may mention the tags literally, so blocks are closed only where the closing tag is
followed by another block (or the end), and tool-call JSON is read with a JSON decoder, never by
splitting lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Union

TOOLS_HEADER = "**Available Tools**"
HISTORY_HEADER = "**Dialogue Records History**"
_TOOL_ENTRY = re.compile(
    r"^\d+\. Name: (?P<name>.*?)\nDescription: (?P<description>.*?)\nParameters: (?P<params>.*)\Z",
    re.S,
)
_ENTRY_SPLIT = re.compile(r"\n(?=\d+\. Name: )")
_DECODER = json.JSONDecoder()


class ToolRLParseError(ValueError):
    """Raised when a ToolRL field does not have the documented shape."""


@dataclass(frozen=True)
class ToolParam:
    """One parameter as ToolRL declares it (``type`` is the raw string, e.g. ``"int, optional"``)."""

    name: str
    type: Any
    description: str = ""
    default: Any = ""


@dataclass(frozen=True)
class ToolSpec:
    """A tool from the ``**Available Tools**`` list."""

    name: str
    description: str
    params: tuple[ToolParam, ...]


@dataclass(frozen=True)
class ToolCall:
    """A call: tool name and its arguments."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """One entry of an ``<obs>`` list."""

    name: str
    results: Any


@dataclass(frozen=True)
class UserTurn:
    text: str


@dataclass(frozen=True)
class AssistantTurn:
    """One assistant step: reasoning, then calls and/or a response (either may be empty)."""

    reasoning: str | None = None
    calls: tuple[ToolCall, ...] = ()
    response: str | None = None


@dataclass(frozen=True)
class Observation:
    results: tuple[ToolResult, ...]


Turn = Union[UserTurn, AssistantTurn, Observation]


@dataclass(frozen=True)
class Answer(AssistantTurn):
    """The ``output`` field: what the model should produce."""


@dataclass(frozen=True)
class ToolRLExample:
    """A whole parsed ToolRL row."""

    tools: tuple[ToolSpec, ...]
    history: tuple[Turn, ...]
    answer: Answer
    extra: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- instruction


def tools_section(instruction: str) -> str:
    """The text of the ``**Available Tools**`` section (without its header line)."""
    start = instruction.find(TOOLS_HEADER)
    if start < 0:
        raise ToolRLParseError(f"instruction has no {TOOLS_HEADER!r} section")
    body = instruction[start + len(TOOLS_HEADER) :]
    end = body.find("\n**")
    return body if end < 0 else body[:end]


def parse_tool_entry(entry: str) -> ToolSpec:
    """Parse ``N. Name: ...`` / ``Description: ...`` / ``Parameters: {...}``.

    Example:
        >>> spec = parse_tool_entry('1. Name: Get News\\nDescription: News.\\nParameters: '
        ...     '{"page": {"description": "Page", "type": "int", "default": ""}}')
        >>> spec.name, spec.params[0].type
        ('Get News', 'int')
    """
    match = _TOOL_ENTRY.match(entry.strip("\n"))
    if not match:
        raise ToolRLParseError(f"tool entry is not 'N. Name/Description/Parameters': {entry[:80]!r}")
    try:
        raw = json.loads(match["params"])
    except json.JSONDecodeError as err:
        raise ToolRLParseError(f"tool {match['name']!r}: Parameters is not JSON ({err})") from None
    return ToolSpec(match["name"], match["description"], _params(match["name"], raw))


def _params(tool: str, raw: Any) -> tuple[ToolParam, ...]:
    if not isinstance(raw, dict):
        raise ToolRLParseError(f"tool {tool!r}: Parameters must be a JSON object")
    params = []
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise ToolRLParseError(f"tool {tool!r}: parameter {name!r} is not an object")
        params.append(
            ToolParam(name, spec.get("type"), str(spec.get("description") or ""), spec.get("default", ""))
        )
    return tuple(params)


def parse_tools(instruction: str) -> tuple[ToolSpec, ...]:
    """All tools declared in an instruction, in order."""
    entries = _ENTRY_SPLIT.split(tools_section(instruction))
    return tuple(parse_tool_entry(e) for e in entries[1:])


# ----------------------------------------------------------------------------- tagged blocks

_OPENERS = ("<user>", "<think>", "<tool_call>", "<obs>", "<response>")


def _block_end(text: str, pos: int, tag: str, followers: tuple[str, ...]) -> int:
    """Index of the closing ``</tag>`` at or after ``pos`` that is followed by a block or the end."""
    closing = f"</{tag}>"
    search = pos
    while True:
        end = text.find(closing, search)
        if end < 0:
            raise ToolRLParseError(f"<{tag}> at offset {pos} is never closed")
        rest = text[end + len(closing) :].lstrip()
        if not rest or rest.startswith(followers):
            return end
        search = end + 1


def _read_block(text: str, pos: int, tag: str) -> tuple[str, int]:
    """Read ``<tag> body </tag>`` starting at ``pos``; return the stripped body and the next offset."""
    start = pos + len(tag) + 2
    end = _block_end(text, start, tag, _OPENERS)
    return text[start:end].strip(), end + len(tag) + 3


def _read_json_values(text: str, pos: int, closing: str) -> tuple[list[Any], int]:
    """Read whitespace-separated JSON values until ``closing``; return them and the next offset."""
    values = []
    while True:
        pos = _skip_space(text, pos)
        if text.startswith(closing, pos):
            return values, pos + len(closing)
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise ToolRLParseError(f"invalid JSON before {closing} at offset {pos}: {err.msg}") from None
        values.append(value)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _to_call(value: Any) -> ToolCall:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise ToolRLParseError(f"tool call is not {{'name', 'parameters'}}: {str(value)[:80]}")
    args = value.get("parameters", value.get("arguments", {}))
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ToolRLParseError(f"tool call {value['name']!r}: parameters is not an object")
    return ToolCall(value["name"], args)


def _to_results(values: list[Any]) -> tuple[ToolResult, ...]:
    items = values[0] if len(values) == 1 and isinstance(values[0], list) else values
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ToolRLParseError(f"<obs> entry is not {{'name', 'results'}}: {str(item)[:80]}")
        out.append(ToolResult(item["name"], item.get("results")))
    return tuple(out)


def _read_calls(text: str, pos: int) -> tuple[tuple[ToolCall, ...], int]:
    values, pos = _read_json_values(text, pos + len("<tool_call>"), "</tool_call>")
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    return tuple(_to_call(v) for v in flat), pos


def _read_obs(text: str, pos: int) -> tuple[Observation, int]:
    values, pos = _read_json_values(text, pos + len("<obs>"), "</obs>")
    return Observation(_to_results(values)), pos


# ----------------------------------------------------------------------------- events → turns


def _events(text: str) -> list[tuple[str, Any]]:
    """Split tagged text into ``(tag, payload)`` events, in order."""
    events: list[tuple[str, Any]] = []
    pos = _skip_space(text, 0)
    while pos < len(text):
        tag = next((t[1:-1] for t in _OPENERS if text.startswith(t, pos)), None)
        if tag is None:
            raise ToolRLParseError(f"unexpected text at offset {pos}: {text[pos:pos + 60]!r}")
        if tag == "tool_call":
            payload, pos = _read_calls(text, pos)
        elif tag == "obs":
            payload, pos = _read_obs(text, pos)
        else:
            payload, pos = _read_block(text, pos, tag)
        events.append((tag, payload))
        pos = _skip_space(text, pos)
    return events


def _group_turns(events: list[tuple[str, Any]]) -> list[Turn]:
    """Fold think/tool_call/response events into assistant turns."""
    turns: list[Turn] = []
    current: dict[str, Any] = {}
    for tag, payload in events:
        if tag in ("user", "obs") or (tag == "think" and current) or tag in current:
            _flush(turns, current)
        if tag == "user":
            turns.append(UserTurn(payload))
        elif tag == "obs":
            turns.append(payload)
        else:
            current[tag] = payload
    _flush(turns, current)
    return turns


def _flush(turns: list[Turn], current: dict[str, Any]) -> None:
    if current:
        turns.append(
            AssistantTurn(current.get("think"), tuple(current.get("tool_call", ())), current.get("response"))
        )
        current.clear()


def parse_history(text: str) -> tuple[Turn, ...]:
    """Parse the ``input`` field into user turns, assistant turns and observations.

    Example:
        >>> turns = parse_history('**Dialogue Records History**\\n<user> Hi </user>')
        >>> turns
        (UserTurn(text='Hi'),)
    """
    start = text.find(HISTORY_HEADER)
    if start < 0:
        raise ToolRLParseError(f"input has no {HISTORY_HEADER!r} header")
    return tuple(_group_turns(_events(text[start + len(HISTORY_HEADER) :])))


def parse_answer(text: str) -> Answer:
    """Parse the ``output`` field: ``<think>``, then ``<tool_call>`` and/or ``<response>``.

    Example:
        >>> a = parse_answer('<think> go </think>\\n<tool_call>\\n{"name": "f", "parameters": {"x": 1}}\\n</tool_call>')
        >>> a.reasoning, a.calls[0].arguments, a.response
        ('go', {'x': 1}, None)
    """
    turns = _group_turns(_events(text))
    if len(turns) != 1 or not isinstance(turns[0], AssistantTurn):
        raise ToolRLParseError("output must be one <think> followed by <tool_call> and/or <response>")
    turn = turns[0]
    if turn.reasoning is None:
        raise ToolRLParseError("output has no <think> block")
    if not turn.calls and turn.response is None:
        raise ToolRLParseError("output has neither <tool_call> nor <response>")
    return Answer(turn.reasoning, turn.calls, turn.response)


def parse_example(instruction: str, input_text: str, output: str) -> ToolRLExample:
    """Parse one ToolRL row (``instruction``, ``input``, ``output``)."""
    return ToolRLExample(parse_tools(instruction), parse_history(input_text), parse_answer(output))


# ----------------------------------------------------------------------------- back to ToolRL


def format_answer(answer: AssistantTurn) -> str:
    """Render an answer in ToolRL's XML form (the inverse of :func:`parse_answer`).

    Example:
        >>> format_answer(Answer('go', (ToolCall('f', {'x': 1}),), None))
        '<think> go </think>\\n<tool_call>\\n{"name": "f", "parameters": {"x": 1}}\\n</tool_call>'
    """
    parts = [f"<think> {answer.reasoning} </think>"]
    if answer.calls:
        lines = [json.dumps({"name": c.name, "parameters": c.arguments}, ensure_ascii=False) for c in answer.calls]
        parts.append("<tool_call>\n" + "\n".join(lines) + "\n</tool_call>")
    if answer.response is not None:
        parts.append(f"<response> {answer.response} </response>")
    return "\n".join(parts)
