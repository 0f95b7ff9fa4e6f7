"""Where ToolRL records come from, and how they are split.

Two source forms hold the same content:

- **processed verl parquet** (``dataset/rlla_4k/{train,test}.parquet``): ``prompt`` holds the
  instruction (system) and input (user), ``reward_model.ground_truth`` the output; the split is
  given by the file;
- **raw JSON** (``dataset/rlla_4k_raw/*.json``): a list of ``{"instruction", "input", "output"}``,
  split by ToolRL's rule: NumPy's legacy global seed 31415, ``np.random.shuffle`` of the list,
  and the last ``int(n * 0.02)`` rows as ``test``.

The defaults are ToolRL's GitHub files at a pinned commit. ``datasets`` does not verify
downloads, so each pinned file is checked against its git blob id here.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Union

import numpy as np
import pyarrow.parquet as pq

TOOLRL_REPO = "qiancheng0/ToolRL"
TOOLRL_COMMIT = "8cee13ec0ca72f0461da372a93a6fd8140dbb840"
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
SPLIT_SEED = 31415
TEST_FRACTION = 0.02

SourceSpec = Union[str, Path, dict[str, Union[str, Path, list]]]


class SourceError(ValueError):
    """A source file is missing, unreadable, of an unknown kind, or fails verification."""


@dataclass(frozen=True)
class PinnedFile:
    """An upstream file at the pinned commit, with its git blob id."""

    path: str
    blob_id: str

    @property
    def url(self) -> str:
        return RAW_URL.format(repo=TOOLRL_REPO, commit=TOOLRL_COMMIT, path=self.path)


PINNED: dict[str, dict[str, PinnedFile]] = {
    "rl": {
        "train": PinnedFile("dataset/rlla_4k/train.parquet", "0ddc730c556e4d26449dbdb55a1b28be824a8bfe"),
        "test": PinnedFile("dataset/rlla_4k/test.parquet", "ccdac1cc0112fb54dd68cbc88d9abfe28ce3d749"),
    },
    "sft": {"raw": PinnedFile("dataset/rlla_4k_raw/rlla_sft.json", "7264a450b031b23b6b54dae109bc81b7ff7b929f")},
}


@dataclass(frozen=True)
class Record:
    """One raw ToolRL record with where it came from."""

    data: dict[str, Any]
    split: str
    index: int
    source: str
    source_row: int

    @property
    def where(self) -> str:
        return f"{self.source} row {self.source_row}"


# ----------------------------------------------------------------------------- verification


def git_blob_id(path: str | Path) -> str:
    """``sha1(b"blob <size>\\0" + content)``, the id git gives a file's content.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "f"; _ = p.write_bytes(b"hello\\n")
        >>> git_blob_id(p)
        'ce013625030ba8dba906f756967f9e9ca394464a'
    """
    path = Path(path)
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_blob(path: str | Path, expected: str, label: str) -> None:
    """Raise :class:`SourceError` unless ``path`` has git blob id ``expected``."""
    got = git_blob_id(path)
    if got != expected:
        raise SourceError(f"{label}: git blob id {got} does not match the pinned {expected}")


# ----------------------------------------------------------------------------- embedded sample


def sample_path() -> Path:
    """The embedded copy of ToolRL's 80-row test split (Apache-2.0, see ``data/NOTICE``)."""
    return Path(str(resources.files("rlla_4k_gpt") / "data" / "toolrl_rlla_4k_test.parquet"))


# ----------------------------------------------------------------------------- readers


def kind_of(path: str | Path) -> str:
    """``"parquet"`` or ``"json"`` from a file name (``.json.gz`` is JSON)."""
    name = str(path).lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".json", ".json.gz", ".jsonl", ".jsonl.gz")):
        return "json"
    raise SourceError(f"{path}: unknown source kind (expected .parquet, .json or .json.gz)")


def _parquet_record(row: dict[str, Any], where: str) -> dict[str, Any]:
    prompt = row.get("prompt") or []
    roles = {m.get("role"): m.get("content") for m in prompt if isinstance(m, dict)}
    truth = (row.get("reward_model") or {}).get("ground_truth")
    if "system" not in roles or "user" not in roles or truth is None:
        raise SourceError(f"{where}: not a ToolRL verl row (needs prompt system+user and reward_model.ground_truth)")
    return {"instruction": roles["system"], "input": roles["user"], "output": truth}


def iter_parquet(path: str | Path, split: str, label: str | None = None) -> Iterator[Record]:
    """Records of a processed ToolRL parquet file, read in batches (memory stays flat)."""
    label = label or Path(path).name
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as err:
        raise SourceError(f"{label}: cannot read parquet ({err})") from None
    row_no = 0
    for batch in parquet.iter_batches(batch_size=256, columns=["prompt", "reward_model", "extra_info"]):
        for row in batch.to_pylist():
            index = (row.get("extra_info") or {}).get("index", row_no)
            yield Record(_parquet_record(row, f"{label} row {row_no}"), split, int(index), label, row_no)
            row_no += 1


def read_json(path: str | Path, label: str | None = None) -> list[dict[str, Any]]:
    """A raw ToolRL JSON file (a list of records, or JSON lines); gzip is detected and unpacked."""
    label = label or Path(path).name
    try:
        raw = Path(path).read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SourceError(f"{label}: cannot read ({err})") from None
    data = _parse_records(text, label)
    if not data:
        raise SourceError(f"{label}: holds no ToolRL records (empty file or empty list)")
    if not all(isinstance(r, dict) for r in data):
        raise SourceError(f"{label}: expected a list of objects")
    return data


RECORD_KEYS = frozenset({"instruction", "input", "output"})


def _parse_records(text: str, label: str) -> list[Any]:
    """A JSON list, or JSON lines; a lone object that is not a record is refused by name."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            return json.loads(text)
        if stripped.startswith("{") and "\n" in stripped.rstrip():
            whole = _maybe_json(text)
            if isinstance(whole, dict):
                return _lone_object(whole, label)
        records = [json.loads(x) for x in text.splitlines() if x.strip()]
    except json.JSONDecodeError as err:
        raise SourceError(f"{label}: invalid JSON at line {err.lineno} ({err.msg})") from None
    if len(records) == 1 and isinstance(records[0], dict):
        return _lone_object(records[0], label)
    return records


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _lone_object(obj: dict[str, Any], label: str) -> list[dict[str, Any]]:
    if RECORD_KEYS <= obj.keys():
        return [obj]
    raise SourceError(f"{label}: holds a single JSON object (keys {sorted(obj)[:5]}), not a list of ToolRL "
                      "records {instruction, input, output}")


def toolrl_split(n: int, seed: int = SPLIT_SEED, test_fraction: float = TEST_FRACTION) -> dict[str, list[int]]:
    """Source row numbers of each split under ToolRL's rule.

    The global legacy generator is used exactly as ToolRL does, then restored.

    Example:
        >>> parts = toolrl_split(100)
        >>> len(parts["train"]), len(parts["test"])
        (98, 2)
    """
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        order = list(range(n))
        np.random.shuffle(order)
    finally:
        np.random.set_state(state)
    n_test = int(n * test_fraction)
    return {"train": order[: n - n_test], "test": order[n - n_test :]}


def iter_json_split(path: str | Path, split: str, label: str | None = None) -> Iterator[Record]:
    """Records of one split of a raw JSON file, in ToolRL's shuffled order."""
    label = label or Path(path).name
    data = read_json(path, label)
    for index, row_no in enumerate(toolrl_split(len(data))[split]):
        yield Record(data[row_no], split, index, label, row_no)


def iter_json_whole(path: str | Path, split: str, label: str | None = None) -> Iterator[Record]:
    """All records of a raw JSON file, as one split, in file order."""
    label = label or Path(path).name
    for row_no, data in enumerate(read_json(path, label)):
        yield Record(data, split, row_no, label, row_no)
