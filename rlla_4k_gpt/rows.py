"""Step 5: a :class:`~rlla_4k_gpt.convert.Conversion` → one dataset row (the row contract).

Columns:

- ``data_source``: ``"rlla_gpt"``;
- ``prompt``: chat messages for the gpt-oss chat template (developer instructions first; history
  as user / assistant / tool messages, one tool call per assistant message, analysis in
  ``thinking``). Arrow gives every message every field, with ``null`` where unused, and stores
  call arguments as JSON text; :func:`template_messages` returns exactly what
  ``tokenizer.apply_chat_template(messages, tools=json.loads(row["tools"]))`` expects;
- ``prompt_text``: the rendered harmony prompt, ending with ``<|start|>assistant``;
- ``prompt_tokens``: the length of ``prompt_text`` in gpt-oss tokens (openai-harmony's encoding);
- ``tools``: JSON text of ``[{"type": "function", "function": {name, description, parameters}}]``;
- ``reward_model``: ``{"style": "rule", "ground_truth": ...}``;
- ``answer``: the ground truth as structure: reasoning, calls (name, arguments JSON), final;
- ``ability``: ``"tool_calling"``;
- ``extra_info``: split, index, source and source row, the original→safe name map, and ToolRL's
  original ``instruction``, ``input`` and ``output``, and ``over_prompt_limit`` (``True`` when the
  build's ``max_prompt_tokens`` is set and the prompt is longer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from datasets import Features, List, Value

from .convert import Conversion, answer_to_dict
from .harmony import INSTRUCTIONS
from .toolrl import AssistantTurn, Observation, ToolCall, Turn, UserTurn

DATA_SOURCE = "rlla_gpt"
ABILITY = "tool_calling"

_STR = Value("string")
_CALL = {"type": _STR, "function": {"name": _STR, "arguments": _STR}}
MESSAGE = {"role": _STR, "content": _STR, "thinking": _STR, "name": _STR, "tool_calls": List(_CALL)}

FEATURES = Features(
    {
        "data_source": _STR,
        "prompt": List(MESSAGE),
        "prompt_text": _STR,
        "prompt_tokens": Value("int64"),
        "tools": _STR,
        "reward_model": {"style": _STR, "ground_truth": _STR},
        "answer": {"reasoning": _STR, "calls": List({"name": _STR, "arguments": _STR}), "final": _STR},
        "ability": _STR,
        "extra_info": {
            "split": _STR,
            "index": Value("int64"),
            "source": _STR,
            "source_row": Value("int64"),
            "name_map": List({"original": _STR, "safe": _STR}),
            "instruction": _STR,
            "input": _STR,
            "output": _STR,
            "over_prompt_limit": Value("bool"),
        },
    }
)


def _message(role: str, content: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"role": role, "content": content, "thinking": None, "name": None, "tool_calls": None, **fields}


def _call_entry(call: ToolCall) -> dict[str, Any]:
    return {"type": "function", "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)}}


def _assistant(turn: AssistantTurn) -> list[dict[str, Any]]:
    messages = [_message("assistant", tool_calls=[_call_entry(c)]) for c in turn.calls]
    if turn.response is not None:
        messages.append(_message("assistant", turn.response))
    if messages:
        messages[0]["thinking"] = turn.reasoning
    return messages


def chat_messages(history: Iterable[Turn], instructions: str = INSTRUCTIONS) -> list[dict[str, Any]]:
    """The ``prompt`` column: developer instructions, then the history as chat messages."""
    messages = [_message("developer", instructions)]
    for turn in history:
        if isinstance(turn, UserTurn):
            messages.append(_message("user", turn.text))
        elif isinstance(turn, Observation):
            messages += [_message("tool", json.dumps(r.results, ensure_ascii=False), name=r.name) for r in turn.results]
        else:
            messages += _assistant(turn)
    return messages


def template_messages(prompt: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``prompt`` as the gpt-oss chat template wants it: no null fields, arguments as objects.

    Example:
        >>> msgs = template_messages([{"role": "assistant", "content": None, "thinking": "t", "name": None,
        ...     "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]}])
        >>> msgs[0]["tool_calls"][0]["function"]["arguments"]
        {'x': 1}
    """
    out = []
    for message in prompt:
        clean = {k: v for k, v in message.items() if v is not None}
        if "tool_calls" in clean:
            clean["tool_calls"] = [_decoded_call(c) for c in clean["tool_calls"]]
        out.append(clean)
    return out


def _decoded_call(call: dict[str, Any]) -> dict[str, Any]:
    function = dict(call["function"], arguments=json.loads(call["function"]["arguments"]))
    return {"type": call.get("type") or "function", "function": function}


def make_row(
    conv: Conversion, record: dict[str, Any], split: str, index: int, source: str, source_row: int,
    over_limit: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Assemble the row contract for one converted record."""
    return {
        "data_source": DATA_SOURCE,
        "prompt": chat_messages(conv.history),
        "prompt_text": conv.prompt_text,
        "prompt_tokens": conv.prompt_tokens,
        "tools": json.dumps(conv.tools, ensure_ascii=False),
        "reward_model": {"style": "rule", "ground_truth": conv.ground_truth},
        "answer": answer_to_dict(conv.answer),
        "ability": ABILITY,
        "extra_info": {
            "split": split,
            "index": index,
            "source": source,
            "source_row": source_row,
            "name_map": [{"original": o, "safe": s} for o, s in conv.names],
            "instruction": record["instruction"],
            "input": record["input"],
            "output": record["output"],
            "over_prompt_limit": over_limit,
        },
    }
