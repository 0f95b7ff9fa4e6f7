"""``rlla-4k-gpt push``: publish the dataset configs and the metric Space to the Hub, versioned.

One run does, in this order (``--dry-run`` prints the same list and makes no request at all):

1. **Checks, before any request**: the tag format (``vX.Y.Z``, never an ``evaluate`` release, see
   :func:`check_tag`), the repo ids, and every row of every build against the builder's invariants
   (:func:`validate_build`). Any failure refuses the whole push, naming build dir, split and row.
2. **Pre-flight read**: refuse if the tag already exists in either repo, so nothing is pushed that
   cannot be tagged.
3. **Dataset**, one commit per config: ``DatasetDict.push_to_hub(repo, config_name=...)`` writes
   ``{config}/{split}-00000-of-00001.parquet`` and merges ``configs``/``dataset_info`` into the
   README YAML. Configs not pushed stay on the Hub untouched.
4. **Dataset card**, one commit: ``dataset_card.md`` rendered with the build reports' numbers
   (:func:`render_card`), keeping the ``configs``/``dataset_info`` YAML datasets wrote, marking
   ``rl`` the default config again (datasets drops ``default: true`` when the default config is
   pushed a second time), and storing each pushed build report as
   ``build_reports/{config}.json`` (the card of a later partial push reads the others from there).
5. **Tag** the dataset.
6. **Metric Space**: created with ``space_sdk="static"`` if missing; every regular file of the
   bundle folder (symlinks resolved, ``__pycache__`` skipped) in one commit that also deletes
   Space files no longer in the bundle; then the tag.

The token comes from ``HF_TOKEN`` or ``hf auth login`` (:func:`huggingface_hub.get_token`) and is
only ever handed to the clients. Hub errors become one-line messages (:func:`describe_hub_error`).

Example:
    >>> check_tag("v1.0.0", evaluate_version="0.4.6")
    'v1.0.0'
    >>> metric_files(Path("no/such/folder"))
    Traceback (most recent call last):
    ...
    rlla_4k_gpt.hub.publish.PublishError: metric bundle folder not found: no/such/folder
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import logging
import re
import string
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import load as hub
from ..errors import is_transport_error, one_line, redact, register_secret
from ..build.manifest import REPORT_FILE, BuildFolderError, check_build_folder, read_report

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CARD = PROJECT_ROOT / "dataset_card.md"
DEFAULT_METRIC_DIR = PROJECT_ROOT / "metric" / "toolrl_gpt_oss_reward"
DEFAULT_CONFIG = "rl"
CONFIGS = ("rl", "sft")
HUB_REPORTS_DIR = "build_reports"
STATS_HOOK = "card_section"  # rlla_4k_gpt.tokens.stats.card_section({config: build_dir}) -> markdown | None
SPACE_TEXT_FILES = ("README.md", "index.html", "toolrl_gpt_oss_reward.py")  # name the project's default ids, replaced by the pushed ones
MAX_PROBLEMS = 20
TABLE_LIMIT = 30

_TAG = re.compile(r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")
_SHARD = re.compile(r"(?P<split>[A-Za-z0-9_]+)-00000-of-00001\.parquet")
# datasets' size_categories.json (the Hub's allowed values), smallest first.
_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                    (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
                    (10**11, "10B<n<100B"), (10**12, "100B<n<1T"))
IMAGES_DIR = "images"
PROMPT_PLOT = f"{IMAGES_DIR}/prompt_tokens.png"
PATTERN_PLOT = f"{IMAGES_DIR}/patterns.png"
# ToolRL's stand-in reasoning in most processed rl rows (its exact opening words).
PLACEHOLDER_REASONING = "I should use the appropriate tool with proper parameters"


class PublishError(Exception):
    """A push was refused or failed; the message is one line fit for the terminal."""


# ============================================================================ arguments


def check_tag(tag: str, evaluate_version: str | None = None) -> str:
    """Return ``tag`` if it is a ``vX.Y.Z`` release tag that cannot shadow an evaluate release.

    ``evaluate.load("org/metric")`` first asks the Space for the revision ``v{evaluate.__version__}``
    and only then for ``main``. A Space tag equal to an evaluate release therefore pins every user
    of that evaluate version to the tagged (old) metric. So the installed evaluate's own version is
    refused, and so is every ``v0.*`` tag: all evaluate releases so far are 0.x, and a future
    0.x release must not collide either.

    Example:
        >>> check_tag("v2.1.0", evaluate_version="0.4.6")
        'v2.1.0'
        >>> check_tag("v0.4.6", evaluate_version="0.4.6")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.hub.publish.PublishError: tag v0.4.6 is refused: evaluate.load tries the tag v{evaluate version} ...
        >>> check_tag("1.0", evaluate_version="0.4.6")
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.hub.publish.PublishError: tag '1.0' is not of the form vX.Y.Z (e.g. v1.0.0)
    """
    if not _TAG.fullmatch(tag):
        raise PublishError(f"tag {tag!r} is not of the form vX.Y.Z (e.g. v1.0.0)")
    version = evaluate_version if evaluate_version is not None else installed_evaluate_version()
    if tag.startswith("v0.") or (version is not None and tag == f"v{version}"):
        raise PublishError(
            f"tag {tag} is refused: evaluate.load tries the tag v{{evaluate version}} before main "
            f"(installed evaluate {version}), so a v0.* tag on the Space would pin evaluate users to it; "
            "use v1.0.0 or later"
        )
    return tag


def installed_evaluate_version() -> str | None:
    """The installed evaluate version, read from package metadata (evaluate is not imported)."""
    try:
        return importlib.metadata.version("evaluate")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_repo_id(repo_id: str, what: str) -> str:
    """Return ``repo_id`` if it has the ``ORG/NAME`` form.

    Example:
        >>> check_repo_id("org/rlla_4k_gpt", "--dataset-repo")
        'org/rlla_4k_gpt'
        >>> check_repo_id("rlla_4k_gpt", "--dataset-repo")
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.hub.publish.PublishError: --dataset-repo must be ORG/NAME, not 'rlla_4k_gpt'
    """
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id or repo_id.endswith((".git", ".")):
        raise PublishError(f"{what} must be ORG/NAME, not {repo_id!r}")
    return repo_id


# ============================================================================ builds


@dataclass(frozen=True)
class Build:
    """A directory written by ``rlla-4k-gpt build``: its config, report and split files."""

    path: Path
    config: str
    report: dict[str, Any]
    splits: dict[str, Path]

    def written(self, split: str) -> int:
        """Rows the build report says were written to ``split``."""
        return int(self.report.get("splits", {}).get(split, {}).get("written", -1))


def load_build(path: str | Path) -> Build:
    """Read a build folder: its report and exactly the split files the report pins (sha256, rows)."""
    folder = Path(path)
    try:
        report = read_report(folder)
        splits = check_build_folder(folder, report)
    except BuildFolderError as err:
        raise PublishError(str(err)) from None
    config = report.get("config")
    if not isinstance(config, str) or not re.fullmatch(r"[A-Za-z0-9_]+", config):
        raise PublishError(f"{folder / REPORT_FILE}: no valid 'config' name")
    return Build(folder, config, report, splits)


def check_builds(builds: Sequence[Build]) -> None:
    """Refuse two builds of the same config."""
    seen: dict[str, Path] = {}
    for build in builds:
        if build.config in seen:
            raise PublishError(f"config {build.config!r} given twice: {seen[build.config]} and {build.path}")
        seen[build.config] = build.path


@dataclass(frozen=True)
class Problem:
    """A row (or file) that breaks an invariant."""

    build: Path
    split: str
    row: int | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return f"{self.build}: split {self.split} {where}: {self.message}"


def arguments_problem(arguments: Any, parameters: Mapping[str, Any]) -> str | None:
    """Why ``arguments`` do not validate against a tool's ``parameters`` schema, or ``None``.

    Uses :func:`rlla_4k_gpt.convert.schema.matches` per property plus the ``required`` list.

    Example:
        >>> params = {"type": "object", "properties": {"page": {"type": "integer"}}, "required": ["page"]}
        >>> arguments_problem({"page": 1}, params) is None
        True
        >>> arguments_problem({"page": "1"}, params)
        "argument 'page' does not match its schema {'type': 'integer'}"
        >>> arguments_problem({}, params)
        "required argument 'page' is missing"
    """
    from ..convert.schema import matches

    if not isinstance(arguments, dict):
        return "arguments are not a JSON object"
    properties = parameters.get("properties") or {}
    for key in parameters.get("required") or []:
        if key not in arguments:
            return f"required argument {key!r} is missing"
    for key, value in arguments.items():
        if key in properties and not matches(value, properties[key]):
            return f"argument {key!r} does not match its schema {properties[key]}"
    return None


def row_problem(row: Mapping[str, Any], split: str) -> str | None:
    """The first invariant ``row`` breaks, or ``None``.

    The row contract values, ``prompt_text`` ending with ``<|start|>assistant`` (and its token
    count in ``prompt_tokens``, when the column exists), the prompt plus
    ground truth parsing with openai-harmony, every ground-truth call naming a declared tool with
    arguments that validate, the ``answer`` column equal to the parsed ground truth, and
    ``extra_info.split`` equal to the split.
    """
    from ..convert.harmony import ASSISTANT_START, encoding, ground_truth_turn, parse_completion
    from ..convert.rows import ABILITY, DATA_SOURCE, decoded

    expected = {"data_source": DATA_SOURCE, "ability": ABILITY}
    for column, value in expected.items():
        if row.get(column) != value:
            return f"{column} is {row.get(column)!r}, expected {value!r}"
    if (row.get("reward_model") or {}).get("style") != "rule":
        return "reward_model.style is not 'rule'"
    if (row.get("extra_info") or {}).get("split") != split:
        return f"extra_info.split is {(row.get('extra_info') or {}).get('split')!r}, expected {split!r}"
    prompt, truth = row.get("prompt_text") or "", row["reward_model"].get("ground_truth") or ""
    if not prompt.endswith(ASSISTANT_START):
        return "prompt_text does not end with <|start|>assistant"
    if "prompt_tokens" in row and row["prompt_tokens"] != len(encoding().encode(prompt, allowed_special="all")):
        return f"prompt_tokens {row['prompt_tokens']} differs from the token count of prompt_text"
    try:
        parse_completion(prompt + truth)
        turn = ground_truth_turn(truth)
        tools = {t["function"]["name"]: t["function"]["parameters"] for t in decoded(row["tools"])}
    except Exception as err:  # openai-harmony raises its own types; any failure is a broken row
        return f"prompt_text + ground_truth does not parse ({type(err).__name__}: {err})"
    if not turn.calls and turn.response is None:
        return "ground truth has neither a call nor a final message"
    for call in turn.calls:
        if call.name not in tools:
            return f"ground truth calls undeclared tool {call.name!r}"
        problem = arguments_problem(call.arguments, tools[call.name])
        if problem is not None:
            return f"call to {call.name}: {problem}"
    answer = row.get("answer") or {}
    stored = [(c["name"], json.loads(c["arguments"])) for c in answer.get("calls") or []]
    if stored != [(c.name, c.arguments) for c in turn.calls] or answer.get("final") != turn.response:
        return "answer column differs from the parsed ground truth"
    return None


def validate_build(build: Build, limit: int = MAX_PROBLEMS) -> list[Problem]:
    """Check every row of every split of ``build``; return up to ``limit`` problems (none: valid).

    Also checks the file schema against :data:`rlla_4k_gpt.convert.rows.FEATURES` and the row counts
    against the build report.
    """
    import pyarrow.parquet as pq
    from datasets import Features

    from ..convert.rows import FEATURES

    problems: list[Problem] = []
    if build.config not in CONFIGS:
        problems.append(Problem(build.path, "-", None, f"unknown config {build.config!r} (expected one of {CONFIGS})"))
    for split, path in build.splits.items():
        try:
            table = pq.read_table(path)
        except Exception as err:  # pyarrow raises several types for damaged files
            problems.append(Problem(build.path, split, None, f"unreadable parquet ({err})"))
            continue
        if Features.from_arrow_schema(table.schema) != FEATURES:
            problems.append(Problem(build.path, split, None, "columns differ from the row contract (rows.FEATURES)"))
            continue
        if table.num_rows != build.written(split):
            problems.append(Problem(build.path, split, None,
                                    f"{table.num_rows} rows, but the build report says {build.written(split)}"))
        for index, row in enumerate(table.to_pylist()):
            message = row_problem(row, split)
            if message is not None:
                problems.append(Problem(build.path, split, index, message))
            if len(problems) >= limit:
                return problems
    return problems


def build_default_sources(root: Path, strict: bool, configs: Sequence[str] = CONFIGS) -> list[Build]:
    """Build every config from ToolRL's pinned GitHub files into ``root/{config}``."""
    from ..build.write import build

    builds = []
    for config in configs:
        logger.info("building config %s from the default sources", config)
        build(root / config, config, None, strict=strict)
        builds.append(load_build(root / config))
    return builds


# ============================================================================ the card


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
    """``(YAML mapping, body)`` of a card; ``({}, text)`` without front matter.

    Example:
        >>> split_front_matter("---\\nlicense: mit\\n---\\n# Title\\n")
        ({'license': 'mit'}, '# Title\\n')
    """
    import yaml

    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end < 0:
        return {}, text
    meta = yaml.safe_load(text[4:end]) or {}
    if not isinstance(meta, dict):
        raise PublishError("card YAML front matter is not a mapping")
    return meta, text[end + 5 :].lstrip("\n")


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
    import yaml

    local = local or {}
    meta, body = split_front_matter(rendered)
    hub_meta, _ = split_front_matter(hub_readme)
    for key in ("configs", "dataset_info"):
        hub_entries = hub_meta.get(key) or []  # datasets writes a lone config's dataset_info as a mapping
        hub_entries = [hub_entries] if isinstance(hub_entries, dict) else hub_entries
        entries = [e for e in hub_entries if e.get("config_name", "default") not in local]
        entries += [dict(v[key]) for v in local.values()]
        if entries:
            meta[key] = sorted(entries, key=lambda e: (e.get("config_name") != default_config, e.get("config_name")))
    configs = meta.get("configs") or []
    if any(c.get("config_name") == default_config for c in configs):
        for entry in configs:
            entry.pop("default", None)
            if entry.get("config_name") == default_config:
                entry["default"] = True
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n\n{body}"


# ============================================================================ metric bundle


def metric_files(folder: Path) -> dict[str, Path]:
    """``{path in the Space: file on disk}`` for every regular file of the bundle, symlinks resolved.

    ``__pycache__`` folders and ``*.pyc`` files are left out; a dangling symlink is an error.
    """
    if not folder.is_dir():
        raise PublishError(f"metric bundle folder not found: {folder}")
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if "__pycache__" in relative.parts or path.suffix == ".pyc" or path.is_dir():
            continue
        if not path.resolve().is_file():
            raise PublishError(f"{path}: not a regular file (dangling symlink?)")
        files[relative.as_posix()] = path.resolve()
    if not files:
        raise PublishError(f"metric bundle folder is empty: {folder}")
    return files


# ============================================================================ Hub errors


def describe_hub_error(err: Exception, what: str) -> str:
    """One line for a huggingface_hub error met while doing ``what`` (401/403/404/409/412 explained)."""
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    server = redact(getattr(err, "server_message", None) or "").strip().splitlines()
    detail = f" (Hub says: {server[0]})" if server else ""
    if isinstance(err, RevisionNotFoundError):
        return f"{what}: revision not found (404){detail}"
    if status == 401:
        return (f"{what}: not authenticated (401): the token is missing, invalid or expired; "
                f"set HF_TOKEN or run `hf auth login`{detail}")
    if status == 403:
        return f"{what}: forbidden (403): the token may not write there (read-only token, or no rights in that org){detail}"
    if isinstance(err, RepositoryNotFoundError) or status == 404:
        return f"{what}: repository not found (404), or the token cannot see it{detail}"
    if status == 409:
        return f"{what}: conflict (409): it already exists{detail}"
    if status == 412:
        return f"{what}: someone else committed meanwhile (412); run the push again{detail}"
    return redact(f"{what}: Hub error {status or type(err).__name__}{detail or ': ' + str(err).splitlines()[0]}")


@contextmanager
def hub_step(what: str) -> Iterator[None]:
    """Turn huggingface_hub HTTP errors raised inside into a :class:`PublishError`."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        yield
    except HfHubHTTPError as err:
        raise PublishError(describe_hub_error(err, what)) from err  # the cause: -v shows its traceback
    except Exception as err:
        if not is_transport_error(err):
            raise
        raise PublishError(one_line(err, f"{what}: the Hub at {hub_endpoint()} did not answer")) from err


def hub_endpoint() -> str:
    """The Hub the clients talk to (``HF_ENDPOINT`` or huggingface.co)."""
    from huggingface_hub import constants

    return constants.ENDPOINT


# ============================================================================ the plan


@dataclass
class Context:
    """What the steps share at run time: the client, the token and the revision being written."""

    api: Any
    token: str | None
    revision: str
    create_pr: bool
    pr_revisions: dict[str, str] = field(default_factory=dict)  # repo id -> refs/pr/N once opened
    commits: list[str] = field(default_factory=list)

    def target(self, repo_id: str) -> tuple[str, bool]:
        """``(revision, create_pr)`` for the next commit to ``repo_id`` (one PR per repo)."""
        if repo_id in self.pr_revisions:
            return self.pr_revisions[repo_id], False
        return self.revision, self.create_pr

    def committed(self, repo_id: str, info: Any) -> None:
        if info is None:
            return
        if getattr(info, "pr_revision", None) and repo_id not in self.pr_revisions:
            self.pr_revisions[repo_id] = info.pr_revision
        self.commits.append(str(getattr(info, "pr_url", None) or getattr(info, "commit_url", info)))


@dataclass(frozen=True)
class PushConfig:
    """One config's splits, pushed with ``DatasetDict.push_to_hub`` (one commit)."""

    repo_id: str
    build: Build
    version: str

    def describe(self) -> list[str]:
        b = self.build
        lines = [f'commit "{self.message}" (datasets push_to_hub, config_name={b.config!r})']
        lines += [f"  add {b.config}/{s}-00000-of-00001.parquet  ({b.written(s):,} rows from {p})" for s, p in b.splits.items()]
        lines += ["  update README.md  (YAML configs/dataset_info)",
                  f"  delete any other files under {b.config}/  (stale shards of this config)"]
        return lines

    @property
    def message(self) -> str:
        return f"Upload config {self.build.config} ({self.version})"

    def run(self, ctx: Context) -> None:
        from datasets import Dataset, DatasetDict
        from datasets.table import InMemoryTable

        import pyarrow.parquet as pq

        splits = {s: Dataset(InMemoryTable(pq.read_table(p))) for s, p in self.build.splits.items()}
        revision, create_pr = ctx.target(self.repo_id)
        with hub_step(f"pushing config {self.build.config} to dataset {self.repo_id}"):
            info = DatasetDict(splits).push_to_hub(
                # No set_default: datasets raises KeyError('default') when the Hub holds one config not
                # marked default (e.g. sft pushed alone). The card commit marks rl the default.
                self.repo_id, config_name=self.build.config,
                commit_message=self.message, token=ctx.token, revision=revision, create_pr=create_pr,
                num_shards={s: 1 for s in splits},
            )  # fmt: skip
        ctx.committed(self.repo_id, info)
        logger.info("pushed config %s to %s", self.build.config, self.repo_id)


@dataclass(frozen=True)
class UpdateCard:
    """The rendered dataset card plus the build reports, in one guarded commit."""

    repo_id: str
    builds: tuple[Build, ...]
    template: Path
    metric_repo: str
    tag: str | None
    version: str
    stats: str = ""
    images: tuple[tuple[str, bytes], ...] = ()  # (path in the repo, PNG) the card links

    @property
    def message(self) -> str:
        return f"Dataset card and build reports ({self.version})"

    def render(self, reports: Mapping[str, Mapping[str, Any]] | None = None, hub_readme: str = "") -> str:
        """The card for ``reports`` (default: the pushed builds') merged with the Hub README's YAML."""
        reports = reports if reports is not None else {b.config: b.report for b in self.builds}
        values = card_values(self.builds, reports, self.repo_id, self.metric_repo, self.tag, self.stats)
        return merge_card(render_card(self.template.read_text(encoding="utf-8"), values), hub_readme,
                          local_yaml(self.builds))

    def describe(self) -> list[str]:
        lines = [f'commit "{self.message}"',
                 f"  update README.md  (rendered from {self.template}; configs/dataset_info YAML from these builds, "
                 f"the Hub's for configs not pushed; {DEFAULT_CONFIG} marked default)"]
        lines += [f"  add {path}  (figure linked from the card)" for path, _ in self.images]
        return lines + [f"  add {HUB_REPORTS_DIR}/{b.config}.json  (from {b.path / REPORT_FILE})" for b in self.builds]

    def run(self, ctx: Context) -> None:
        from huggingface_hub import CommitOperationAdd

        revision, create_pr = ctx.target(self.repo_id)
        what = f"updating the card of dataset {self.repo_id}"
        with hub_step(what):
            head = ctx.api.dataset_info(self.repo_id, revision=revision).sha
            hub_readme = self._download(ctx, "README.md", head) or ""
            reports = self._reports(ctx, head)
        card = self.render(reports, hub_readme)
        operations = [CommitOperationAdd("README.md", card.encode("utf-8"))]
        operations += [CommitOperationAdd(path, data) for path, data in self.images]
        operations += [CommitOperationAdd(f"{HUB_REPORTS_DIR}/{b.config}.json", (b.path / REPORT_FILE).read_bytes())
                       for b in self.builds]
        with hub_step(what):
            info = ctx.api.create_commit(self.repo_id, operations, commit_message=self.message, repo_type="dataset",
                                         revision=revision, create_pr=create_pr, parent_commit=head)
        ctx.committed(self.repo_id, info)
        logger.info("updated the dataset card of %s", self.repo_id)

    def _download(self, ctx: Context, path: str, revision: str) -> str | None:
        from huggingface_hub.errors import EntryNotFoundError

        try:
            local = ctx.api.hf_hub_download(self.repo_id, path, repo_type="dataset", revision=revision)
        except EntryNotFoundError:
            return None
        return Path(local).read_text(encoding="utf-8")

    def _reports(self, ctx: Context, revision: str) -> dict[str, dict[str, Any]]:
        """Reports of the pushed builds, plus those stored on the Hub for configs left in place."""
        mine = {b.config: b.report for b in self.builds}
        files = ctx.api.list_repo_files(self.repo_id, repo_type="dataset", revision=revision)
        others: dict[str, dict[str, Any]] = {}
        for file in files:
            config = file.removeprefix(f"{HUB_REPORTS_DIR}/").removesuffix(".json")
            if file.startswith(f"{HUB_REPORTS_DIR}/") and file.endswith(".json") and config not in mine:
                text = self._download(ctx, file, revision)
                if text is not None:
                    others[config] = json.loads(text)
        merged = {**mine, **others}
        return {c: merged[c] for c in sorted(merged, key=lambda c: (c != DEFAULT_CONFIG, c))}


@dataclass(frozen=True)
class UploadSpace:
    """The metric bundle in one commit to the Space (created, static, if missing)."""

    repo_id: str
    files: tuple[tuple[str, Path], ...]
    version: str
    dataset_repo: str = ""

    @property
    def message(self) -> str:
        return f"Upload metric ({self.version})"

    def content(self, name: str, path: Path) -> bytes:
        """A bundle file as uploaded: the card and page name this push's Space and dataset ids."""
        data = path.read_bytes()
        if name not in SPACE_TEXT_FILES:
            return data
        text = data.decode("utf-8").replace(hub.METRIC_REPO, self.repo_id)
        return (text.replace(hub.DATASET_REPO, self.dataset_repo) if self.dataset_repo else text).encode("utf-8")

    def describe(self) -> list[str]:
        lines = [f"create Space {self.repo_id} with space_sdk='static' if it does not exist",
                 f'commit "{self.message}"']
        lines += [f"  add {name}  (from {path})" for name, path in self.files]
        return lines + ["  delete any other Space files except .gitattributes  (no longer in the bundle)"]

    def run(self, ctx: Context) -> None:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        what = f"uploading the metric to Space {self.repo_id}"
        revision, create_pr = ctx.target(self.repo_id)
        with hub_step(what):
            ctx.api.create_repo(self.repo_id, repo_type="space", space_sdk="static", exist_ok=True)
            if not create_pr and not revision.startswith("refs/pr/") and revision != "main":
                ctx.api.create_branch(self.repo_id, repo_type="space", branch=revision, exist_ok=True)
            head = ctx.api.space_info(self.repo_id, revision=revision).sha
            remote = ctx.api.list_repo_files(self.repo_id, repo_type="space", revision=head)
        names = {name for name, _ in self.files}
        operations: list[Any] = [CommitOperationAdd(name, self.content(name, path)) for name, path in self.files]
        operations += [CommitOperationDelete(p) for p in remote if p not in names and p != ".gitattributes"]
        with hub_step(what):
            info = ctx.api.create_commit(self.repo_id, operations, commit_message=self.message, repo_type="space",
                                         revision=revision, create_pr=create_pr, parent_commit=head)
        ctx.committed(self.repo_id, info)
        logger.info("uploaded %d metric files to %s", len(self.files), self.repo_id)


@dataclass(frozen=True)
class CreateTag:
    """Tag the head of the pushed revision."""

    repo_id: str
    repo_type: str
    tag: str

    def describe(self) -> list[str]:
        return [f"tag {self.tag}  (at the head of the pushed revision)"]

    def run(self, ctx: Context) -> None:
        with hub_step(f"tagging {self.repo_type} {self.repo_id} as {self.tag}"):
            ctx.api.create_tag(self.repo_id, tag=self.tag, revision=ctx.revision, repo_type=self.repo_type,
                               tag_message=f"rlla_4k_gpt {self.tag}")
        logger.info("tagged %s %s as %s", self.repo_type, self.repo_id, self.tag)


Step = PushConfig | UpdateCard | UploadSpace | CreateTag


@dataclass(frozen=True)
class Plan:
    """Everything a push will do, in order; ``--dry-run`` prints it, a real push runs it."""

    dataset_repo: str
    metric_repo: str
    revision: str
    create_pr: bool
    tag: str | None
    dataset_steps: tuple[Step, ...]
    space_steps: tuple[Step, ...]

    def describe(self) -> str:
        target = f"a pull request against {self.revision}" if self.create_pr else f"revision {self.revision}"
        lines = [f"dataset {self.dataset_repo}  ({target})"]
        lines += [f"  {line}" for step in self.dataset_steps for line in step.describe()]
        lines.append(f"space {self.metric_repo}  ({target})")
        lines += [f"  {line}" for step in self.space_steps for line in step.describe()]
        commits = sum(isinstance(s, (PushConfig, UpdateCard, UploadSpace)) for s in self.steps)
        lines.append(f"{commits} commits" + (f", tag {self.tag} in both repos" if self.tag else ", no tag"))
        return "\n".join(lines)

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.dataset_steps + self.space_steps

    def preview_card(self) -> str:
        """The README a push of these builds uploads (exact when every config is pushed; for a
        partial push the Hub's other configs are added at push time)."""
        return next(s for s in self.steps if isinstance(s, UpdateCard)).render()


def make_plan(builds: Sequence[Build], dataset_repo: str, metric_repo: str, metric_dir: Path, card: Path,
              tag: str | None = None, revision: str = "main", create_pr: bool = False) -> Plan:
    """The ordered steps of a push (no request is made; the card template is rendered once as a check)."""
    version = tag or "untagged"
    files = tuple(metric_files(metric_dir).items())
    ordered = tuple(sorted(builds, key=lambda b: (b.config != DEFAULT_CONFIG, b.config)))
    dataset: list[Step] = [PushConfig(dataset_repo, b, version) for b in ordered]
    from ..tokens.stats import DEFAULT_PROMPT_LIMIT

    images = tuple(card_images(ordered, DEFAULT_PROMPT_LIMIT).items())
    card_step = UpdateCard(dataset_repo, ordered, card, metric_repo, tag, version, stats_section(ordered), images)
    card_step.render()  # a broken template is refused now, not after the data commits
    dataset.append(card_step)
    space: list[Step] = [UploadSpace(metric_repo, files, version, dataset_repo)]
    if tag:
        dataset.append(CreateTag(dataset_repo, "dataset", tag))
        space.append(CreateTag(metric_repo, "space", tag))
    return Plan(dataset_repo, metric_repo, revision, create_pr, tag, tuple(dataset), tuple(space))


def existing_tags(api: Any, repo_id: str, repo_type: str) -> set[str]:
    """Tags of a repo (empty when the repo does not exist yet)."""
    from huggingface_hub.errors import RepositoryNotFoundError

    with hub_step(f"reading the tags of {repo_type} {repo_id}"):
        try:
            refs = api.list_repo_refs(repo_id, repo_type=repo_type)
        except RepositoryNotFoundError as err:
            if getattr(getattr(err, "response", None), "status_code", None) != 404:
                raise
            return set()
    return {t.name for t in refs.tags}


def check_tag_free(api: Any, plan: Plan) -> None:
    """Refuse before any write if the tag already exists in the dataset or the Space."""
    if not plan.tag:
        return
    for repo_id, repo_type in ((plan.dataset_repo, "dataset"), (plan.metric_repo, "space")):
        if plan.tag in existing_tags(api, repo_id, repo_type):
            raise PublishError(f"tag {plan.tag} already exists in {repo_type} {repo_id}; choose a new version")


def execute(plan: Plan, token: str | None) -> list[str]:
    """Run the plan against the Hub; return the commit (or pull request) URLs."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    check_tag_free(api, plan)
    ctx = Context(api, token, plan.revision, plan.create_pr)
    for step in plan.steps:
        step.run(ctx)
    return ctx.commits


def resolve_token() -> str | None:
    """``HF_TOKEN``, else the token saved by ``hf auth login`` (never logged)."""
    from huggingface_hub import get_token

    token = get_token()
    register_secret(token)
    return token


# ============================================================================ CLI


def configure_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``push`` subcommand."""
    from ..build.cli import add_strict_option
    p = subparsers.add_parser(
        "push", help="publish the dataset configs and the metric Space to the Hub",
        description="Validate builds, push every config to the dataset repo, render the card, upload the metric Space, tag.",
    )  # fmt: skip
    p.add_argument("--dataset-repo", required=True, metavar="ORG/NAME", help="dataset repo, e.g. org/rlla_4k_gpt")
    p.add_argument("--metric-repo", required=True, metavar="ORG/NAME", help="metric Space, e.g. org/toolrl_gpt_oss_reward")
    p.add_argument("--build", action="append", default=[], metavar="DIR",
                   help="a directory written by `rlla-4k-gpt build` (repeat per config); "
                        "default: build every config from ToolRL's pinned sources")  # fmt: skip
    p.add_argument("--tag", metavar="vX.Y.Z", help="tag both repos (never v0.* or an evaluate release)")
    p.add_argument("--revision", default="main", metavar="BRANCH", help="branch to push to (default: main)")
    p.add_argument("--create-pr", action="store_true", help="open one pull request per repo instead of committing")
    p.add_argument("--dry-run", action="store_true", help="print every file and commit, make no request")
    add_strict_option(p)  # for builds made here (no --build)
    p.add_argument("--card", type=Path, default=DEFAULT_CARD, help="dataset card template (default: dataset_card.md)")
    p.add_argument("--metric-dir", type=Path, default=DEFAULT_METRIC_DIR, help="metric Space bundle folder")
    p.add_argument("--card-out", type=Path, metavar="FILE",
                   help="also write the card rendered from the local builds here (e.g. with --dry-run)")  # fmt: skip
    p.set_defaults(func=run_push)


def check_options(args: argparse.Namespace) -> None:
    """Everything about the arguments that can be refused without reading a build."""
    check_repo_id(args.dataset_repo, "--dataset-repo")
    check_repo_id(args.metric_repo, "--metric-repo")
    if args.tag is not None:
        check_tag(args.tag)
    if args.tag and args.create_pr:
        raise PublishError("--tag with --create-pr is refused: tag after the pull requests are merged")
    if args.revision.startswith("refs/") or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_./-]*", args.revision):
        raise PublishError(f"--revision must be a branch name, not {args.revision!r}")
    if not Path(args.card).is_file():
        raise PublishError(f"dataset card template not found: {args.card}")


def validated_builds(paths: Sequence[str | Path]) -> list[Build]:
    """Load and validate builds; raise naming every problem found (build dir, split, row)."""
    builds = [load_build(p) for p in paths]
    check_builds(builds)
    problems = [p for b in builds for p in validate_build(b)]
    if problems:
        for problem in problems:
            logger.error("%s", problem)
        raise PublishError(f"refusing to publish: {len(problems)} invariant failure(s), first: {problems[0]}")
    for b in builds:
        logger.info("build %s (config %s): %s rows valid", b.path, b.config,
                    ", ".join(f"{s} {b.written(s):,}" for s in b.splits))
    return builds


def run_push(args: argparse.Namespace) -> int:
    """Run ``push``: 0 on success, 1 when refused or when the Hub answers an error.

    Without ``--build`` every config is first built from ToolRL's pinned GitHub sources into a
    temporary folder (also with ``--dry-run``: that downloads from GitHub but sends nothing to the
    Hub).
    """
    if not getattr(args, "verbose", False):  # one line per HTTP request is noise at INFO level
        for name in ("httpx", "httpx2", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        check_options(args)
        if args.build:
            return _push(args, validated_builds(args.build))
        with tempfile.TemporaryDirectory(prefix="rlla-push-") as root:
            built = build_default_sources(Path(root), args.strict)
            return _push(args, validated_builds([b.path for b in built]))
    except PublishError as err:
        logger.error("%s", err, exc_info=bool(getattr(args, "verbose", False)))  # -v adds the traceback
        return 1


def _push(args: argparse.Namespace, builds: Sequence[Build]) -> int:
    plan = make_plan(builds, args.dataset_repo, args.metric_repo, Path(args.metric_dir), Path(args.card),
                     args.tag, args.revision, args.create_pr)
    if args.card_out is not None:
        Path(args.card_out).write_text(plan.preview_card(), encoding="utf-8")
        logger.info("wrote the card rendered from the local builds to %s", args.card_out)
    if args.dry_run:
        print(plan.describe())
        print("dry run: nothing was sent to the Hub")
        return 0
    token = resolve_token()
    if token is None:
        raise PublishError("no Hub token: set HF_TOKEN or run `hf auth login`")
    for url in execute(plan, token):
        print(url)
    print(f"published {', '.join(b.config for b in builds)} to {args.dataset_repo} and the metric to "
          f"{args.metric_repo}" + (f" as {args.tag}" if args.tag else ""))
    return 0
