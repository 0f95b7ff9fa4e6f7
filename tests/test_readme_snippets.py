"""Every ```python and ```bash block of the README (and of examples/*/README.md) runs as written.

A file's blocks run in order, offline (``HF_HUB_OFFLINE=1``, so the snippets take their documented
fallback, the embedded sample), in a scratch folder that links the checkout's top-level entries:
``python`` blocks share one namespace (like a notebook), ``bash`` blocks run with ``set -euo
pipefail`` and this venv's ``bin`` first on ``PATH``. A block is left out only when the line right
before its fence is ``<!-- readme-test: skip: REASON -->`` (e.g. ``make test`` itself, or a
download from GitHub); the reason is required. Adding a block to one of these files adds it here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPET_FILES = [ROOT / "README.md", *sorted(ROOT.glob("examples/*/README.md"))]
FENCE = re.compile(r"^```(?P<lang>[A-Za-z]*)[^\n]*\n(?P<code>.*?)^```\s*$", re.S | re.M)
SKIP = re.compile(r"<!--\s*readme-test:\s*skip:\s*(?P<reason>[^>]*?)\s*-->\s*$")
RUN = ("python", "bash")


@dataclass(frozen=True)
class Block:
    """One fenced code block: language, code, the line it starts on, and the skip reason if any."""

    lang: str
    code: str
    line: int
    skip: str | None


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a markdown file, each with the skip marker from the line above it."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = SKIP.search(before)
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(match["lang"], match["code"], line, marker["reason"] if marker else None))
    return found


def scratch_checkout(tmp: Path) -> Path:
    """A folder linking every top-level entry of the checkout except build outputs."""
    for entry in ROOT.iterdir():
        if entry.name not in {"build", ".git"} and not entry.name.startswith(".venv"):
            (tmp / entry.name).symlink_to(entry)
    return tmp


def offline_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_CACHE=str(tmp / ".hf-datasets"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")  # fmt: skip
    env.pop("TIKTOKEN_ENCODINGS_BASE", None)
    return env


def test_skip_markers_have_reasons_and_most_blocks_run() -> None:
    runnable = [b for b in blocks(ROOT / "README.md") if b.lang in RUN]
    assert sum(b.skip is None for b in runnable) >= 5, "the README should have at least five runnable blocks"
    assert all(b.skip is None or b.skip.strip() for b in runnable)


@pytest.mark.parametrize("path", SNIPPET_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_snippets_run(path: Path, tmp_path: Path) -> None:
    (tmp_path / "checkout").mkdir()
    work = scratch_checkout(tmp_path / "checkout")
    env = offline_env(tmp_path)
    python_code: list[str] = []
    for block in blocks(path):
        if block.lang not in RUN or block.skip is not None:
            continue
        if block.lang == "python":
            python_code.append(f"# --- {path.name} line {block.line}\n{block.code}")
            continue
        run = subprocess.run(["bash", "-c", "set -euo pipefail\n" + block.code], cwd=work, env=env,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
        assert run.returncode == 0, f"{path.name} line {block.line} (bash) failed:\n{run.stdout}\n{run.stderr}"
    if python_code:
        run = subprocess.run([sys.executable, "-c", "\n".join(python_code)], cwd=work, env=env,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
        assert run.returncode == 0, f"{path.name} python blocks failed:\n{run.stdout}\n{run.stderr}"
