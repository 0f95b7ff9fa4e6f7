"""A :class:`~rlla_4k_gpt.convert.record.Conversion` → one dataset row (the row contract).

Columns:

- ``data_source``: ``"rlla_gpt"``;
- ``prompt``: chat messages in the gpt-oss chat template's own shape (``datasets.Json`` values, so
  each message carries only its own keys): developer instructions first, then the history as user /
  assistant / tool messages. An assistant call is one message per call, ``tool_calls: [{"type":
  "function", "function": {"name", "arguments": <object>, "content_type": "<|constrain|>json"}}]``,
  with its analysis in ``thinking`` where harmony keeps it (the ongoing turn); a tool result is
  ``{"role": "tool", "name", "content": <the JSON value>}``. ``tokenizer.apply_chat_template(
  row["prompt"], tools=row["tools"])`` takes a loaded row as-is;
- ``prompt_text``: openai-harmony's rendering of the prompt (what vLLM renders for gpt-oss),
  ending with ``<|start|>assistant``; the classes by which the chat template's rendering of
  ``prompt`` + ``tools`` differs from it are counted in the build report and listed in
  docs/conversion.md;
- ``prompt_tokens``: the length of ``prompt_text`` in gpt-oss tokens (openai-harmony's encoding);
- ``template_tokens``: the length of the chat template's rendering of ``prompt`` + ``tools``
  (``add_generation_prompt=True``) in the same tokens;
- ``tools``: a list of tool objects ``{"type": "function", "function": {name, description,
  parameters}}`` (``datasets.Json``);
- ``reward_model``: ``{"style": "rule", "ground_truth": ...}``;
- ``answer``: the ground truth as structure: reasoning, calls (name, arguments JSON), final;
- ``ability``: ``"tool_calling"``;
- ``extra_info``: split, index, source and source row, the original→safe name map, and ToolRL's
  original ``instruction``, ``input`` and ``output``, and ``over_prompt_limit`` (``True`` when the
  build's ``max_prompt_tokens`` is set and the prompt is longer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from datasets import Features, Json, List, Value

from .record import Conversion, answer_to_dict
from .harmony import INSTRUCTIONS, JSON_CONTENT_TYPE
from .template import TemplateRendering, template_rendering
from .toolrl import AssistantTurn, Observation, ToolCall, Turn, UserTurn

DATA_SOURCE = "rlla_gpt"
ABILITY = "tool_calling"

_STR = Value("string")

FEATURES = Features(
    {
        "data_source": _STR,
        "prompt": List(Json()),
        "prompt_text": _STR,
        "prompt_tokens": Value("int64"),
        "template_tokens": Value("int64"),
        "tools": List(Json()),
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


Message = dict[str, Any]


def _call_message(call: ToolCall, thinking: str | None) -> Message:
    function = {"name": call.name, "arguments": call.arguments, "content_type": JSON_CONTENT_TYPE}
    message: Message = {"role": "assistant", "tool_calls": [{"type": "function", "function": function}]}
    if thinking is not None:
        message["thinking"] = thinking
    return message


def _assistant(turn: AssistantTurn, keep_thinking: bool) -> list[Message]:
    thinking = turn.reasoning if keep_thinking else None
    messages = [_call_message(c, thinking if i == 0 else None) for i, c in enumerate(turn.calls)]
    if turn.response is not None:
        messages.append({"role": "assistant", "content": turn.response})
    return messages


def _last_final_turn(history: list[Turn]) -> int:
    """Index of the last assistant turn with a final reply (-1 if none): analysis of turns before
    it is dropped, as openai-harmony renders it (:func:`~rlla_4k_gpt.convert.harmony.drop_earlier_analysis`)."""
    finals = [i for i, t in enumerate(history) if isinstance(t, AssistantTurn) and t.response is not None]
    return finals[-1] if finals else -1


def chat_messages(history: Iterable[Turn], instructions: str = INSTRUCTIONS) -> list[Message]:
    """The ``prompt`` column: developer instructions, then the history as chat messages.

    Example:
        >>> from rlla_4k_gpt.convert.toolrl import ToolResult
        >>> msgs = chat_messages([UserTurn("hi"), AssistantTurn("look it up", (ToolCall("f", {"q": 1}),), None),
        ...                       Observation((ToolResult("f", {"ok": True}),))])
        >>> msgs[2]
        {'role': 'assistant', 'tool_calls': [{'type': 'function', 'function': {'name': 'f', 'arguments': {'q': 1}, 'content_type': '<|constrain|>json'}}], 'thinking': 'look it up'}
        >>> msgs[3]
        {'role': 'tool', 'name': 'f', 'content': {'ok': True}}
    """
    turns = list(history)
    last_final = _last_final_turn(turns)
    messages: list[Message] = [{"role": "developer", "content": instructions}]
    for i, turn in enumerate(turns):
        if isinstance(turn, UserTurn):
            messages.append({"role": "user", "content": turn.text})
        elif isinstance(turn, Observation):
            messages += [{"role": "tool", "name": r.name, "content": r.results} for r in turn.results]
        else:
            messages += _assistant(turn, keep_thinking=i > last_final)
    return messages


def _json_value(value: Any) -> str:
    """A value for a ``datasets.Json`` column, encoded here with ``json.dumps`` (datasets'
    own encoder rounds floats to 10 digits; text that is valid JSON is stored as given)."""
    return json.dumps(value, ensure_ascii=False)


def as_loaded(values: Sequence[Any]) -> list[Any]:
    """``values`` as ``load_dataset`` returns them from a ``List(Json())`` column: encoded with
    :func:`_json_value`, decoded by ``datasets.Json``. Its JSON reader (pandas' ujson) may read a
    float of 17 significant digits one unit in the last place off, as openai-harmony does.

    Example:
        >>> as_loaded([{"a": [1, 2.5, "x"]}])
        [{'a': [1, 2.5, 'x']}]
    """
    feature = Json()
    return [feature.decode_example(_json_value(v)) for v in values]


def template_rendering_of(conv: Conversion) -> TemplateRendering:
    """The template rendering of a row's ``prompt`` and ``tools`` as a user loads them."""
    return template_rendering(as_loaded(chat_messages(conv.history)), as_loaded(conv.tools), conv.prompt_text)


def make_row(
    conv: Conversion, record: dict[str, Any], split: str, index: int, source: str, source_row: int,
    over_limit: bool = False, rendering: TemplateRendering | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Assemble the row contract for one converted record (``rendering``: the template rendering
    of its prompt, when the caller already has it)."""
    prompt = chat_messages(conv.history)
    rendering = rendering or template_rendering_of(conv)
    return {
        "data_source": DATA_SOURCE,
        "prompt": [_json_value(m) for m in prompt],
        "prompt_text": conv.prompt_text,
        "prompt_tokens": conv.prompt_tokens,
        "template_tokens": rendering.tokens,
        "tools": [_json_value(t) for t in conv.tools],
        "reward_model": {"style": "rule", "ground_truth": conv.ground_truth},
        "answer": answer_to_dict(conv.answer),
        "ability": ABILITY,
        "extra_info": {
            "split": split,
            "index": index,
            "source": source,
            "source_row": source_row,
            "name_map": [pair._asdict() for pair in conv.names],
            "instruction": record["instruction"],
            "input": record["input"],
            "output": record["output"],
            "over_prompt_limit": over_limit,
        },
    }


def decoded(values: list[Any] | None) -> list[Any]:
    """A ``prompt`` or ``tools`` value as Python objects, whether it was read with ``datasets``
    (already decoded) or straight from the parquet with pyarrow (JSON text per item).

    Example:
        >>> decoded(['{"role": "user", "content": "hi"}']) == decoded([{"role": "user", "content": "hi"}])
        True
    """
    return [json.loads(v) if isinstance(v, str) else v for v in values or []]
