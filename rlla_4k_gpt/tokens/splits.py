"""Read a build's splits, and the columns ``stats`` needs from each.

A source is a build folder (``data/*.parquet``, checked against its ``build_report.json``), one
parquet file, or a Hub dataset id; :func:`load_splits` gives ``{split: pyarrow.Table}`` for any of
them and :func:`rows_from_table` turns a table into :class:`SplitRows`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ..build.manifest import REPORT_FILE, check_build_folder, read_report

__all__ = ["SplitRows", "XmlRow", "load_build_splits", "load_hub_splits", "load_splits", "rows_from_table", "split_name"]

logger = logging.getLogger(__name__)

_SHARD = re.compile(r"^(?P<split>.+?)-\d{5}-of-\d{5}$")


class XmlRow(NamedTuple):
    """ToolRL's original strings of one row (``extra_info``), the XML side of the token efficiency."""

    instruction: str
    input: str
    output: str


@dataclass
class SplitRows:
    """The columns ``stats`` needs from one split."""

    prompt_text: list[str]
    ground_truth: list[str]
    roles: list[list[str]]
    xml: list[XmlRow | None] = field(default_factory=list)
    stored_prompt_tokens: list[int | None] | None = None  # the build's ``prompt_tokens`` column


def split_name(path: Path) -> str:
    """Split name of a parquet shard.

    Example:
        >>> split_name(Path("data/train-00000-of-00001.parquet")), split_name(Path("test.parquet"))
        ('train', 'test')
    """
    match = _SHARD.match(path.stem)
    return match.group("split") if match else path.stem


def load_build_splits(source: str | Path) -> dict[str, Any]:
    """``{split: pyarrow.Table}`` from a build folder (``data/*.parquet``) or one parquet file.

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> pq.write_table(pa.table({"n": [1, 2]}), folder / "test.parquet")
        >>> {name: table.num_rows for name, table in load_build_splits(folder / "test.parquet").items()}
        {'test': 2}
    """
    # Not datasets.load_dataset: same splits for a build folder, but a lone file becomes "train", a folder without a
    # report gets keyword-guessed splits ("eval.parquet" -> "test"), and every run copies the data into the HF cache.
    import pyarrow as pa
    import pyarrow.parquet as pq

    shards: dict[str, list[Any]] = {}
    for path in _parquet_files(Path(source)):
        shards.setdefault(split_name(path), []).append(pq.read_table(path))
    return {name: pa.concat_tables(tables) for name, tables in shards.items()}


def _parquet_files(root: Path) -> list[Path]:
    """The files its report pins (checked), the file itself, or the folder's parquet files."""
    if (root / REPORT_FILE).is_file():  # a build folder: exactly the files its report pins
        files = list(check_build_folder(root, read_report(root)).values())
    elif root.is_file():
        files = [root]
    else:
        files = sorted((root / "data").glob("*.parquet")) or sorted(root.rglob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{root}: no parquet files (expected {root}/data/*.parquet)")
    return files


def load_hub_splits(repo_id: str) -> dict[str, Any]:
    """``{split: pyarrow.Table}`` of a Hub dataset, through ``datasets.load_dataset``.

    Example (needs the Hub):
        >>> sorted(load_hub_splits("org/rlla_4k_gpt"))  # doctest: +SKIP
        ['test', 'train']
    """
    import datasets

    dataset_dict = datasets.load_dataset(repo_id)
    return {name: ds.with_format("arrow")[:] for name, ds in dataset_dict.items()}


def load_splits(source: str | Path) -> dict[str, Any]:
    """Local build folder / parquet file if ``source`` exists on disk, otherwise a Hub dataset id.

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "data").mkdir()
        >>> pq.write_table(pa.table({"n": [1, 2, 3]}), folder / "data" / "train-00000-of-00001.parquet")
        >>> {name: table.num_rows for name, table in load_splits(folder).items()}
        {'train': 3}
    """
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
    """Pull prompt text, ground truth, prompt roles and ToolRL's XML strings out of a table.

    Example:
        >>> import pyarrow as pa
        >>> rows = rows_from_table(pa.table({
        ...     "prompt_text": ["<|start|>user<|message|>hi<|end|><|start|>assistant"],
        ...     "reward_model": [{"ground_truth": "<|channel|>final<|message|>hey<|return|>"}],
        ...     "extra_info": [{"instruction": "Be brief.", "input": "hi", "output": "hey"}],
        ... }))
        >>> rows.roles, rows.xml[0].output, rows.stored_prompt_tokens
        ([['user']], 'hey', None)
    """
    names = set(table.column_names)
    missing = {"prompt_text", "reward_model"} - names
    if missing:
        raise KeyError(f"table lacks columns {sorted(missing)}; is this an rlla-4k-gpt build?")
    prompt_text = table.column("prompt_text").to_pylist()
    ground_truth = [(rm or {}).get("ground_truth") or "" for rm in table.column("reward_model").to_pylist()]
    xml: list[XmlRow | None] = [None] * len(prompt_text)
    if "extra_info" in names:
        xml = [_xml_row(info) for info in table.column("extra_info").to_pylist()]
    stored = table.column("prompt_tokens").to_pylist() if "prompt_tokens" in names else None
    return SplitRows(prompt_text, ground_truth, _prompt_roles(table, prompt_text), xml, stored)


def _prompt_roles(table: Any, prompt_text: list[str]) -> list[list[str]]:
    """Roles of each row's prompt messages: from the ``prompt`` column, else from the harmony text."""
    if "prompt" not in table.column_names:
        return [_roles_from_prompt_text(text) for text in prompt_text]
    from ..convert.rows import decoded

    return [[m.get("role") for m in decoded(msgs)] for msgs in table.column("prompt").to_pylist()]


def _xml_row(info: dict[str, Any] | None) -> XmlRow | None:
    """ToolRL's three strings from ``extra_info``, or ``None`` if any is missing."""
    parts = [(info or {}).get(key) for key in XmlRow._fields]
    return XmlRow(*parts) if all(isinstance(p, str) for p in parts) else None
