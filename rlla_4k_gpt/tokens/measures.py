"""The measures of one split, from its token counts and rows: pure functions, no tokenizer.

Length summaries, over-limit counts, prompt-length histogram, message patterns, the check of the
build's ``prompt_tokens`` column, and the token efficiency against ToolRL's XML rows. The
definitions are in :mod:`.stats`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from .splits import SplitRows

__all__ = [
    "DEFAULT_PROMPT_LIMIT", "DEFAULT_RESPONSE_LIMIT", "HISTOGRAM_BIN_WIDTH", "PATTERNS", "SUMMARY_KEYS",
    "XML_DEFINITION", "column_agreement", "histogram_bins", "length_summary", "message_headers", "over_limit",
    "pattern_summary", "row_patterns", "token_efficiency",
]  # fmt: skip

logger = logging.getLogger(__name__)

DEFAULT_PROMPT_LIMIT = 2048
DEFAULT_RESPONSE_LIMIT = 1024
HISTOGRAM_BIN_WIDTH = 128
SUMMARY_KEYS = ("mean", "min", "p50", "p95", "p99", "max")  # what length_summary gives
PATTERNS = ("analysis", "calls", "finals", "several_calls", "multi_turn", "tool_results")
XML_DEFINITION = (
    "xml = tokens(instruction) + tokens(input) + tokens(output) of ToolRL's original row "
    "(extra_info), each string encoded on its own as plain text with the same tokenizer and no "
    "chat-template tokens; harmony = total_tokens (prompt_text + ground_truth). "
    "change_percent = (harmony - xml) / xml * 100 over the summed tokens, negative means "
    "harmony is shorter. Prompt side: instruction + input vs prompt_text; answer side: output "
    "vs ground_truth."
)


def length_summary(values: Sequence[int]) -> dict[str, float | None]:
    """mean / min / p50 / p95 / p99 / max of token counts (numpy linear percentiles).

    Example:
        >>> length_summary([1, 2, 3, 4])
        {'mean': 2.5, 'min': 1, 'p50': 2.5, 'p95': 3.85, 'p99': 3.97, 'max': 4}
    """
    import numpy as np

    if not values:
        return dict.fromkeys(SUMMARY_KEYS)
    arr = np.asarray(values, dtype=np.int64)
    p50, p95, p99 = (round(float(x), 2) for x in np.percentile(arr, [50, 95, 99]))
    return {
        "mean": round(float(arr.mean()), 2),
        "min": int(arr.min()),
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "max": int(arr.max()),
    }


def message_headers(ground_truth: str) -> list[str]:
    """Header of each message in a ground truth (text before ``<|message|>``).

    The first message continues the prompt's ``<|start|>assistant``, so its header has no role.

    Example:
        >>> message_headers("<|channel|>analysis<|message|>hm<|end|>"
        ...                 "<|start|>assistant to=functions.f<|channel|>commentary<|message|>{}<|call|>")
        ['<|channel|>analysis', 'assistant to=functions.f<|channel|>commentary']
    """
    return [chunk.split("<|message|>", 1)[0] for chunk in ground_truth.split("<|start|>") if chunk]


def row_patterns(ground_truth: str, roles: Sequence[str]) -> dict[str, bool]:
    """Which patterns one row shows.

    * ``analysis`` / ``finals``: a ground-truth header with ``<|channel|>analysis`` / ``final``;
    * ``calls``: a ground-truth header addressed ``to=functions.``; ``several_calls``: two or more;
    * ``multi_turn``: an ``assistant`` message in the prompt history;
    * ``tool_results``: a ``tool`` message in the prompt history.

    Example:
        >>> row_patterns("<|channel|>final<|message|>hi<|return|>", ["system", "user"])["finals"]
        True
    """
    headers = message_headers(ground_truth)
    calls = sum("to=functions." in header for header in headers)
    return {
        "analysis": any("<|channel|>analysis" in header for header in headers),
        "calls": calls >= 1,
        "finals": any("<|channel|>final" in header for header in headers),
        "several_calls": calls >= 2,
        "multi_turn": "assistant" in roles,
        "tool_results": "tool" in roles,
    }


def pattern_summary(rows: SplitRows) -> dict[str, dict[str, float]]:
    """Count and percentage of rows per pattern.

    Example:
        >>> rows = SplitRows(["p", "p"], ["<|channel|>final<|message|>x", "x"], [[], ["tool"]])
        >>> pattern_summary(rows)["finals"]
        {'count': 1, 'percent': 50.0}
    """
    counts = dict.fromkeys(PATTERNS, 0)
    for truth, roles in zip(rows.ground_truth, rows.roles):
        for name, present in row_patterns(truth, roles).items():
            counts[name] += present
    total = len(rows.ground_truth)
    return {
        name: {"count": count, "percent": round(100.0 * count / total, 2) if total else 0.0}
        for name, count in counts.items()
    }


def over_limit(
    prompt: Sequence[int], answer: Sequence[int], total: Sequence[int], prompt_limit: int, response_limit: int
) -> dict[str, int]:
    """Number of rows over each limit.

    Example:
        >>> over_limit([10, 30], [5, 1], [15, 31], prompt_limit=20, response_limit=4)
        {'prompt': 1, 'ground_truth': 1, 'total': 1, 'any': 2}
    """
    return {
        "prompt": sum(n > prompt_limit for n in prompt),
        "ground_truth": sum(n > response_limit for n in answer),
        "total": sum(n > prompt_limit + response_limit for n in total),
        "any": sum(p > prompt_limit or a > response_limit for p, a in zip(prompt, answer)),
    }


def histogram_bins(values: Sequence[int], width: int = HISTOGRAM_BIN_WIDTH) -> dict[str, Any]:
    """Row counts per ``width``-token bin, from bin 0 up to the bin of the longest value.

    Example:
        >>> histogram_bins([0, 5, 130, 300], width=128)
        {'bin_width': 128, 'counts': [2, 1, 1]}
    """
    import numpy as np

    if not values:
        return {"bin_width": width, "counts": []}
    edges = np.arange(0, (max(values) // width + 2) * width, width)  # the last bin holds the longest value
    counts, _ = np.histogram(values, bins=edges)
    return {"bin_width": width, "counts": counts.tolist()}


def column_agreement(stored: Sequence[int | None], counted: Sequence[int]) -> dict[str, int]:
    """Compare the build's ``prompt_tokens`` column (openai-harmony) with this tokenizer's counts.

    Example:
        >>> column_agreement([5, 7, None], [5, 8, 3])
        {'rows_checked': 2, 'rows_differing': 1}
    """
    pairs = [(s, c) for s, c in zip(stored, counted) if s is not None]
    differing = sum(s != c for s, c in pairs)
    if differing:
        logger.warning("%d rows: prompt_tokens column differs from the tokenizer's count", differing)
    return {"rows_checked": len(pairs), "rows_differing": differing}


def _change(new: int, old: int) -> float | None:
    return round(100.0 * (new - old) / old, 2) if old else None


def token_efficiency(
    harmony: dict[str, Sequence[int]], xml: dict[str, Sequence[int]]
) -> dict[str, Any]:
    """Compare summed harmony and XML token counts (keys ``prompt``, ``answer``, ``total``).

    Example:
        >>> eff = token_efficiency({"prompt": [8], "answer": [2], "total": [10]},
        ...                        {"prompt": [6], "answer": [2], "total": [8]})
        >>> eff["change_percent"]
        {'prompt': 33.33, 'answer': 0.0, 'total': 25.0}
    """
    rows = len(xml["total"])
    harmony_sum = {part: int(sum(values)) for part, values in harmony.items()}
    xml_sum = {part: int(sum(values)) for part, values in xml.items()}
    return {
        "definition": XML_DEFINITION,
        "rows": rows,
        "harmony_tokens": harmony_sum,
        "xml_tokens": xml_sum,
        "harmony_mean_per_row": round(harmony_sum["total"] / rows, 2) if rows else None,
        "xml_mean_per_row": round(xml_sum["total"] / rows, 2) if rows else None,
        "change_percent": {part: _change(harmony_sum[part], xml_sum[part]) for part in harmony_sum},
        "rows_harmony_shorter": sum(h < x for h, x in zip(harmony["total"], xml["total"])),
    }
