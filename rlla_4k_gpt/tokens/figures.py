"""The PNG figures of a build (matplotlib, an optional dependency): prompt lengths and patterns.

``stats --plot`` writes the histogram; the dataset card uploads both (``rlla_4k_gpt.hub.publish``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from .measures import PATTERNS

__all__ = ["matplotlib_available", "write_pattern_chart", "write_prompt_histogram"]


class _Canvas(NamedTuple):
    """A matplotlib figure and axes, and the PNG path they will be saved to."""

    fig: Any
    ax: Any
    out: Path


def matplotlib_available() -> bool:
    """Whether ``--plot`` can work (matplotlib is an optional dependency).

    Example:
        >>> isinstance(matplotlib_available(), bool)
        True
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def write_prompt_histogram(prompt_tokens: dict[str, list[int]], limit: int, path: str | Path) -> Path:
    """PNG histogram of prompt lengths per split, with the prompt limit as a dashed line.

    Example:
        >>> write_prompt_histogram({"test": [500, 900, 2100]}, 2048, "/tmp/p.png")  # doctest: +SKIP
        PosixPath('/tmp/p.png')

    (Skipped as a doctest because matplotlib is optional; tests/test_stats.py runs it.)
    """
    import numpy as np

    canvas = _canvas(path)
    everything = [v for values in prompt_tokens.values() for v in values] + [limit]
    bins = np.histogram_bin_edges(everything, bins=50)  # shared, so splits line up
    ax = canvas.ax
    for name, values in sorted(prompt_tokens.items(), key=lambda kv: -len(kv[1])):  # small on top
        over = sum(v > limit for v in values)
        ax.hist(values, bins=bins, alpha=0.6, label=f"{name} (n={len(values):,}, {over:,} over)")
    ax.axvline(limit, color="red", linestyle="--", linewidth=1.5, label=f"prompt limit {limit:,}")
    ax.set_xlabel("prompt tokens (gpt-oss tokenizer)")
    ax.set_ylabel("rows")
    ax.set_title("Prompt length")
    return _save(canvas)


def write_pattern_chart(patterns: dict[str, dict[str, dict[str, float]]], path: str | Path) -> Path:
    """PNG bar chart: percent of rows per pattern (:data:`.measures.PATTERNS`), one bar group per split.

    ``patterns`` maps a split label to its :func:`.measures.pattern_summary`.

    Example:
        >>> write_pattern_chart({"rl/test": {p: {"percent": 50.0} for p in PATTERNS}}, "/tmp/q.png")  # doctest: +SKIP
        PosixPath('/tmp/q.png')

    (Skipped as a doctest because matplotlib is optional; tests/test_card.py runs it.)
    """
    import numpy as np

    canvas = _canvas(path)
    x = np.arange(len(PATTERNS))
    width = 0.8 / max(len(patterns), 1)
    ax = canvas.ax
    for i, (name, summary) in enumerate(patterns.items()):
        ax.bar(x + i * width, [summary[p]["percent"] for p in PATTERNS], width, label=name)
    ax.set_xticks(x + width * (len(patterns) - 1) / 2, [p.replace("_", " ") for p in PATTERNS])
    ax.set_ylabel("% of rows")
    ax.set_ylim(0, 100)
    ax.set_title("What the ground truths hold, and what the prompts hold")
    return _save(canvas)


def _canvas(path: str | Path) -> _Canvas:
    """An 8 x 4.5 inch figure on the file-only Agg backend; the PNG's folder is made."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    return _Canvas(fig, ax, out)


def _save(canvas: _Canvas) -> Path:
    """Legend, layout, a PNG without a timestamp (reproducible bytes), and the figure closed."""
    import matplotlib.pyplot as plt

    canvas.ax.legend()
    canvas.fig.tight_layout()
    canvas.fig.savefig(canvas.out, dpi=120, metadata={"Software": None})
    plt.close(canvas.fig)
    return canvas.out
