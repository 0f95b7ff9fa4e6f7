"""The ``datasets`` builder that turns ToolRL sources into train/test splits.

Configs:

- ``rl`` (default): ToolRL's RL data, 3,920 train and 80 test rows (the processed verl parquet);
- ``sft``: ToolRL's 400 rows with distilled reasoning (``rlla_sft.json``), split by ToolRL's own
  rule (seed 31415, last 2% as test), i.e. 392 train and 8 test rows, so SFT users get a small
  held-out set drawn the same way as the RL split.

Example:
    >>> import tempfile
    >>> from rlla_4k_gpt.build.builder import Rlla4kGpt
    >>> from rlla_4k_gpt.build.sources import sample_path
    >>> builder = Rlla4kGpt(config_name="rl", source={"test": str(sample_path())},
    ...                     cache_dir=tempfile.mkdtemp())
    >>> builder.download_and_prepare()
    >>> builder.as_dataset("test")[0]["data_source"]
    'rlla_gpt'
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from ..convert.record import SourceDataError, convert_record
from .report import BuildReport
from ..reward.toolrl_reward_core import TOOLRL_CITATION as CITATION
from ..convert.rows import FEATURES, make_row, template_rendering_of
from .sources import PINNED, Record, SourceError, SourceSpec, iter_json_split, iter_json_whole, iter_parquet, kind_of
from .sources import verify_blob
from ..errors import one_line
from .manifest import sha256_file

logger = logging.getLogger(__name__)

OVER_LIMIT = ("flag", "drop")
SPLITS = ("train", "test")


@dataclass
class Rlla4kGptConfig(datasets.BuilderConfig):
    """Builder options.

    Attributes:
        source: ``None`` for ToolRL's pinned GitHub files; a path or URL (parquet directory,
            parquet file, raw JSON); or a ``{split: path_or_url | [paths]}`` mapping whose files
            are taken whole for that split.
        reasoning_effort: ``low``, ``medium`` or ``high`` in the harmony system message.
        strict: ``False`` (default) excludes rows with source-data errors (upstream contradictions,
            see :class:`~rlla_4k_gpt.convert.record.SourceDataError`) and reports them; ``True`` raises.
            Any other bad row always raises, naming its file and row.
        verify: check pinned downloads against their git blob ids.
        max_prompt_tokens: off by default; when set, prompts longer than this many gpt-oss tokens
            are flagged (``extra_info.over_prompt_limit``) or dropped, and counted in the report.
        over_limit: ``flag`` (default) or ``drop``.
        sha256: optional ``{source as given (path or URL): expected sha256}``; a source whose
            content differs is refused. Every source's size and sha256 go into the report.
    """

    source: SourceSpec | None = None
    reasoning_effort: str = "medium"
    strict: bool = False
    verify: bool = True
    max_prompt_tokens: int | None = None
    over_limit: str = "flag"
    sha256: dict[str, str] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.over_limit not in OVER_LIMIT:
            raise ValueError(f"over_limit must be one of {OVER_LIMIT}, not {self.over_limit!r}")


@dataclass(frozen=True)
class SourceFile:
    """One local file feeding one split: ``whole`` or split by ToolRL's ``rule``."""

    path: str
    label: str
    take: str
    origin: str = ""

    def describe(self, split: str) -> dict[str, Any]:
        """What the report records of this file: where it came from, its size and sha256."""
        return {"split": split, "file": self.label, "take": self.take, "origin": self.origin or self.path,
                "size": Path(self.path).stat().st_size, "sha256": sha256_file(self.path)}


Fetch = Callable[[str], str]


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _local(value: str | Path, fetch: Fetch) -> str:
    text = str(value)
    if _is_url(text):
        return fetch(text)
    if not Path(text).exists():
        raise SourceError(f"{text}: no such file or directory")
    return text


def plan_sources(spec: SourceSpec | None, config: str, fetch: Fetch, verify: bool = True) -> dict[str, list[SourceFile]]:
    """Resolve a source spec into the local files of each split (downloading URLs with ``fetch``)."""
    if spec is None:
        return _plan_pinned(config, fetch, verify)
    if isinstance(spec, dict):
        return {split: [_whole(p, fetch) for p in (paths if isinstance(paths, list) else [paths])] for split, paths in spec.items()}
    return _plan_single(str(spec), fetch)


def _whole(path: str | Path, fetch: Fetch) -> SourceFile:
    return SourceFile(_local(path, fetch), Path(str(path)).name, "whole", str(path))


def _plan_pinned(config: str, fetch: Fetch, verify: bool) -> dict[str, list[SourceFile]]:
    pinned = PINNED[config]
    local = {key: fetch(f.url) for key, f in pinned.items()}
    for key, f in pinned.items():
        if verify:
            verify_blob(local[key], f.blob_id, f.url)
    if "raw" in local:
        return {s: [SourceFile(local["raw"], Path(pinned["raw"].path).name, "rule", pinned["raw"].url)] for s in SPLITS}
    return {s: [SourceFile(local[s], Path(pinned[s].path).name, "whole", pinned[s].url)] for s in SPLITS}


def _plan_single(spec: str, fetch: Fetch) -> dict[str, list[SourceFile]]:
    if not _is_url(spec) and Path(spec).is_dir():
        found = {s: sorted(Path(spec).glob(f"{s}*.parquet")) for s in SPLITS}
        if not any(found.values()):
            raise SourceError(f"{spec}: no train*.parquet or test*.parquet inside")
        return {s: [SourceFile(str(p), p.name, "whole", str(p)) for p in files] for s, files in found.items() if files}
    label = spec.rsplit("/", 1)[-1]
    if kind_of(spec) == "json":
        local = _local(spec, fetch)
        return {s: [SourceFile(local, label, "rule", spec)] for s in SPLITS}
    split = next((s for s in SPLITS if label.startswith(s)), None)
    if split is None:
        raise SourceError(f"{spec}: cannot tell the split of a parquet file not named train*/test*; pass {{split: path}}")
    return {split: [SourceFile(_local(spec, fetch), label, "whole", spec)]}


def _records(files: list[SourceFile], split: str) -> Iterator[Record]:
    for f in files:
        if f.take == "rule":
            yield from iter_json_split(f.path, split, f.label)
        elif kind_of(f.label) == "parquet":
            yield from iter_parquet(f.path, split, f.label)
        else:
            yield from iter_json_whole(f.path, split, f.label)


def _downloader(dl_manager: datasets.DownloadManager) -> Fetch:
    """``dl_manager.download`` whose failures name the URL and the cause in one line."""

    def fetch(url: str) -> str:
        try:
            return dl_manager.download(url)
        except Exception as err:  # datasets raises bare FileNotFoundError(url), httpx/requests errors, ...
            cause = err.__cause__ or err.__context__
            reason = one_line(cause) if cause is not None and str(err).strip() == url else one_line(err)
            raise SourceError(f"downloading {url} failed: {reason}") from err

    return fetch


def check_sha256(sources: list[dict[str, Any]], expected: dict[str, str]) -> None:
    """Refuse a source whose sha256 differs from the one expected for it (or an unknown source name).

    Example:
        >>> check_sha256([{"origin": "a.json", "sha256": "00"}], {"a.json": "ff"})
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.build.sources.SourceError: a.json: sha256 00 differs from the expected ff
    """
    seen = {s["origin"]: s["sha256"] for s in sources}
    for origin, want in expected.items():
        if origin not in seen:
            raise SourceError(f"{origin}: a sha256 was given for it, but no such source was read ({sorted(seen)})")
        if seen[origin] != want.lower():
            raise SourceError(f"{origin}: sha256 {seen[origin]} differs from the expected {want.lower()}")


class Rlla4kGpt(datasets.GeneratorBasedBuilder):
    """ToolRL's rlla_4k in gpt-oss harmony format. ``self.report`` holds the last build's counts."""

    BUILDER_CONFIG_CLASS = Rlla4kGptConfig
    BUILDER_CONFIGS = [
        Rlla4kGptConfig(name="rl", description="ToolRL RL data: 3,920 train / 80 test rows."),
        Rlla4kGptConfig(name="sft", description="ToolRL SFT data with distilled reasoning: 392 train / 8 test rows."),
    ]
    DEFAULT_CONFIG_NAME = "rl"
    VERSION = datasets.Version("1.0.0")

    def _info(self) -> datasets.DatasetInfo:
        self.report = BuildReport(self.config.name, options=self._options())
        return datasets.DatasetInfo(
            description="ToolRL's rlla_4k tool-calling data in OpenAI gpt-oss harmony format.",
            features=FEATURES,
            homepage="https://github.com/qiancheng0/ToolRL",
            license="apache-2.0",
            citation=CITATION,
        )

    def _options(self) -> dict[str, Any]:
        keys = ("reasoning_effort", "strict", "max_prompt_tokens", "over_limit")
        return {k: getattr(self.config, k) for k in keys}

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        plan = plan_sources(self.config.source, self.config.name, _downloader(dl_manager), self.config.verify)
        self.report.sources = [f.describe(s) for s, fs in plan.items() for f in fs]
        check_sha256(self.report.sources, self.config.sha256 or {})
        return [datasets.SplitGenerator(name=s, gen_kwargs={"files": fs, "split": s}) for s, fs in plan.items()]

    def _generate_examples(self, files: list[SourceFile], split: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for record in _records(files, split):
            row = self._convert(record)
            if row is not None:
                yield f"{split}-{record.index}", row

    def _convert(self, record: Record) -> dict[str, Any] | None:
        self.report.split(record.split).read += 1
        try:
            conv = convert_record(record.data, record.where, self.config.reasoning_effort)
        except SourceDataError as err:
            if self.config.strict:
                raise SourceDataError(err.where, f"{err.reason} (source-data error; without --strict such rows are excluded and reported)") from None
            logger.info("excluding %s", err)  # the build summary and report list it
            self.report.add_skip(record.split, err.where, err.reason)
            return None
        over = self.config.max_prompt_tokens is not None and conv.prompt_tokens > self.config.max_prompt_tokens
        counts = self.report.split(record.split)
        counts.over_prompt_limit += over
        if over and self.config.over_limit == "drop":
            counts.dropped_over_prompt_limit += 1
            return None
        rendering = template_rendering_of(conv)
        self.report.add_row(record.split, conv, record.where, rendering.differences)
        return make_row(conv, record.data, record.split, record.index, record.source, record.source_row, over, rendering)
