"""The dataset card's token statistics in markdown, from ``{config: stats report}``.

:func:`.stats.card_section` finds or computes the reports of the builds and renders them here.
"""

from __future__ import annotations

from typing import Any

from .measures import DEFAULT_PROMPT_LIMIT, DEFAULT_RESPONSE_LIMIT, PATTERNS
from .report import format_number as _fmt
from .tokenizer import OFFLINE

__all__ = ["card_markdown"]


def _pct(count: int, rows: int) -> str:
    return f"{count:,} ({100 * count / rows:.1f}%)" if rows else "0"


def card_markdown(reports: dict[str, dict[str, Any]]) -> str:
    """Markdown for the dataset card from ``{config: stats report}``.

    Example:
        >>> md = card_markdown({})
        >>> md.startswith("Token counts")
        True
    """
    first = next(iter(reports.values()), {})
    limits = first.get("limits", {"prompt": DEFAULT_PROMPT_LIMIT, "response": DEFAULT_RESPONSE_LIMIT})
    name = first.get("tokenizer")
    described = "the gpt-oss tokenizer built from o200k_base" if name in (None, OFFLINE) else f"`{name}`"
    lines = [
        f"Token counts from {described} ({first.get('vocab_size', 0):,} tokens; harmony tokens such as "
        "`<|start|>`, `<|channel|>` and `<|call|>` are single tokens), equal to openai-harmony's counts. "
        f"Limits: {limits['prompt']:,} prompt and {limits['response']:,} response tokens, as ToolRL trains.",
        "",
        "| config | split | rows | prompt mean | p50 | p95 | p99 | max | prompts over limit "
        "| ground truth mean | p99 | max | ground truths over limit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for config, report in reports.items():
        for split, b in report["splits"].items():
            p, g, o = b["prompt_tokens"], b["ground_truth_tokens"], b["over_limit"]
            lines.append(
                f"| {config} | {split} | {b['rows']:,} | {_fmt(p['mean'])} | {_fmt(p['p50'])} | {_fmt(p['p95'])} "
                f"| {_fmt(p['p99'])} | {_fmt(p['max'])} | {_pct(o['prompt'], b['rows'])} | {_fmt(g['mean'])} "
                f"| {_fmt(g['p99'])} | {_fmt(g['max'])} | {_pct(o['ground_truth'], b['rows'])} |"
            )
    lines += ["", "Patterns (rows, % of the split):", "",
              "| config | split | " + " | ".join(n.replace("_", " ") for n in PATTERNS) + " |",
              "|---|---|" + "---:|" * len(PATTERNS)]
    for config, report in reports.items():
        for split, b in report["splits"].items():
            cells = [f"{b['patterns'][n]['count']:,} ({b['patterns'][n]['percent']:.1f}%)" for n in PATTERNS]
            lines.append(f"| {config} | {split} | " + " | ".join(cells) + " |")
    efficiency = {c: r["token_efficiency"] for c, r in reports.items() if "token_efficiency" in r}
    if efficiency:
        lines += ["", "Tokens per row against ToolRL's original XML rows (same rows, same tokenizer):", "",
                  "| config | rows | harmony | ToolRL XML | prompt | answer | total |", "|---|---:|---:|---:|---:|---:|---:|"]
        for config, e in efficiency.items():
            change = e["change_percent"]
            lines.append(
                f"| {config} | {e['rows']:,} | {_fmt(e['harmony_mean_per_row'])} | {_fmt(e['xml_mean_per_row'])} "
                + " ".join(f"| {change[k]:+.1f}%" if change[k] is not None else "| -" for k in ("prompt", "answer", "total"))
                + " |"
            )
        lines += ["", "The XML side counts ToolRL's `instruction`, `input` and `output` strings as plain text, without "
                  "chat-template tokens, so the difference is a conservative bound (negative: harmony is shorter)."]
    return "\n".join(lines)
