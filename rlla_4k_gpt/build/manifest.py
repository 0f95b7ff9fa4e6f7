"""What a build folder must hold: each split's parquet file pinned by row count and sha256.

``rlla-4k-gpt build`` writes the pins into ``build_report.json`` (``files``); ``push`` and
``stats`` read a folder only through :func:`check_build_folder`, which refuses a folder whose
files and report disagree: a split missing or added, a file changed, or a report left over from
another build.

Example:
    >>> import tempfile, pathlib
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "data").mkdir()
    >>> pq.write_table(pa.table({"x": [1, 2]}), folder / "data" / "test-00000-of-00001.parquet")
    >>> pins = pin_files(folder, ["test"])
    >>> pins["test"].rows
    2
    >>> sorted(check_build_folder(folder, {"files": {"test": pins["test"].to_dict()}}))
    ['test']
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import pyarrow.parquet as pq

DATA_DIR = "data"
REPORT_FILE = "build_report.json"


class BuildFolderError(ValueError):
    """A build folder's files disagree with its report; the message names the folder and file."""


def parquet_name(split: str) -> str:
    """File name of a split written as one shard (the layout ``load_dataset(folder)`` reads)."""
    return f"{split}-00000-of-00001.parquet"


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FilePin:
    """One split's file inside a build folder: relative path, row count, sha256."""

    file: str
    rows: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pin_files(folder: str | Path, splits: Sequence[str]) -> dict[str, FilePin]:
    """Pins of the written split files of ``folder``."""
    folder = Path(folder)
    pins: dict[str, FilePin] = {}
    for split in splits:
        relative = f"{DATA_DIR}/{parquet_name(split)}"
        path = folder / relative
        pins[split] = FilePin(relative, pq.ParquetFile(path).metadata.num_rows, sha256_file(path))
    return pins


def read_report(folder: str | Path) -> dict[str, Any]:
    """The parsed ``build_report.json`` of a build folder."""
    path = Path(folder) / REPORT_FILE
    if not path.is_file():
        raise BuildFolderError(f"{folder}: not a build folder (no {REPORT_FILE}); run `rlla-4k-gpt build --out {folder}`")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise BuildFolderError(f"{path}: unreadable build report ({err})") from None
    if not isinstance(report, dict):
        raise BuildFolderError(f"{path}: unreadable build report (not a JSON object)")
    return report


def check_build_folder(folder: str | Path, report: Mapping[str, Any]) -> dict[str, Path]:
    """``{split: parquet path}`` if the folder holds exactly the files ``report`` pins; else raise.

    Raises:
        BuildFolderError: no pins (a report from before pinning), a pinned file missing, changed
            or with another row count than pinned or counted as written, or a parquet file under
            ``data/`` that no pin names.
    """
    folder = Path(folder)
    pins = report.get("files")
    if not pins:
        raise BuildFolderError(f"{folder}: the build report pins no files (built by an older version?); rebuild it")
    found = {p.relative_to(folder).as_posix() for p in (folder / DATA_DIR).glob("*.parquet")}
    splits: dict[str, Path] = {}
    for split, pin in sorted(pins.items()):
        splits[split] = _check_pin(folder, split, pin)
        found.discard(str(pin["file"]))
        written = report.get("splits", {}).get(split, {}).get("written", pin.get("rows"))
        if written != pin.get("rows"):
            raise BuildFolderError(f"{folder}: split {split}: the report counts {written} rows written but pins {pin.get('rows')}")
    if found:
        raise BuildFolderError(f"{folder}: {sorted(found)[0]} is not in the build report (left from another build?)")
    return splits


def _check_pin(folder: Path, split: str, pin: Mapping[str, Any]) -> Path:
    path = folder / str(pin.get("file", ""))
    if not path.is_file():
        raise BuildFolderError(f"{folder}: split {split}: {pin.get('file')} is missing (interrupted or edited build?)")
    digest = sha256_file(path)
    if digest != pin.get("sha256"):
        raise BuildFolderError(f"{path}: sha256 {digest[:12]}… differs from the build report's "
                               f"{str(pin.get('sha256'))[:12]}… (file changed after the build?)")
    rows = pq.ParquetFile(path).metadata.num_rows
    if rows != pin.get("rows"):
        raise BuildFolderError(f"{path}: {rows} rows, the build report says {pin.get('rows')}")
    return path
