"""The dataset card: values computed from the builds, the template rendered, the YAML merged with the Hub's.

Example:
    >>> render_card("$$configs: $configs", {"configs": "`rl`"})
    '$configs: `rl`'
"""

from __future__ import annotations

import importlib
import logging
import string
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .checks import PublishError
from .sections import (argument_changes_section, counts_table, renamed_tools_section, repairs_section, size_category,
                       skipped_section, sources_section)
from .validate import DEFAULT_CONFIG, Build

logger = logging.getLogger(__name__)

STATS_HOOK = "card_section"  # rlla_4k_gpt.tokens.stats.card_section({config: build_dir}) -> markdown | None
IMAGES_DIR = "images"
PROMPT_PLOT = f"{IMAGES_DIR}/prompt_tokens.png"
PATTERN_PLOT = f"{IMAGES_DIR}/patterns.png"
# ToolRL's stand-in reasoning in most processed rl rows (its exact opening words).
PLACEHOLDER_REASONING = "I should use the appropriate tool with proper parameters"


def example_row(builds: Sequence[Build]) -> tuple[str, dict[str, Any]]:
    """A real built row for the card: the shortest prompt with a call, from ``rl`` when pushed."""
    import pyarrow.parquet as pq

    ordered = sorted(builds, key=lambda b: b.config != DEFAULT_CONFIG)
    for build in ordered:
        for split, path in sorted(build.splits.items(), key=lambda s: s[0] != "test"):
            rows = pq.read_table(path, columns=["prompt_text", "reward_model", "answer", "extra_info"]).to_pylist()
            with_calls = [r for r in rows if r["answer"]["calls"]]
            if with_calls:
                return f"{build.config}/{split}", min(with_calls, key=lambda r: len(r["prompt_text"]))
    raise PublishError("no built row with a tool call to show in the card")


def multi_call_rows(builds: Sequence[Build]) -> str:
    """``"N of M"`` rows per config/split whose ground truth holds several calls."""
    import pyarrow.parquet as pq

    parts = []
    for build in builds:
        for split, path in build.splits.items():
            answers = pq.read_table(path, columns=["answer"]).column("answer").to_pylist()
            several = sum(len(a["calls"]) > 1 for a in answers)
            parts.append(f"{several:,} of {len(answers):,} `{build.config}` {split} rows")
    return ", ".join(parts)


def placeholder_reasoning(builds: Sequence[Build]) -> str:
    """``"N of M rl rows"``: ground truths whose reasoning is ToolRL's stand-in sentence, per config."""
    import pyarrow.parquet as pq

    parts = []
    for build in builds:
        answers = [a for p in build.splits.values() for a in pq.read_table(p, columns=["answer"]).column("answer").to_pylist()]
        stand_in = sum((a.get("reasoning") or "").startswith(PLACEHOLDER_REASONING) for a in answers)
        parts.append(f"{stand_in:,} of {len(answers):,} `{build.config}` rows")
    return ", ".join(parts)


def prompt_tokens_by_split(builds: Sequence[Build]) -> dict[str, list[int]]:
    """``{"config/split": prompt_tokens}`` from the builds' ``prompt_tokens`` column."""
    import pyarrow.parquet as pq

    return {f"{b.config}/{s}": pq.read_table(p, columns=["prompt_tokens"]).column("prompt_tokens").to_pylist()
            for b in builds for s, p in b.splits.items()}


def card_images(builds: Sequence[Build], limit: int) -> dict[str, bytes]:
    """``{path in the dataset repo: PNG}``: the prompt-length histogram and the patterns chart."""
    from ..tokens import stats

    if not stats.matplotlib_available():
        raise PublishError("the card's figures need matplotlib: pip install 'rlla-4k-gpt[stats]'")
    with tempfile.TemporaryDirectory(prefix="rlla-card-") as scratch:
        prompt = stats.write_prompt_histogram(prompt_tokens_by_split(builds), limit, Path(scratch) / "p.png")
        patterns = stats.write_pattern_chart({f"{b.config}/{s}": stats.split_patterns(p) for b in builds
                                              for s, p in b.splits.items()}, Path(scratch) / "q.png")
        return {PROMPT_PLOT: prompt.read_bytes(), PATTERN_PLOT: patterns.read_bytes()}


def row_schema_section() -> str:
    """The row contract as documented in :mod:`rlla_4k_gpt.convert.rows` (its ``Columns:`` list), in markdown.

    Columns of :data:`rlla_4k_gpt.convert.rows.FEATURES` that the list does not mention are appended, so
    the card never omits a column.

    Example:
        >>> print(row_schema_section().splitlines()[0])
        - `data_source`: `"rlla_gpt"`;
    """
    from ..convert import rows

    doc = rows.__doc__ or ""
    block = doc.split("Columns:", 1)[-1].strip().split("\n\n")[0]
    text = block.replace("``", "`").replace(":func:", "").replace(":data:", "")
    missing = [name for name in rows.FEATURES if f"`{name}`" not in text]
    return text + "".join(f"\n- `{name}`" for name in missing)


def stop_token_text() -> str:
    """The harmony stop tokens for assistant actions, with their ids, from openai-harmony."""
    from ..convert.harmony import encoding

    enc = encoding()
    return ", ".join(f"`{enc.decode([t])}` ({t})" for t in sorted(enc.stop_tokens_for_assistant_actions()))


def stats_section(builds: Sequence[Build]) -> str:
    """Markdown from ``rlla_4k_gpt.tokens.stats.card_section`` when it exists, else ``""`` (no numbers faked)."""
    try:
        stats = importlib.import_module("rlla_4k_gpt.tokens.stats")
    except ImportError:
        return ""
    hook: Callable[[Mapping[str, Path]], str | None] | None = getattr(stats, STATS_HOOK, None)
    if not callable(hook):
        return ""
    try:
        return (hook({b.config: b.path for b in builds}) or "").strip()
    except Exception as err:  # a stats failure must not block a release; the block is left out
        logger.warning("token statistics left out of the card: %s", err)
        return ""


def card_values(builds: Sequence[Build], reports: Mapping[str, Mapping[str, Any]], dataset_repo: str,
                metric_repo: str, tag: str | None, stats: str = "") -> dict[str, str]:
    """Every ``$name`` the card template uses, computed from the builds and their reports.

    ``reports`` maps every config the card describes to its build report (the pushed builds' and
    those already on the Hub); ``stats`` is the token statistics markdown, left out when empty.
    """
    from ..build.builder import CITATION
    from ..convert.template import difference_table

    where, row = example_row(builds)
    total = sum(c["written"] for r in reports.values() for c in r.get("splits", {}).values())
    efforts = sorted({str(r.get("options", {}).get("reasoning_effort", "medium")) for r in reports.values()})
    return {
        "size_category": size_category(total),
        "row_schema": row_schema_section(),
        "dataset_repo": dataset_repo,
        "metric_repo": metric_repo,
        "version": f"This card describes release `{tag}`." if tag else "This card describes the latest push.",
        "total_rows": f"{total:,}",
        "configs": ", ".join(f"`{c}`" for c in reports),
        "reasoning_effort": ", ".join(efforts),
        "counts_table": counts_table(reports),
        "sft_rows": _config_rows(reports, "sft"),
        "placeholder_reasoning": placeholder_reasoning([b for b in builds if b.config == DEFAULT_CONFIG]) or "none of the",
        "prompt_plot": PROMPT_PLOT,
        "pattern_plot": PATTERN_PLOT,
        "sources": sources_section(reports),
        "example_where": f"{where} row {row['extra_info']['index']}",
        "example": row["prompt_text"] + row["reward_model"]["ground_truth"],
        "multi_call_rows": multi_call_rows(builds),
        "stop_tokens": stop_token_text(),
        "renamed_tools": renamed_tools_section(reports),
        "template_differences": difference_table(reports),
        "argument_changes": argument_changes_section(reports),
        "skipped": repairs_section(reports) + "\n\n" + skipped_section(reports),
        "token_stats": (f"<!-- token statistics: rlla-4k-gpt stats -->\n## Token statistics\n\n{stats}\n") if stats else "",
        "citation": CITATION,
    }


def _config_rows(reports: Mapping[str, Mapping[str, Any]], config: str) -> str:
    """``"392 train / 8 test"`` rows of one config, from its report (``"not in this release"`` without)."""
    splits = (reports.get(config) or {}).get("splits") or {}
    return " / ".join(f"{c['written']:,} {s}" for s, c in splits.items()) or "not in this release"


def render_card(template: str, values: Mapping[str, str]) -> str:
    """Fill ``$name`` placeholders (``string.Template``; ``$$`` is a literal dollar sign).

    Example:
        >>> render_card("rows: $n, cost $$0", {"n": "3"})
        'rows: 3, cost $0'
    """
    try:
        return string.Template(template).substitute(values)
    except (KeyError, ValueError) as err:
        raise PublishError(f"dataset card template: bad or unknown placeholder {err}") from None


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """``(YAML mapping, body)`` of a card, found as the Hub finds it; ``({}, text)`` without front matter.

    Example:
        >>> split_front_matter("---\\nlicense: mit\\n---\\n# Title\\n")
        ({'license': 'mit'}, '# Title\\n')
    """
    card = parse_card(text)
    return card.data.to_dict(), card.text.lstrip("\n")


def parse_card(text: str) -> Any:
    """``text`` as a :class:`huggingface_hub.DatasetCard` (its YAML in ``.data``, the markdown in ``.text``).

    Example:
        >>> card = parse_card("---\\nlicense: mit\\n---\\n# Title\\n")
        >>> card.data["license"], card.text
        ('mit', '# Title\\n')
    """
    from huggingface_hub import DatasetCard

    if not text.strip():  # no card yet: an empty one, without the library's "no metadata block" warning
        text = "---\n\n---\n"
    try:
        return DatasetCard(text)
    except ValueError:  # the library's "repo card metadata block should be a dict"
        raise PublishError("card YAML front matter is not a mapping") from None


def local_yaml(builds: Sequence[Build]) -> dict[str, dict[str, Any]]:
    """``{config: {"configs": entry, "dataset_info": entry}}`` for builds about to be pushed.

    The same entries ``push_to_hub`` writes (data files ``{config}/{split}-*``, features, split row
    counts and Arrow sizes), except ``download_size``, which describes the Hub's own parquet.
    """
    import pyarrow.parquet as pq
    from datasets import Features

    out: dict[str, dict[str, Any]] = {}
    for b in builds:
        tables = {s: pq.read_table(p) for s, p in b.splits.items()}
        features = Features.from_arrow_schema(next(iter(tables.values())).schema)
        splits = [{"name": s, "num_bytes": t.nbytes, "num_examples": t.num_rows} for s, t in tables.items()]
        out[b.config] = {
            "configs": {"config_name": b.config,
                        "data_files": [{"split": s, "path": f"{b.config}/{s}-*"} for s in b.splits]},
            "dataset_info": {"config_name": b.config, "features": features._to_yaml_list(), "splits": splits,
                             "dataset_size": sum(s["num_bytes"] for s in splits)},
        }  # fmt: skip
    return out


def merge_card(rendered: str, hub_readme: str, local: Mapping[str, Mapping[str, Any]] | None = None,
               default_config: str = DEFAULT_CONFIG) -> str:
    """The rendered card with ``configs``/``dataset_info`` YAML: ``local``'s entries (see
    :func:`local_yaml`) for the configs being pushed, the Hub README's for the others.

    The card therefore depends on the Hub only for configs this push leaves in place, so the
    preview of a push of every config is exactly the README it uploads. ``default_config`` is
    listed first and marked ``default: true`` (no other is).

    Example:
        >>> hub = "---\\nconfigs:\\n- config_name: sft\\n  default: true\\n- config_name: rl\\n---\\n"
        >>> print(merge_card("---\\nlicense: apache-2.0\\n---\\n# Card\\n", hub))
        ---
        license: apache-2.0
        configs:
        - config_name: rl
          default: true
        - config_name: sft
        ---
        <BLANKLINE>
        # Card
        <BLANKLINE>
    """
    # Not huggingface_hub.metadata_update: it commits README.md alone and merges per YAML key, not per config.
    card = parse_card(rendered)
    hub_meta, _ = split_front_matter(hub_readme)
    for key in ("configs", "dataset_info"):
        entries = _merged_entries(key, hub_meta, local or {})
        if entries:
            card.data[key] = sorted(entries, key=lambda e: (e.get("config_name") != default_config, e.get("config_name")))
    _mark_default(card.data.get("configs") or [], default_config)
    card.text = "\n" + card.text.lstrip("\n")
    return str(card)


def _merged_entries(key: str, hub_meta: Mapping[str, Any], local: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Hub's ``key`` entries for configs not in ``local``, then ``local``'s."""
    hub_entries = hub_meta.get(key) or []  # datasets writes a lone config's dataset_info as a mapping
    hub_entries = [hub_entries] if isinstance(hub_entries, dict) else hub_entries
    entries = [e for e in hub_entries if e.get("config_name", "default") not in local]
    return entries + [dict(v[key]) for v in local.values()]


def _mark_default(configs: list[dict[str, Any]], default_config: str) -> None:
    """Mark ``default_config`` (when listed) and no other config ``default: true``."""
    if not any(c.get("config_name") == default_config for c in configs):
        return
    for entry in configs:
        entry.pop("default", None)
        if entry.get("config_name") == default_config:
            entry["default"] = True
