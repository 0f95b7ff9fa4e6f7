"""The terminal report of ``rlla-4k-gpt stats``: plain-text tables of a :func:`.stats.collect_stats` report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def _split_lines(name: str, block: dict[str, Any], limits: dict[str, int]) -> list[str]:
    rows = block["rows"]
    over = block["over_limit"]
    lines = ["", f"Split {name}: {rows:,} rows"]
    length_rows = []
    for label, key, limit_key, over_key in (
        ("prompt", "prompt_tokens", "prompt", "prompt"),
        ("ground truth", "ground_truth_tokens", "response", "ground_truth"),
        ("total", "total_tokens", None, "total"),
    ):
        stats = block[key]
        limit = limits[limit_key] if limit_key else limits["prompt"] + limits["response"]
        length_rows.append(
            [label] + [format_number(stats[k]) for k in ("mean", "min", "p50", "p95", "p99", "max")]
            + [f"{over[over_key]:,} (>{limit:,})"]
        )
    lines += _table(["tokens", "mean", "min", "p50", "p95", "p99", "max", "over limit"], length_rows)
    if "prompt_tokens_column" in block:
        agree = block["prompt_tokens_column"]
        lines.append(
            f"  prompt_tokens column (openai-harmony) differs on {agree['rows_differing']:,} "
            f"of {agree['rows_checked']:,} rows"
        )
    patterns = block["patterns"]
    lines += ["", "  patterns"] + _table(
        ["pattern", "rows", "%"],
        [[name.replace("_", " "), f"{p['count']:,}", f"{p['percent']:.1f}"] for name, p in patterns.items()],
        indent="    ",
    )
    if "token_efficiency" in block:
        lines += ["", "  token efficiency vs ToolRL XML"] + _efficiency_lines(block["token_efficiency"])
    return lines


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
    """The terminal table for a :func:`collect_stats` report."""
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
