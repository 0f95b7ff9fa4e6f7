"""Run the builder and write the build folder, atomically.

A build folder holds ``data/{split}-00000-of-00001.parquet`` (the local layout; on the Hub
``push`` stores each config as ``{config}/{split}-00000-of-00001.parquet``) and
``build_report.json``, which
pins each file by row count and sha256 (:mod:`.manifest`). Everything is written into a staging
folder beside ``--out`` and switched in only once complete, so ``--out`` always holds either the
previous complete build or the new one, whatever interrupts the build.

Example:
    >>> import tempfile
    >>> from rlla_4k_gpt.build.write import build
    >>> from rlla_4k_gpt.build.sources import sample_path
    >>> report = build(tempfile.mkdtemp() + "/rl", "rl", {"test": str(sample_path())})
    >>> report.splits["test"].written, report.splits["test"].repaired, report.splits["test"].skipped
    (80, 2, 0)
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from datasets.exceptions import DatasetGenerationError

from .builder import Rlla4kGpt
from ..convert.record import ConversionError
from .manifest import DATA_DIR, REPORT_FILE, parquet_name, pin_files
from .report import BuildReport
from .sources import SourceError, SourceSpec
from .staging import owned_temp_dir, remove_stale, staged_folder

logger = logging.getLogger(__name__)

ROW_GROUP_SIZE = 500

__all__ = ["REPORT_FILE", "build", "parquet_name"]


def build(
    out_dir: str | Path,
    config: str = "rl",
    source: SourceSpec | None = None,
    reasoning_effort: str = "medium",
    strict: bool = False,
    verify: bool = True,
    max_prompt_tokens: int | None = None,
    over_limit: str = "flag",
    sha256: dict[str, str] | None = None,
) -> BuildReport:
    """Build one config into ``out_dir`` (parquet per split plus ``build_report.json``).

    Rows with source-data errors are excluded and reported (``strict=True``, the CLI's
    ``--strict``, raises instead); any other bad row raises, naming its file and row.
    The same input gives byte-identical parquet: rows come in source order and nothing time- or
    machine-dependent is written into them. ``out_dir`` is replaced only by a complete build.
    ``sha256`` maps a source as given (path or URL) to the sha256 it must have.
    """
    out = Path(out_dir)
    started = time.perf_counter()
    remove_stale(Path(tempfile.gettempdir()))
    with staged_folder(out) as stage, owned_temp_dir(Path(tempfile.gettempdir())) as cache:
        builder = Rlla4kGpt(
            config_name=config, source=source, reasoning_effort=reasoning_effort,
            strict=strict, verify=verify, max_prompt_tokens=max_prompt_tokens, over_limit=over_limit,
            sha256=sha256, cache_dir=str(cache),
        )  # fmt: skip
        _prepare(builder)
        report = builder.report
        _refuse_empty(report)
        _write_splits(builder, stage / DATA_DIR)
        report.files = {s: pin.to_dict() for s, pin in pin_files(stage, list(report.splits)).items()}
        report.options["seconds"] = round(time.perf_counter() - started, 2)
        report.write(stage / REPORT_FILE)
    return report


def _prepare(builder: Rlla4kGpt) -> None:
    """Run the builder; surface our own errors instead of datasets' generic wrapper."""
    try:
        builder.download_and_prepare(download_mode="force_redownload")
    except DatasetGenerationError as err:
        if isinstance(err.__cause__, (ConversionError, SourceError)):
            raise err.__cause__ from None
        raise


def _refuse_empty(report: BuildReport) -> None:
    """A split with no row written is an error, not an empty release."""
    for split, counts in report.splits.items():
        if counts.written:
            continue
        where = ", ".join(sorted({s["file"] for s in report.sources if s["split"] == split})) or "its source"
        if not counts.read:
            raise SourceError(f"{where}: no ToolRL records for split {split} (empty input?)")
        raise SourceError(f"{where}: none of the {counts.read} records of split {split} was written "
                          f"({counts.skipped} skipped, {counts.dropped_over_prompt_limit} over the prompt limit)")


def _write_splits(builder: Rlla4kGpt, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    for split, dataset in builder.as_dataset().items():
        table = dataset.data.table  # memory-mapped: written batch by batch, memory stays flat
        with pq.ParquetWriter(data_dir / parquet_name(split), table.schema) as writer:
            for batch in table.to_batches(max_chunksize=ROW_GROUP_SIZE):
                writer.write_batch(batch)
        logger.info("wrote %s rows of split %s", table.num_rows, split)
