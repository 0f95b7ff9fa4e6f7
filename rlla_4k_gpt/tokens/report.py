"""The terminal report of ``rlla-4k-gpt stats``: plain-text tables of a :func:`.stats.collect_stats` report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .measures import SUMMARY_KEYS

__all__ = ["format_number", "format_report"]


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> list[str]:
    """Left-aligned first column, right-aligned others.

    Example:
        >>> print("\\n".join(_table(["a", "n"], [["x", 1], ["yy", 22]])))
          a    n
          x    1
          yy  22
    """
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append(indent + "  ".join(parts).rstrip())
    return lines


def format_number(value: float | None) -> str:
    """``-`` for missing, thousands separators, one decimal for floats.

    Example:
        >>> format_number(None), format_number(2048), format_number(511.0), format_number(1391.96)
        ('-', '2,048', '511.0', '1,392.0')
    """
    if value is None:
        return "-"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


_LENGTHS = {"prompt": "prompt", "ground_truth": "ground truth", "total": "total"}  # block key prefix -> label


def _split_lines(name: str, block: dict[str, Any], limits: dict[str, int]) -> list[str]:
    """One split: lengths against the limits, the column check, patterns and token efficiency."""
    lines = ["", f"Split {name}: {block['rows']:,} rows"] + _length_lines(block, limits)
    if "prompt_tokens_column" in block:
        agree = block["prompt_tokens_column"]
        lines.append(
            f"  prompt_tokens column (openai-harmony) differs on {agree['rows_differing']:,} "
            f"of {agree['rows_checked']:,} rows"
        )
    lines += ["", "  patterns"] + _pattern_lines(block["patterns"])
    if "token_efficiency" in block:
        lines += ["", "  token efficiency vs ToolRL XML"] + _efficiency_lines(block["token_efficiency"])
    return lines


def _length_lines(block: dict[str, Any], limits: dict[str, int]) -> list[str]:
    """Summary of prompt, ground-truth and total tokens, each with its rows over the limit."""
    limit = {"prompt": limits["prompt"], "ground_truth": limits["response"],
             "total": limits["prompt"] + limits["response"]}  # fmt: skip
    rows = [
        [label, *(format_number(block[f"{part}_tokens"][k]) for k in SUMMARY_KEYS),
         f"{block['over_limit'][part]:,} (>{limit[part]:,})"]
        for part, label in _LENGTHS.items()
    ]  # fmt: skip
    return _table(["tokens", *SUMMARY_KEYS, "over limit"], rows)


def _pattern_lines(patterns: dict[str, dict[str, float]]) -> list[str]:
    rows = [[name.replace("_", " "), f"{p['count']:,}", f"{p['percent']:.1f}"] for name, p in patterns.items()]
    return _table(["pattern", "rows", "%"], rows, indent="    ")


def _efficiency_lines(eff: dict[str, Any]) -> list[str]:
    rows = eff["rows"] or 1
    table = []
    for part in ("prompt", "answer", "total"):
        change = eff["change_percent"][part]
        table.append(
            [part, format_number(eff["harmony_tokens"][part] / rows), format_number(eff["xml_tokens"][part] / rows),
             "-" if change is None else f"{change:+.1f}%"]
        )
    return _table(["mean per row", "harmony", "xml", "change"], table, indent="    ") + [
        f"    harmony shorter on {eff['rows_harmony_shorter']:,} of {eff['rows']:,} rows"
    ]


def format_report(report: dict[str, Any]) -> str:
    """The terminal table for a :func:`.stats.collect_stats` report.

    Example:
        >>> print(format_report({"source": "build/rl", "tokenizer": "offline", "vocab_size": 200_019,
        ...                      "special_tokens_check": [], "splits": {}, "limits": {}}))
        Source:    build/rl
        Tokenizer: offline  (200,019 tokens)
        <BLANKLINE>
        Special tokens (must be one token with the gpt-oss id)
          token  expected  id  encodes to  ok
    """
    lines = [
        f"Source:    {report['source']}",
        f"Tokenizer: {report['tokenizer']}  ({report['vocab_size']:,} tokens)",
        "",
        "Special tokens (must be one token with the gpt-oss id)",
    ]
    lines += _table(
        ["token", "expected", "id", "encodes to", "ok"],
        [[c["token"], c["expected_id"], c["id"], c["encoded"], "yes" if c["ok"] else "NO"]
         for c in report["special_tokens_check"]],
    )
    for name, block in report["splits"].items():
        lines += _split_lines(name, block, report["limits"])
    if "token_efficiency" in report and len(report["splits"]) > 1:
        lines += ["", "All splits: token efficiency vs ToolRL XML"] + _efficiency_lines(report["token_efficiency"])
    return "\n".join(lines)
