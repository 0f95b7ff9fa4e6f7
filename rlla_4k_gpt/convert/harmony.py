"""Render parsed ToolRL examples as gpt-oss harmony through openai-harmony.

- System message: harmony's default identity, a configurable reasoning effort and no current date
  (so builds are reproducible).
- Developer message: ``# Instructions`` (ToolRL's instructions rewritten for harmony, no XML tags)
  and ``# Tools`` (the ``functions`` namespace, rendered by openai-harmony from JSON Schema).
- History: user turns; assistant analysis; calls on ``commentary`` to ``functions.NAME`` with
  ``<|constrain|>json`` content; results as ``functions.NAME to=assistant`` on ``commentary``;
  assistant finals. Analysis from completed turns (anything before the last final message) is
  dropped, and analysis of the ongoing turn (after the last final, e.g. before a pending call) is
  kept: gpt-oss's documented rule, which the HF chat template also applies. openai-harmony's own
  ``auto_drop_analysis`` only drops analysis before the *first* final, and only when the last
  assistant message is a final, so it is turned off and the rule is applied here.
- Ground truth: the text after the prompt's trailing ``<|start|>assistant``: the analysis, each
  call as its own message ending ``<|call|>``, and/or a final ending ``<|return|>``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from typing import Any

from openai_harmony import (
    Author,
    Conversation,
    DeveloperContent,
    HarmonyEncoding,
    HarmonyEncodingName,
    Message,
    ReasoningEffort,
    RenderConversationConfig,
    Role,
    SystemContent,
    ToolDescription,
    load_harmony_encoding,
)

from .toolrl import AssistantTurn, ToolCall, ToolResult

JSON_CONTENT_TYPE = "<|constrain|>json"
ASSISTANT_START = "<|start|>assistant"

INSTRUCTIONS = """\
You are a helpful multi-turn dialogue assistant. You solve the user's tasks by calling the \
tools below when they help, and you reply in a clear, well-structured way.

Work through each turn in three steps:
1. Think: recall what matters from the conversation so far and work out what the user wants now.
2. Decide on tools: if a tool is needed, call it with the right arguments. You may call several \
tools, one call per message. A tool without parameters takes an empty JSON object.
3. Respond: if a reply is needed, write it, staying consistent with the rest of the conversation.

Always reason first. Then call one or more tools, reply to the user, or both. Earlier user \
messages, tool calls, tool results and replies in this conversation are context for the current \
turn."""

_EFFORTS = {e.value.lower(): e for e in ReasoningEffort}
_SPECIAL_TEXT = re.compile(r"<\|[A-Za-z0-9_]+\|>")


class HarmonyTextError(ValueError):
    """Message text contains a literal harmony special token."""


@functools.lru_cache(maxsize=1)
def encoding() -> HarmonyEncoding:
    """The gpt-oss harmony encoding (using a local vocab when :mod:`rlla_4k_gpt.vocab` finds one)."""
    from ..vocab import ensure_offline_vocab

    ensure_offline_vocab()
    return load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)


def reasoning_effort(name: str) -> ReasoningEffort:
    """``"low"``/``"medium"``/``"high"`` → :class:`ReasoningEffort`, with a clear error otherwise."""
    try:
        return _EFFORTS[name.lower()]
    except KeyError:
        raise ValueError(f"reasoning effort must be one of {sorted(_EFFORTS)}, not {name!r}") from None


def check_text(text: str) -> str:
    """Return ``text`` unchanged, or raise if it holds a literal harmony special token."""
    found = _SPECIAL_TEXT.search(text)
    if found and found.group(0) in encoding().special_tokens_set():
        raise HarmonyTextError(f"text contains the harmony special token {found.group(0)}")
    return text


# ----------------------------------------------------------------------------- messages


def system_message(effort: str = "medium") -> Message:
    content = SystemContent.new().with_reasoning_effort(reasoning_effort(effort)).with_conversation_start_date(None)
    return Message.from_role_and_content(Role.SYSTEM, content)


def developer_message(tools: Sequence[dict[str, Any]], instructions: str = INSTRUCTIONS) -> Message:
    """Developer message with instructions and the ``functions`` namespace."""
    descriptions = [
        ToolDescription.new(t["function"]["name"], t["function"]["description"], parameters=t["function"]["parameters"])
        for t in tools
    ]
    content = DeveloperContent.new().with_instructions(instructions).with_function_tools(descriptions)
    return Message.from_role_and_content(Role.DEVELOPER, content)


def user_message(text: str) -> Message:
    return Message.from_role_and_content(Role.USER, check_text(text))


def analysis_message(text: str) -> Message:
    return Message.from_role_and_content(Role.ASSISTANT, check_text(text)).with_channel("analysis")


def call_message(call: ToolCall) -> Message:
    """An assistant call to ``functions.NAME`` (``call.name`` must already be harmony-safe)."""
    body = check_text(json.dumps(call.arguments, ensure_ascii=False))
    return (
        Message.from_role_and_content(Role.ASSISTANT, body)
        .with_channel("commentary")
        .with_recipient(f"functions.{call.name}")
        .with_content_type(JSON_CONTENT_TYPE)
    )


def result_message(result: ToolResult) -> Message:
    """A tool result from ``functions.NAME`` back to the assistant."""
    body = check_text(json.dumps(result.results, ensure_ascii=False))
    author = Author.new(Role.TOOL, f"functions.{result.name}")
    return Message.from_author_and_content(author, body).with_channel("commentary").with_recipient("assistant")


def final_message(text: str) -> Message:
    return Message.from_role_and_content(Role.ASSISTANT, check_text(text)).with_channel("final")


def assistant_messages(turn: AssistantTurn) -> list[Message]:
    """Analysis, calls and final of one assistant turn, in order."""
    messages = [analysis_message(turn.reasoning)] if turn.reasoning is not None else []
    messages += [call_message(c) for c in turn.calls]
    if turn.response is not None:
        messages.append(final_message(turn.response))
    return messages


# ----------------------------------------------------------------------------- rendering


def drop_earlier_analysis(messages: Sequence[Message]) -> list[Message]:
    """Drop analysis messages that come before the last final message (completed turns).

    Example:
        >>> msgs = [analysis_message("a"), final_message("b"), user_message("c"), analysis_message("d")]
        >>> [m.channel for m in drop_earlier_analysis(msgs)]
        ['final', None, 'analysis']
    """
    finals = [i for i, m in enumerate(messages) if m.channel == "final"]
    last_final = finals[-1] if finals else -1
    return [m for i, m in enumerate(messages) if not (i < last_final and m.channel == "analysis")]


def render_prompt(messages: Sequence[Message]) -> tuple[str, int]:
    """The harmony prompt text for ``messages`` (ending with ``<|start|>assistant``) and its
    length in gpt-oss tokens.

    Earlier analysis is dropped with :func:`drop_earlier_analysis` first.
    """
    enc = encoding()
    config = RenderConversationConfig(auto_drop_analysis=False)
    conversation = Conversation.from_messages(drop_earlier_analysis(messages))
    tokens = enc.render_conversation_for_completion(conversation, Role.ASSISTANT, config)
    return enc.decode_utf8(tokens), len(tokens)


def render_ground_truth(messages: Sequence[Message]) -> str:
    """What the model should generate after the prompt's ``<|start|>assistant``.

    Each message is rendered by openai-harmony; a final message ends with ``<|return|>``.

    Example:
        >>> render_ground_truth([analysis_message("Greet."), final_message("Hi!")])
        '<|channel|>analysis<|message|>Greet.<|end|><|start|>assistant<|channel|>final<|message|>Hi!<|return|>'
    """
    enc = encoding()
    config = RenderConversationConfig(auto_drop_analysis=False)
    text = enc.decode_utf8(enc.render_conversation(Conversation.from_messages(list(messages)), config))
    if messages and messages[-1].channel == "final":
        text = text.removesuffix("<|end|>") + "<|return|>"
    if not text.startswith(ASSISTANT_START):
        raise ValueError("ground truth must consist of assistant messages")
    return text[len(ASSISTANT_START) :]


# ----------------------------------------------------------------------------- parsing back


def parse_completion(text: str) -> list[Message]:
    """Parse harmony text (after ``<|start|>assistant``, or whole conversations) with openai-harmony.

    Example:
        >>> [m.channel for m in parse_completion("<|channel|>analysis<|message|>hm<|end|>")]
        ['analysis']
    """
    enc = encoding()
    if text.startswith("<|start|>"):
        return enc.parse_messages_from_completion_tokens(enc.encode(text, allowed_special="all"), None)
    tokens = enc.encode(text, allowed_special="all")
    return enc.parse_messages_from_completion_tokens(tokens, Role.ASSISTANT)


def message_text(message: Message) -> str:
    """The text content of a parsed message."""
    return "".join(getattr(c, "text", "") for c in message.content)


def ground_truth_turn(text: str) -> AssistantTurn:
    """The ground truth as reasoning, calls (safe names) and final, read back through openai-harmony."""
    reasoning, calls, final = None, [], None
    for message in parse_completion(text):
        body = message_text(message)
        if message.channel == "analysis":
            reasoning = body
        elif message.recipient and message.recipient.startswith("functions."):
            calls.append(ToolCall(message.recipient.removeprefix("functions."), json.loads(body)))
        elif message.channel == "final":
            final = body
    return AssistantTurn(reasoning, tuple(calls), final)
