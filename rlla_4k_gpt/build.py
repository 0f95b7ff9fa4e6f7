"""Step 7: run the builder and write ``data/{split}-00000-of-00001.parquet`` (the local layout; on the
Hub ``push`` stores them as ``{config}/{split}-00000-of-00001.parquet``).

Example:
    >>> import tempfile
    >>> from rlla_4k_gpt.build import build
    >>> from rlla_4k_gpt.sources import sample_path
    >>> report = build(tempfile.mkdtemp(), "rl", {"test": str(sample_path())}, on_error="skip")
    >>> report.splits["test"].written, report.splits["test"].skipped
    (78, 2)
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from datasets.exceptions import DatasetGenerationError

from .builder import Rlla4kGpt
from .convert import ConversionError
from .report import BuildReport
from .sources import SourceError, SourceSpec

logger = logging.getLogger(__name__)

REPORT_FILE = "build_report.json"
ROW_GROUP_SIZE = 500


def parquet_name(split: str) -> str:
    """Hub file name of a split written as one shard."""
    return f"{split}-00000-of-00001.parquet"


def build(
    out_dir: str | Path,
    config: str = "rl",
    source: SourceSpec | None = None,
    reasoning_effort: str = "medium",
    on_error: str = "raise",
    verify: bool = True,
    max_prompt_tokens: int | None = None,
    over_limit: str = "flag",
) -> BuildReport:
    """Build one config into ``out_dir`` (parquet per split plus ``build_report.json``).

    The same input gives byte-identical parquet: rows come in source order and nothing time- or
    machine-dependent is written into them.
    """
    out = Path(out_dir)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rlla-build-") as cache:
        builder = Rlla4kGpt(
            config_name=config, source=source, reasoning_effort=reasoning_effort,
            on_error=on_error, verify=verify, max_prompt_tokens=max_prompt_tokens, over_limit=over_limit,
            cache_dir=cache,
        )  # fmt: skip
        _prepare(builder)
        _write_splits(builder, out / "data")
    report = builder.report
    report.options["seconds"] = round(time.perf_counter() - started, 2)
    report.write(out / REPORT_FILE)
    return report


def _prepare(builder: Rlla4kGpt) -> None:
    """Run the builder; surface our own errors instead of datasets' generic wrapper."""
    try:
        builder.download_and_prepare(download_mode="force_redownload")
    except DatasetGenerationError as err:
        if isinstance(err.__cause__, (ConversionError, SourceError)):
            raise err.__cause__ from None
        raise


def _write_splits(builder: Rlla4kGpt, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    for old in data_dir.glob("*.parquet"):
        old.unlink()
    for split, dataset in builder.as_dataset().items():
        table = dataset.data.table  # memory-mapped: written batch by batch, memory stays flat
        with pq.ParquetWriter(data_dir / parquet_name(split), table.schema) as writer:
            for batch in table.to_batches(max_chunksize=ROW_GROUP_SIZE):
                writer.write_batch(batch)
        logger.info("wrote %s rows to %s", table.num_rows, data_dir / parquet_name(split))
