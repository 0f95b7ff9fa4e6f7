"""The gpt-oss chat template (vendored) and how its rendering relates to ``prompt_text``.

``data/gpt_oss_chat_template.jinja`` is the Hub's ``openai/gpt-oss-20b`` chat template,
byte-identical (provenance and license: ``data/GPT_OSS_TEMPLATE_NOTICE.md``). It is what
``tokenizer.apply_chat_template`` runs for gpt-oss, so it is what verl and TRL render a row's
``prompt`` with. :func:`render` runs it the way transformers does (a sandboxed Jinja environment
with ``tojson``, ``strftime_now`` and ``raise_exception``), without needing a tokenizer; the tests
check it against ``apply_chat_template`` on transformers 4.57 and 5.x.

``prompt_text`` is openai-harmony's rendering. The two differ in a few known ways, each a
*difference class* (:data:`CLASSES`); :func:`differences` names the classes by which one
rendering differs from the other and reports anything else as ``"unexplained"``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

TEMPLATE_FILE = "gpt_oss_chat_template.jinja"
TEMPLATE_SHA256 = "a4c9919cbbd4acdd51ccffe22da049264b1b73e59055fa58811a99efbd7c8146"
FIXED_DATE = "2025-08-05"
"""The date :func:`template_tokens` renders (gpt-oss's release); any ``YYYY-MM-DD`` date gives
the same token count (tested)."""


def chat_template() -> str:
    """The vendored gpt-oss chat template.

    Example:
        >>> import hashlib
        >>> hashlib.sha256(chat_template().encode()).hexdigest() == TEMPLATE_SHA256
        True
    """
    return resources.files("rlla_4k_gpt").joinpath("data", TEMPLATE_FILE).read_text(encoding="utf-8")


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: Any = None, sort_keys: bool = False) -> str:  # fmt: skip
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _raise(message: str) -> None:
    from jinja2.exceptions import TemplateError

    raise TemplateError(message)


@functools.lru_cache(maxsize=4)
def _compiled(day: str) -> Any:
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: date.fromisoformat(day).strftime(fmt)
    return env.from_string(chat_template())


def render(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None,
    add_generation_prompt: bool = True, day: str = FIXED_DATE,
) -> str:  # fmt: skip
    """Render ``messages`` and ``tools`` with the vendored template, as
    ``apply_chat_template(messages, tools=tools, tokenize=False)`` does on ``day``.

    Example:
        >>> render([{"role": "user", "content": "hi"}]).endswith("<|start|>user<|message|>hi<|end|><|start|>assistant")
        True
    """
    return _compiled(day).render(messages=list(messages), tools=list(tools) if tools else None,
                                 add_generation_prompt=add_generation_prompt)  # fmt: skip


# ----------------------------------------------------------------------------- differences


@dataclass(frozen=True)
class DifferenceClass:
    """One known way the template's rendering differs from openai-harmony's ``prompt_text``.

    ``side`` is the rendering whose own spelling ``pattern`` matches (``"template"`` or
    ``"harmony"``); :func:`differences` rewrites it with ``replacement`` into the other's spelling.
    """

    name: str
    side: str
    pattern: re.Pattern[str]
    replacement: Any
    description: str


def _unescape_default(match: re.Match[str]) -> str:
    return f'// default: "{json.loads(match.group(1))}"'


CLASSES: tuple[DifferenceClass, ...] = (
    DifferenceClass(
        "current_date", "template", re.compile(r"Current date: \d{4}-\d{2}-\d{2}\n"), "",
        "the template always writes today's `Current date:` into the system message; `prompt_text` has "
        "no date, so builds are reproducible",
    ),
    DifferenceClass(
        "default_trailing_comma", "template", re.compile(r"(// default: [^\n]*),\n"), r"\1" "\n",
        "the template ends a parameter's `// default: …` comment with a comma",
    ),
    DifferenceClass(
        "default_string_escaped", "template", re.compile(r'// default: ("(?:[^"\\\n]|\\.)*")$', re.M),
        _unescape_default,
        "the template writes a string default JSON-escaped (`\\\"`), harmony writes it raw",
    ),
    DifferenceClass(
        "integer_in_union", "template", re.compile(r"(?<=\| )integer\b|\binteger(?= \|)"), "number",
        "a parameter with several types: the template keeps `integer` in the union, harmony writes `number`",
    ),
    DifferenceClass(
        "no_parameters", "harmony", re.compile(r"= \(_: \{\n\}\) => any;"), "= () => any;",
        "a tool without parameters: the template writes `() => any`, harmony `(_: {}) => any`",
    ),
    DifferenceClass(
        "untyped_array", "harmony", re.compile(r"Array<any>"), "any[]",
        "an array parameter without item type: the template writes `any[]`, harmony `Array<any>`",
    ),
    DifferenceClass(
        "untyped_object", "harmony", re.compile(r":\s+(?:// [^\n]*\n)?\{\n\s*\}"), ": object",
        "an object parameter without properties: the template writes `object` and drops its description, "
        "harmony writes `{}` after the description",
    ),
)
"""The known difference classes, in the order :func:`differences` applies them."""

UNEXPLAINED = "unexplained"


def differences(template_text: str, harmony_text: str) -> list[str]:
    """Names of the :data:`CLASSES` by which ``template_text`` differs from ``harmony_text``,
    plus ``"unexplained"`` when they are still unequal after rewriting every known class.
    An empty list means the two renderings are equal.

    Example:
        >>> differences("a\\nCurrent date: 2025-08-05\\nb", "a\\nb")
        ['current_date']
        >>> differences("type f = () => any;", "type f = (_: {\\n}) => any;")
        ['no_parameters']
        >>> differences("x", "y")
        ['unexplained']
    """
    texts = {"template": template_text, "harmony": harmony_text}
    found = []
    for cls in CLASSES:
        rewritten = cls.pattern.sub(cls.replacement, texts[cls.side])
        if rewritten != texts[cls.side]:
            found.append(cls.name)
            texts[cls.side] = rewritten
    if texts["template"] != texts["harmony"]:
        found.append(UNEXPLAINED)
    return found


def first_difference(a: str, b: str, context: int = 60) -> str:
    """The first place two texts differ, for error messages.

    Example:
        >>> first_difference("abcX", "abcY", 2)
        "at 3: 'bcX' vs 'bcY'"
    """
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at {i}: {a[max(0, i - context):i + context]!r} vs {b[max(0, i - context):i + context]!r}"


@dataclass(frozen=True)
class TemplateRendering:
    """A row's template rendering, summarised: its token count and its difference classes."""

    tokens: int
    differences: tuple[str, ...]


def template_rendering(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None, prompt_text: str
) -> TemplateRendering:
    """Render once; count tokens and the classes by which it differs from ``prompt_text``.

    Example:
        >>> msgs = [{"role": "user", "content": "hi"}]
        >>> template_rendering(msgs, None, render(msgs).replace("Current date: 2025-08-05\\n", "")).differences
        ('current_date',)
    """
    from .harmony import encoding

    text = render(messages, tools)
    return TemplateRendering(len(encoding().encode(text, allowed_special="all")), tuple(differences(text, prompt_text)))


def template_tokens(messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None) -> int:
    """Length in gpt-oss tokens of the template's rendering (``add_generation_prompt=True``).

    Example:
        >>> template_tokens([{"role": "user", "content": "hi"}], None) > 20
        True
    """
    from .harmony import encoding

    return len(encoding().encode(render(messages, tools), allowed_special="all"))


def difference_table(reports: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown: rows per difference class for each config's build report (the card and
    docs/conversion.md both show this table, produced by this function).

    Example:
        >>> table = difference_table({"rl": {"splits": {"test": {"written": 2}},
        ...     "template_differences": {"current_date": 2}, "rows_equal_to_template": 0}})
        >>> print("\\n".join(line[:41] for line in table.splitlines()[:4]))
        | class | what differs | rl (2 rows) |
        |---|---|---|
        | `current_date` | the template always wr
        | `default_trailing_comma` | the template
    """
    configs = list(reports)
    rows = {c: sum(s.get("written", 0) for s in reports[c].get("splits", {}).values()) for c in configs}
    head = "| class | what differs | " + " | ".join(f"{c} ({rows[c]:,} rows)" for c in configs) + " |"
    lines = [head, "|" + "---|" * (len(configs) + 2)]
    counts = {c: reports[c].get("template_differences", {}) for c in configs}
    for cls in [*CLASSES, None]:
        name = cls.name if cls else UNEXPLAINED
        if cls is None and not any(counts[c].get(name) for c in configs):
            continue
        text = cls.description if cls else "anything no class explains (a bug: the tests fail on it)"
        lines.append(f"| `{name}` | {text} | " + " | ".join(f"{counts[c].get(name, 0):,}" for c in configs) + " |")
    lines.append("| (none) | rows whose template rendering equals `prompt_text` exactly | "
                 + " | ".join(f"{reports[c].get('rows_equal_to_template', 0):,}" for c in configs) + " |")
    lines.append("| (none but the date) | rows equal to `prompt_text` once the `Current date:` line is removed | "
                 + " | ".join(f"{reports[c].get('rows_equal_but_date', 0):,}" for c in configs) + " |")
    return "\n".join(lines)
