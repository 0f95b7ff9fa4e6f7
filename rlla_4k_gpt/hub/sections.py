"""Card sections made from build reports alone: counts, renamed tools, argument changes, exclusions, sources.

Each takes ``{config: build report}`` (the pushed builds' and those already on the Hub) and returns
markdown for one ``$placeholder`` of the card template.

Example:
    >>> print(counts_table({"rl": {"splits": {"test": {"written": 80, "read": 80, "skipped": 0}}}}))
    | config | split | rows | read | skipped |
    |---|---|---:|---:|---:|
    | `rl` | test | 80 | 80 | 0 |
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

HUB_REPORTS_DIR = "build_reports"
TABLE_LIMIT = 30
# datasets' size_categories.json (the Hub's allowed values), smallest first.
_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                    (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
                    (10**11, "10B<n<100B"), (10**12, "100B<n<1T"))


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` value for a row count.

    Example:
        >>> size_category(4400), size_category(371), size_category(2_000_000)
        ('1K<n<10K', 'n<1K', '1M<n<10M')
    """
    return next((name for limit, name in _SIZE_CATEGORIES if rows < limit), "n>1T")


def _md(text: Any) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def counts_table(reports: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown table of read / written / skipped rows per config and split."""
    lines = ["| config | split | rows | read | skipped |", "|---|---|---:|---:|---:|"]
    for config, report in reports.items():
        for split, c in report.get("splits", {}).items():
            lines.append(f"| `{config}` | {split} | {c['written']:,} | {c['read']:,} | {c['skipped']:,} |")
    return "\n".join(lines)


def readable_name(name: str) -> bool:
    """Whether a tool name is words with spaces (renamed for its spaces), not a masked random id.

    Example:
        >>> readable_name("Convert Currency"), readable_name(".CzXC"), readable_name("63TBjhh8TdDzNC")
        (True, False, False)
    """
    return " " in name.strip() and len(re.findall(r"[A-Za-z]{3,}", name)) >= 2


def renamed_tools_section(reports: Mapping[str, Mapping[str, Any]], examples: int = 5) -> str:
    """Per config: how many tool names were renamed to harmony-safe names, and a few readable examples."""
    parts = []
    for config, report in reports.items():
        renamed = report.get("renamed_tools") or {}
        readable = [(o, s) for o, s in sorted(renamed.items()) if readable_name(o)]
        head = (f"`{config}`: {len(renamed):,} distinct tool names renamed, in "
                f"{report.get('rows_with_renamed_tools', 0):,} rows. {len(readable):,} of them have spaces")
        if readable:
            head += ", e.g. " + ", ".join(f"`{_md(o)}` → `{_md(s)}`" for o, s in readable[:examples])
        parts.append(head + "; the others (random ids from the masked Hammer rows, names with punctuation or a "
                     "leading digit) only lose punctuation or gain an `fn_` prefix. The full map is in "
                     f"`{HUB_REPORTS_DIR}/{config}.json`.")
    return "\n\n".join(parts)


def argument_changes_section(reports: Mapping[str, Mapping[str, Any]]) -> str:
    """Per config: coerced / widened / relaxed argument counts with one example of each kind."""
    lines = ["| config | coerced | widened | relaxed |", "|---|---:|---:|---:|"]
    examples = []
    for config, report in reports.items():
        changes = report.get("argument_changes") or {}
        lines.append(f"| `{config}` | " + " | ".join(f"{changes.get(k, 0):,}" for k in ("coerced", "widened", "relaxed")) + " |")
        for kind, items in sorted((report.get("argument_change_examples") or {}).items()):
            if items and not any(e.startswith(f"- {kind}:") for e in examples):
                examples.append(f"- {kind}: {_change_example(items[0])}")
    return "\n".join(lines) + ("\n\nExamples:\n\n" + "\n".join(examples) if examples else "")


def repairs_section(reports: Mapping[str, Mapping[str, Any]], limit: int = TABLE_LIMIT) -> str:
    """Every repaired call (tool name cut at ``(`` upstream), up to ``limit``, as a compact list."""
    repairs = [(c, r) for c, rep in reports.items() for r in rep.get("repairs") or []]
    if not repairs:
        return "No tool name was repaired."
    lines = [f"- `{c}` {r['split']}, {_md(r['where'])} ({r['place']}): `{_md(r['name_before'])}` → `{_md(r['name'])}`, "
             f"key `{_md(r['key_before'])}` → `{_md(r['key'])}`" for c, r in repairs[:limit]]  # fmt: skip
    if len(repairs) > limit:
        lines.append(f"- ... and {len(repairs) - limit:,} more in `{HUB_REPORTS_DIR}/`.")
    return "Repaired calls:\n\n" + "\n".join(lines)


def _change_example(e: Mapping[str, Any]) -> str:
    """One argument change in words: a relaxed parameter has no before/after value to show.

    Example:
        >>> _change_example({"kind": "relaxed", "tool": "Search Shows", "param": "cursor", "before": None, "after": None})
        '`Search Shows.cursor` required → optional (a call leaves it out)'
        >>> _change_example({"kind": "coerced", "tool": "GetNews", "param": "page", "before": "1", "after": 1})
        '`GetNews.page` "1" → 1'
    """
    where = f"`{_md(e['tool'])}.{_md(e['param'])}`"
    if e.get("kind") == "relaxed":
        return f"{where} required → optional (a call leaves it out)"
    return f"{where} {json.dumps(e.get('before'))} → {json.dumps(e.get('after'))}"


def skipped_section(reports: Mapping[str, Mapping[str, Any]], limit: int = TABLE_LIMIT) -> str:
    """Every excluded row (up to ``limit``) with its source position and reason."""
    skipped = [(c, s) for c, r in reports.items() for s in r.get("skipped") or []]
    if not skipped:
        return "No row was excluded."
    lines = ["| config | split | source row | reason |", "|---|---|---|---|"]
    lines += [f"| `{c}` | {s['split']} | {_md(s['where'])} | {_md(s['error'])} |" for c, s in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"\n... and {len(skipped) - limit:,} more in `{HUB_REPORTS_DIR}/`.")
    return "\n".join(lines)


def sources_section(reports: Mapping[str, Mapping[str, Any]]) -> str:
    """A table of every build's input files: origin, size and sha256 (from the build reports)."""
    sources = [(c, s) for c, r in reports.items() for s in r.get("sources") or []]
    if not sources:
        return "The build reports record no sources."
    lines = ["| config | split | source | bytes | sha256 |", "|---|---|---|---|---|"]
    lines += [f"| `{c}` | {s.get('split', '')} | {_md(s.get('origin') or s.get('file', ''))} | "
              f"{s['size']:,} | `{s['sha256']}` |" if "sha256" in s else
              f"| `{c}` | {s.get('split', '')} | {_md(s.get('file', ''))} | | (not recorded) |" for c, s in sources]
    return "\n".join(lines)
