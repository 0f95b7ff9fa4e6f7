"""One ToolRL record → one harmony example (names made safe, arguments fitted, rendered)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from .harmony import assistant_messages, developer_message, render_ground_truth, render_prompt, result_message
from .harmony import system_message, user_message
from .names import safe_names
from .repair import Repair, SourceContradiction, repair_example
from .schema import Change, fit_call, function_schema
from .toolrl import Answer, AssistantTurn, Observation, ToolCall, ToolResult, ToolRLExample, ToolSpec, Turn
from .toolrl import UserTurn, parse_example


class ConversionError(ValueError):
    """A record that cannot be converted; the message names the file and row."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class SourceDataError(ConversionError):
    """A record that contradicts itself upstream (a call to, or result from, an undeclared tool).

    A default build excludes and reports such rows; ``--strict`` (``strict=True``) raises.
    """


class NameMap(NamedTuple):
    """A declared tool name and the harmony-safe name it is rendered under (often the same)."""

    original: str
    safe: str


@dataclass(frozen=True)
class Conversion:
    """Everything a row is made from."""

    tools: list[dict[str, Any]]
    names: list[NameMap]
    history: tuple[Turn, ...]
    answer: Answer
    prompt_text: str
    prompt_tokens: int
    ground_truth: str
    changes: list[Change]
    dropped_duplicate_tools: int
    repairs: tuple[Repair, ...] = ()


def _dedupe_tools(tools: tuple[ToolSpec, ...]) -> tuple[list[ToolSpec], int]:
    """Drop exact repeats of a tool declaration; return the rest and how many were dropped."""
    kept: list[ToolSpec] = []
    for tool in tools:
        if tool not in kept:  # specs may hold unhashable defaults, so compare by equality
            kept.append(tool)
    return kept, len(tools) - len(kept)


def _name_map(specs: list[ToolSpec], safe: list[str]) -> dict[str, str]:
    """Original → safe name for calls. A name declared twice with different specs is ambiguous
    and left out, so a call to it fails with a clear error."""
    originals = [t.name for t in specs]
    return {o: s for o, s in zip(originals, safe) if originals.count(o) == 1}


def _safe_name(name: str, name_map: dict[str, str], declared: set[str], what: str) -> str:
    if name not in declared:
        raise SourceContradiction(f"{what} undeclared tool {name!r}")
    if name not in name_map:
        raise ValueError(f"{what} ambiguous tool {name!r} (declared twice with different specs)")
    return name_map[name]


class _Fitter:
    """Renames and fits every call of one example against its (mutable) tool schemas."""

    def __init__(self, tools: list[dict[str, Any]], name_map: dict[str, str], declared: set[str]):
        self.params = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
        self.name_map = name_map
        self.declared = declared
        self.changes: list[Change] = []

    def call(self, call: ToolCall) -> ToolCall:
        renamed = ToolCall(_safe_name(call.name, self.name_map, self.declared, "call to"), call.arguments)
        fitted, changes = fit_call(renamed, self.params[renamed.name], call.name)
        self.changes.extend(changes)
        return fitted

    def turn(self, turn: Turn) -> Turn:
        if isinstance(turn, Observation):
            results = (ToolResult(_safe_name(r.name, self.name_map, self.declared, "tool result from"), r.results) for r in turn.results)
            return Observation(tuple(results))
        if isinstance(turn, AssistantTurn):
            return dataclasses.replace(turn, calls=tuple(self.call(c) for c in turn.calls))
        return turn


def _harmony_history(turns: tuple[Turn, ...]) -> list:
    messages = []
    for turn in turns:
        if isinstance(turn, UserTurn):
            messages.append(user_message(turn.text))
        elif isinstance(turn, Observation):
            messages += [result_message(r) for r in turn.results]
        else:
            messages += assistant_messages(turn)
    return messages


def convert_example(example: ToolRLExample, effort: str = "medium") -> Conversion:
    """Convert a parsed ToolRL example (names cut at ``(`` repaired first, see :mod:`.repair`).

    Raises :class:`SourceContradiction` for upstream contradictions, other ``ValueError``s on bad input.
    """
    example, repairs = repair_example(example)
    specs, dropped = _dedupe_tools(example.tools)
    safe = safe_names([t.name for t in specs])
    tools = [function_schema(t, s) for t, s in zip(specs, safe)]
    fitter = _Fitter(tools, _name_map(specs, safe), {t.name for t in specs})
    history = tuple(fitter.turn(t) for t in example.history)
    answer = fitter.turn(example.answer)
    assert isinstance(answer, Answer)
    head = [system_message(effort), developer_message(tools)]
    prompt_text, prompt_tokens = render_prompt(head + _harmony_history(history))
    ground_truth = render_ground_truth(assistant_messages(answer))
    names = [NameMap(t.name, s) for t, s in zip(specs, safe)]
    return Conversion(tools, names, history, answer, prompt_text, prompt_tokens, ground_truth, fitter.changes, dropped, repairs)


def convert_record(record: dict[str, Any], where: str, effort: str = "medium") -> Conversion:
    """Parse and convert one ``{"instruction", "input", "output"}`` record.

    ``where`` names the file and row for error messages.

    Example:
        >>> rec = {"instruction": "**Available Tools**\\n1. Name: Ping\\nDescription: Ping.\\nParameters: {}",
        ...        "input": "**Dialogue Records History**\\n<user> ping </user>",
        ...        "output": '<think> call it </think>\\n<tool_call>\\n{"name": "Ping", "parameters": {}}\\n</tool_call>'}
        >>> convert_record(rec, "example.json row 0").ground_truth
        '<|channel|>analysis<|message|>call it<|end|><|start|>assistant to=functions.Ping<|channel|>commentary <|constrain|>json<|message|>{}<|call|>'
    """
    try:
        fields = [record[k] for k in ("instruction", "input", "output")]
        if not all(isinstance(f, str) for f in fields):
            raise ValueError("instruction, input and output must be strings")
        return convert_example(parse_example(*fields), effort)
    except SourceContradiction as err:
        raise SourceDataError(where, str(err)) from None
    except (KeyError, ValueError) as err:
        raise ConversionError(where, f"{type(err).__name__}: {err}") from None


def answer_to_dict(answer: AssistantTurn) -> dict[str, Any]:
    """The structured answer column: reasoning, calls (arguments as JSON text) and final."""
    calls = [{"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)} for c in answer.calls]
    return {"reasoning": answer.reasoning, "calls": calls, "final": answer.response}
