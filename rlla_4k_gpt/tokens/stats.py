"""Token budget report for a build: special tokens, lengths, limits, patterns, token efficiency.

``rlla-4k-gpt stats BUILD_DIR_OR_HUB_ID`` answers, for every split of a build:

* whether the tokenizer sees the harmony tokens as single tokens with the gpt-oss ids;
* prompt, ground-truth and total token lengths (mean, min, p50, p95, p99, max) and how many rows
  exceed the trainer's limits;
* how many rows have an analysis message, tool calls, a final answer, several calls, earlier
  assistant turns, or tool results in their history;
* how many tokens a harmony row takes compared with ToolRL's original XML row.

Definitions (all counts come from one tokenizer, special tokens in the text count as one token
and no BOS/EOS is added, so with the gpt-oss tokenizer they equal openai-harmony's
``len(enc.encode(text, allowed_special="all"))``):

* ``prompt_tokens``: tokens of ``prompt_text`` (ends with ``<|start|>assistant``).
* ``ground_truth_tokens``: tokens of ``reward_model.ground_truth`` (the text generated after it).
* ``total_tokens``: tokens of ``prompt_text + ground_truth`` encoded as one string.
* Percentiles use numpy's default linear interpolation.
* ``over_limit``: rows with ``prompt_tokens > prompt_limit``, ``ground_truth_tokens >
  response_limit``, ``total_tokens > prompt_limit + response_limit``, and ``any`` (prompt or
  ground truth over its limit).
* Patterns are read from the message headers (the text before ``<|message|>``) of the ground truth
  and from the roles of the ``prompt`` messages, see :func:`.measures.row_patterns`.
* Token efficiency, see :data:`.measures.XML_DEFINITION`.
* ``prompt_tokens_column``: when the build has a ``prompt_tokens`` column (counted by
  openai-harmony at build time), how many rows disagree with this tokenizer's count.

Example (shell; ``--tokenizer offline`` builds the gpt-oss tokenizer from o200k_base):
    $ rlla-4k-gpt build --sample --out build/rl-sample
    $ rlla-4k-gpt stats build/rl-sample --tokenizer offline --json stats.json --plot prompts.png

From Python, ``collect_stats(source, load_tokenizer("offline"))`` returns the same report.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..build.manifest import REPORT_FILE
from .card import card_markdown
from .measures import (
    DEFAULT_PROMPT_LIMIT,
    DEFAULT_RESPONSE_LIMIT,
    column_agreement,
    histogram_bins,
    length_summary,
    over_limit,
    pattern_summary,
    token_efficiency,
)
from .splits import SplitRows, load_splits, rows_from_table
from .tokenizer import HARMONY_TOKENS, OFFLINE, count_prompt_tokens, load_tokenizer

# rlla_4k_gpt.hub.publish draws the card's figures through this module (stats.write_prompt_histogram, ...).
from .figures import matplotlib_available, write_pattern_chart, write_prompt_histogram  # noqa: F401

__all__ = [
    "DEFAULT_PROMPT_LIMIT", "DEFAULT_RESPONSE_LIMIT", "STATS_FILE", "SplitStats", "StatsResult",
    "card_section", "collect_stats", "special_token_report", "split_patterns", "split_stats",
]  # fmt: skip

logger = logging.getLogger(__name__)

STATS_FILE = "stats.json"
"""``stats BUILD --json BUILD/stats.json`` is reused by :func:`card_section` while it is fresh."""


@dataclass
class StatsResult:
    """The JSON-ready report plus the per-row lengths behind it (for plots and tests)."""

    report: dict[str, Any]
    prompt_tokens: dict[str, list[int]]
    ground_truth_tokens: dict[str, list[int]]
    total_tokens: dict[str, list[int]]


class SplitStats(NamedTuple):
    """One split's report block, and its per-row token counts under ``prompt``/``ground_truth``/``total``."""

    block: dict[str, Any]
    lengths: dict[str, list[int]]


class XmlCounts(NamedTuple):
    """Which rows carry ToolRL's strings (indices), and their XML ``prompt``/``answer``/``total`` counts."""

    rows: list[int]
    tokens: dict[str, list[int]]


def _xml_counts(rows: SplitRows, tokenizer: Any) -> XmlCounts:
    """Token counts of ToolRL's XML rows (instruction + input, output, and their sum)."""
    kept = [(i, parts) for i, parts in enumerate(rows.xml) if parts is not None]
    pieces = [part for _, parts in kept for part in parts]
    counts = count_prompt_tokens(pieces, tokenizer, progress="xml tokens")
    instr, inp, out = counts[0::3], counts[1::3], counts[2::3]
    prompt = [a + b for a, b in zip(instr, inp)]
    total = [p + o for p, o in zip(prompt, out)]
    return XmlCounts([i for i, _ in kept], {"prompt": prompt, "answer": out, "total": total})


def _token_lengths(rows: SplitRows, tokenizer: Any) -> dict[str, list[int]]:
    """Per-row tokens of the prompt, the ground truth and the two as one string."""
    whole = [p + g for p, g in zip(rows.prompt_text, rows.ground_truth)]
    return {
        "prompt": count_prompt_tokens(rows.prompt_text, tokenizer, progress="prompt tokens"),
        "ground_truth": count_prompt_tokens(rows.ground_truth, tokenizer, progress="answer tokens"),
        "total": count_prompt_tokens(whole, tokenizer, progress="total tokens"),
    }


def _efficiency_block(rows: SplitRows, tokenizer: Any, lengths: dict[str, list[int]]) -> dict[str, Any] | None:
    """:func:`.measures.token_efficiency` over the rows that have ToolRL's strings, ``None`` if none has."""
    xml = _xml_counts(rows, tokenizer)
    if not xml.rows:
        return None
    harmony = {
        "prompt": [lengths["prompt"][i] for i in xml.rows],
        "answer": [lengths["ground_truth"][i] for i in xml.rows],
        "total": [lengths["total"][i] for i in xml.rows],
    }
    return token_efficiency(harmony, xml.tokens)


def split_stats(rows: SplitRows, tokenizer: Any, prompt_limit: int, response_limit: int) -> SplitStats:
    """Report block and per-row lengths (``prompt``/``ground_truth``/``total``) of one split.

    Example:
        >>> rows = SplitRows(["<|start|>user<|message|>hi<|end|><|start|>assistant"],
        ...                  ["<|channel|>final<|message|>hey<|return|>"], [["user"]])
        >>> block, lengths = split_stats(rows, load_tokenizer("offline"), prompt_limit=6, response_limit=8)
        >>> lengths, block["over_limit"]
        ({'prompt': [7], 'ground_truth': [5], 'total': [12]}, {'prompt': 1, 'ground_truth': 0, 'total': 0, 'any': 1})
    """
    lengths = _token_lengths(rows, tokenizer)
    block: dict[str, Any] = {
        "rows": len(rows.prompt_text),
        "prompt_tokens": length_summary(lengths["prompt"]),
        "ground_truth_tokens": length_summary(lengths["ground_truth"]),
        "total_tokens": length_summary(lengths["total"]),
        "over_limit": over_limit(
            lengths["prompt"], lengths["ground_truth"], lengths["total"], prompt_limit, response_limit
        ),
        "patterns": pattern_summary(rows),
        "prompt_tokens_histogram": histogram_bins(lengths["prompt"]),
    }
    if rows.stored_prompt_tokens is not None:
        block["prompt_tokens_column"] = column_agreement(rows.stored_prompt_tokens, lengths["prompt"])
    efficiency = _efficiency_block(rows, tokenizer, lengths)
    if efficiency is not None:
        block["token_efficiency"] = efficiency
    return SplitStats(block, lengths)


def special_token_report(tokenizer: Any, expected: dict[str, int] = HARMONY_TOKENS) -> dict[str, Any]:
    """Id of each harmony token and whether encoding it alone gives exactly ``[expected id]``.

    Example:
        >>> rep = special_token_report(load_tokenizer("offline"))
        >>> rep["special_tokens"]["<|start|>"], rep["special_tokens_ok"], rep["vocab_size"]
        (200006, True, 200019)
    """
    checks = []
    for token, want in expected.items():
        got = tokenizer.convert_tokens_to_ids(token)
        encoded = list(tokenizer.encode(token, add_special_tokens=False))
        checks.append(
            {
                "token": token,
                "expected_id": want,
                "id": got,
                "encoded": encoded,
                "ok": encoded == [want] and got == want,
            }
        )
    return {
        "special_tokens": {c["token"]: c["id"] for c in checks},
        "special_tokens_check": checks,
        "special_tokens_ok": all(c["ok"] for c in checks),
        "vocab_size": len(tokenizer),
    }


def _overall_efficiency(splits: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    blocks = [b["token_efficiency"] for b in splits.values() if "token_efficiency" in b]
    if not blocks:
        return None
    harmony = {p: [b["harmony_tokens"][p] for b in blocks] for p in ("prompt", "answer", "total")}
    xml = {p: [b["xml_tokens"][p] for b in blocks] for p in ("prompt", "answer", "total")}
    merged = token_efficiency(harmony, xml)
    rows = sum(b["rows"] for b in blocks)
    merged.update(
        rows=rows,
        harmony_mean_per_row=round(merged["harmony_tokens"]["total"] / rows, 2),
        xml_mean_per_row=round(merged["xml_tokens"]["total"] / rows, 2),
        rows_harmony_shorter=sum(b["rows_harmony_shorter"] for b in blocks),
    )
    return merged


def _build_config(source: str | Path) -> dict[str, Any] | None:
    report = Path(source) / REPORT_FILE
    if not report.is_file():
        return None
    return json.loads(report.read_text(encoding="utf-8")).get("config")


def collect_stats(
    source: str | Path,
    tokenizer: Any,
    prompt_limit: int = DEFAULT_PROMPT_LIMIT,
    response_limit: int = DEFAULT_RESPONSE_LIMIT,
    tokenizer_name: str | None = None,
    splits: dict[str, Any] | None = None,
) -> StatsResult:
    """Everything ``stats`` reports, for a build folder, parquet file or Hub dataset id.

    ``splits`` (``{name: pyarrow.Table}``, as from :func:`.splits.load_splits`) skips loading ``source``.

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
        >>> path = Path(tempfile.mkdtemp()) / "test.parquet"
        >>> pq.write_table(pa.table({
        ...     "prompt_text": ["<|start|>user<|message|>hi<|end|><|start|>assistant"],
        ...     "reward_model": [{"ground_truth": "<|channel|>final<|message|>hey<|return|>"}],
        ... }), path)
        >>> result = collect_stats(path, load_tokenizer("offline"))
        >>> result.report["splits"]["test"]["rows"], result.total_tokens
        (1, {'test': [12]})
    """
    splits = load_splits(source) if splits is None else splits
    report: dict[str, Any] = {
        "source": str(source),
        "tokenizer": tokenizer_name or getattr(tokenizer, "name_or_path", None),
        **special_token_report(tokenizer),
        "limits": {"prompt": prompt_limit, "response": response_limit},
        "splits": {},
    }
    config = _build_config(source)
    if config is not None:
        report["build_config"] = config
    result = StatsResult(report, {}, {}, {})
    for name, table in splits.items():
        logger.info("split %s: %d rows", name, table.num_rows)
        block, lengths = split_stats(rows_from_table(table), tokenizer, prompt_limit, response_limit)
        report["splits"][name] = block
        result.prompt_tokens[name] = lengths["prompt"]
        result.ground_truth_tokens[name] = lengths["ground_truth"]
        result.total_tokens[name] = lengths["total"]
    overall = _overall_efficiency(report["splits"])
    if overall is not None:
        report["token_efficiency"] = overall
    return result


# --------------------------------------------------------------------------- for the dataset card


def split_patterns(parquet: str | Path) -> dict[str, dict[str, float]]:
    """:func:`.measures.pattern_summary` of one parquet split file (no tokenizer needed).

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
        >>> path = Path(tempfile.mkdtemp()) / "test.parquet"
        >>> pq.write_table(pa.table({"prompt_text": ["<|start|>user<|message|>hi<|end|><|start|>assistant"],
        ...                          "reward_model": [{"ground_truth": "<|channel|>final<|message|>hey"}]}), path)
        >>> split_patterns(path)["finals"]
        {'count': 1, 'percent': 100.0}
    """
    import pyarrow.parquet as pq

    return pattern_summary(rows_from_table(pq.read_table(parquet)))


def _fresh_saved_report(build_dir: Path) -> dict[str, Any] | None:
    """``BUILD/stats.json`` if it is newer than every parquet file of the build."""
    saved = build_dir / STATS_FILE
    if not saved.is_file():
        return None
    newest = max((p.stat().st_mtime for p in build_dir.rglob("*.parquet")), default=0.0)
    if saved.stat().st_mtime < newest:
        logger.info("%s is older than the build; recomputing", saved)
        return None
    return json.loads(saved.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _offline_tokenizer() -> Any:
    """The offline tokenizer, loaded once per process for repeated card renders (read-only use)."""
    return load_tokenizer(OFFLINE)


def card_section(builds: Mapping[str, str | Path], tokenizer: Any = None) -> str | None:
    """Token statistics markdown for the dataset card, from ``{config: build folder}``.

    Reuses a fresh ``BUILD/stats.json`` (written by ``stats BUILD --json BUILD/stats.json``);
    otherwise computes the report with ``tokenizer``, by default the offline gpt-oss tokenizer
    (identical ids to openai-harmony, no download). Returns ``None`` for no builds.

    Example:
        >>> card_section({}) is None
        True
    """
    if not builds:
        return None
    return card_markdown({config: _card_report(folder, tokenizer) for config, folder in builds.items()})


def _card_report(folder: str | Path, tokenizer: Any) -> dict[str, Any]:
    """A fresh saved report, else one computed with ``tokenizer`` (``None``: the memoised offline one)."""
    saved = _fresh_saved_report(Path(folder))
    if saved is not None:
        return saved
    if tokenizer is None:
        return _offline_report(str(Path(folder).resolve()), _build_stamp(Path(folder)))
    return collect_stats(folder, tokenizer).report


class FileStamp(NamedTuple):
    """One parquet file of a build as part of a cache key."""

    path: str
    size: int
    mtime: float


def _build_stamp(build_dir: Path) -> tuple[FileStamp, ...]:
    """Names, sizes and mtimes of a build's parquet files: changes whenever the build does."""
    files = sorted(build_dir.rglob("*.parquet"))
    return tuple(FileStamp(str(p), p.stat().st_size, p.stat().st_mtime) for p in files)


@functools.lru_cache(maxsize=16)
def _offline_report(build_dir: str, stamp: tuple[FileStamp, ...]) -> dict[str, Any]:
    """Report with the offline tokenizer, memoised per build state (publish renders the card often)."""
    return collect_stats(build_dir, _offline_tokenizer(), tokenizer_name=OFFLINE).report
