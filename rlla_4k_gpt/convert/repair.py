"""Repair ToolRL's tool names that were cut at ``(``.

ToolRL's preprocessing cut some tool names at ``(`` and glued the rest of the name onto the first
parameter key of the call::

    declared:  DAX Point Changes for Each Month (January-August, 2022)
    called:    {"name": "DAX Point Changes for Each Month ",
                "parameters": {"January-August, 2022)(start_string": "2022-01-01", ...}}

Rule (general, not a list of rows): a call named ``N`` whose first parameter key is ``R)(K`` is
mapped to the declared tool ``N(R)`` and the key to ``K`` when ``N.rstrip() + " (" + R + ")"``
equals exactly one declared tool name (both compared after whitespace normalisation) and ``K`` is
one of that tool's parameters. It is applied to the answer and to every history call. A repaired
history call must be answered by an ``<obs>`` naming the repaired tool, when an ``<obs>`` follows.

A row that still contradicts itself afterwards (see :class:`SourceContradiction`) is a
source-data error: the builder excludes and reports it by default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .toolrl import AssistantTurn, Observation, ToolCall, ToolRLExample, ToolSpec, Turn

GLUE = ")("


class SourceContradiction(ValueError):
    """The row contradicts itself upstream (e.g. a call to a tool it does not declare)."""


@dataclass(frozen=True)
class Repair:
    """One repaired call: where it was (``answer`` or ``history turn N``), before and after."""

    place: str
    name_before: str
    key_before: str
    name: str
    key: str


def _normal(text: str) -> str:
    return " ".join(text.split())


def repair_call(call: ToolCall, tools: tuple[ToolSpec, ...]) -> tuple[ToolCall, tuple[str, str] | None]:
    """The call with its cut name and glued first key repaired, and ``(name, key)`` when it was.

    Example:
        >>> from rlla_4k_gpt.convert.toolrl import ToolParam
        >>> spec = ToolSpec("Sum (v2)", "Adds.", (ToolParam("a", "int"), ToolParam("b", "int")))
        >>> repair_call(ToolCall("Sum ", {"v2)(a": 1, "b": 2}), (spec,))
        (ToolCall(name='Sum (v2)', arguments={'a': 1, 'b': 2}), ('Sum (v2)', 'a'))
        >>> repair_call(ToolCall("Sum ", {"v3)(a": 1}), (spec,))[1] is None
        True
    """
    first = next(iter(call.arguments), None)
    if not isinstance(first, str) or GLUE not in first:
        return call, None
    rest, _, key = first.rpartition(GLUE)
    wanted = _normal(f"{call.name.rstrip()} ({rest})")
    matches = {t.name: t for t in tools if _normal(t.name) == wanted}
    if len(matches) != 1:
        return call, None
    (spec,) = matches.values()
    if key not in {p.name for p in spec.params}:
        return call, None
    arguments = {(key if k == first else k): v for k, v in call.arguments.items()}
    return ToolCall(spec.name, arguments), (spec.name, key)


def _repair_turn(turn: AssistantTurn, tools: tuple[ToolSpec, ...], place: str) -> tuple[AssistantTurn, list[Repair]]:
    calls, repairs = [], []
    for call in turn.calls:
        fixed, done = repair_call(call, tools)
        calls.append(fixed)
        if done is not None:
            repairs.append(Repair(place, call.name, next(iter(call.arguments)), *done))
    return (dataclasses.replace(turn, calls=tuple(calls)) if repairs else turn), repairs


def _check_obs(repairs: list[Repair], following: Turn | None) -> None:
    """A repaired history call must agree with the ``<obs>`` that answers it."""
    if not isinstance(following, Observation):
        return
    answered = {r.name for r in following.results}
    for r in repairs:
        if r.name not in answered:
            raise SourceContradiction(f"repaired call {r.name!r} ({r.place}) is not answered by its <obs> ({sorted(answered)})")


def repair_example(example: ToolRLExample) -> tuple[ToolRLExample, tuple[Repair, ...]]:
    """Apply the repair rule to every call of the history and the answer.

    Example:
        >>> from rlla_4k_gpt.convert.toolrl import parse_example
        >>> ex = parse_example("**Available Tools**\\n1. Name: Ping (v2)\\nDescription: Ping.\\n"
        ...     'Parameters: {"host": {"type": "str"}}', "**Dialogue Records History**\\n<user> hi </user>",
        ...     '<think> go </think>\\n<tool_call>\\n{"name": "Ping ", "parameters": {"v2)(host": "a"}}\\n</tool_call>')
        >>> fixed, repairs = repair_example(ex)
        >>> fixed.answer.calls[0], repairs[0].name_before
        (ToolCall(name='Ping (v2)', arguments={'host': 'a'}), 'Ping ')
    """
    history: list[Turn] = []
    repairs: list[Repair] = []
    turns = example.history
    for i, turn in enumerate(turns):
        if isinstance(turn, AssistantTurn):
            turn, done = _repair_turn(turn, example.tools, f"history turn {i}")
            _check_obs(done, turns[i + 1] if i + 1 < len(turns) else None)
            repairs += done
        history.append(turn)
    answer, done = _repair_turn(example.answer, example.tools, "answer")
    repairs += done
    if not repairs:
        return example, ()
    return dataclasses.replace(example, history=tuple(history), answer=answer), tuple(repairs)
