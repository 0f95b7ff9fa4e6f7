"""The dataset card's token statistics in markdown, from ``{config: stats report}``.

:func:`.stats.card_section` finds or computes the reports of the builds and renders them here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .measures import DEFAULT_PROMPT_LIMIT, DEFAULT_RESPONSE_LIMIT, PATTERNS
from .report import format_number
from .tokenizer import OFFLINE

__all__ = ["card_markdown"]


def card_markdown(reports: dict[str, dict[str, Any]]) -> str:
    """Markdown for the dataset card from ``{config: stats report}``.

    Example:
        >>> md = card_markdown({})
        >>> md.startswith("Token counts")
        True
    """
    lines = [_intro(next(iter(reports.values()), {})), ""]
    lines += _length_table(reports) + ["", "Patterns (rows, % of the split):", ""] + _pattern_table(reports)
    efficiency = {c: r["token_efficiency"] for c, r in reports.items() if "token_efficiency" in r}
    if efficiency:
        lines += ["", "Tokens per row against ToolRL's original XML rows (same rows, same tokenizer):", ""]
        lines += _efficiency_table(efficiency)
        lines += ["", "The XML side counts ToolRL's `instruction`, `input` and `output` strings as plain text, without "
                  "chat-template tokens, so the difference is a conservative bound (negative: harmony is shorter)."]
    return "\n".join(lines)


def _intro(report: dict[str, Any]) -> str:
    """Which tokenizer counted, and the limits (the first report's; defaults when there is none)."""
    limits = report.get("limits", {"prompt": DEFAULT_PROMPT_LIMIT, "response": DEFAULT_RESPONSE_LIMIT})
    name = report.get("tokenizer")
    described = "the gpt-oss tokenizer built from o200k_base" if name in (None, OFFLINE) else f"`{name}`"
    return (
        f"Token counts from {described} ({report.get('vocab_size', 0):,} tokens; harmony tokens such as "
        "`<|start|>`, `<|channel|>` and `<|call|>` are single tokens), equal to openai-harmony's counts. "
        f"Limits: {limits['prompt']:,} prompt and {limits['response']:,} response tokens, as ToolRL trains."
    )


def _row(cells: Sequence[object]) -> str:
    """One markdown table row.

    Example:
        >>> _row(["rl", "test", "80"])
        '| rl | test | 80 |'
    """
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _splits(reports: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(config, split, block)`` for every split of every report, in order."""
    for config, report in reports.items():
        for split, block in report["splits"].items():
            yield config, split, block


def _pct(count: int, rows: int) -> str:
    return f"{count:,} ({100 * count / rows:.1f}%)" if rows else "0"


def _length_table(reports: dict[str, dict[str, Any]]) -> list[str]:
    """Prompt and ground-truth lengths, and the rows over their limits, per config and split."""
    lines = [
        "| config | split | rows | prompt mean | p50 | p95 | p99 | max | prompts over limit "
        "| ground truth mean | p99 | max | ground truths over limit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for config, split, b in _splits(reports):
        p, g, o, rows = b["prompt_tokens"], b["ground_truth_tokens"], b["over_limit"], b["rows"]
        prompt = [format_number(p[k]) for k in ("mean", "p50", "p95", "p99", "max")] + [_pct(o["prompt"], rows)]
        answer = [format_number(g[k]) for k in ("mean", "p99", "max")] + [_pct(o["ground_truth"], rows)]
        lines.append(_row([config, split, f"{rows:,}", *prompt, *answer]))
    return lines


def _pattern_table(reports: dict[str, dict[str, Any]]) -> list[str]:
    """Rows (and % of the split) showing each of :data:`.measures.PATTERNS`, per config and split."""
    lines = [_row(["config", "split", *(n.replace("_", " ") for n in PATTERNS)]), "|---|---|" + "---:|" * len(PATTERNS)]
    for config, split, b in _splits(reports):
        cells = [f"{b['patterns'][n]['count']:,} ({b['patterns'][n]['percent']:.1f}%)" for n in PATTERNS]
        lines.append(_row([config, split, *cells]))
    return lines


def _efficiency_table(efficiency: dict[str, dict[str, Any]]) -> list[str]:
    """Harmony against ToolRL XML tokens per row, per config (``{config: token_efficiency}``)."""
    lines = ["| config | rows | harmony | ToolRL XML | prompt | answer | total |", "|---|---:|---:|---:|---:|---:|---:|"]
    for config, e in efficiency.items():
        change = ["-" if e["change_percent"][k] is None else f"{e['change_percent'][k]:+.1f}%"
                  for k in ("prompt", "answer", "total")]
        means = [format_number(e["harmony_mean_per_row"]), format_number(e["xml_mean_per_row"])]
        lines.append(_row([config, f"{e['rows']:,}", *means, *change]))
    return lines
