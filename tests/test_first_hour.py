"""The first run's rough edges (issue 10): options that were ignored, offline hangs, import notices."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "rlla_4k_gpt.cli"]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, HF_HOME=str(tmp_path / "hf"), **env)
    return subprocess.run(args, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)


def test_over_limit_without_a_limit_is_an_error(tmp_path: Path) -> None:
    proc = run([*CLI, "build", "--sample", "--out", "out", "--over-limit", "drop"], tmp_path)
    assert proc.returncode == 1
    assert "--over-limit drop needs --max-prompt-tokens" in proc.stderr
    assert not (tmp_path / "out").exists(), "nothing is written when the options are refused"


@pytest.mark.parametrize("env", [{"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": "http://127.0.0.1:9"}],
                         ids=["HF_HUB_OFFLINE", "unreachable-endpoint"])
def test_stats_fails_at_once_without_the_hub(env: dict[str, str], tmp_path: Path, build_dirs: dict[str, Path]) -> None:
    proc = run([*CLI, "stats", str(build_dirs["rl"])], tmp_path, **env)
    assert proc.returncode == 2
    assert "the Hub cannot be reached (or HF_HUB_OFFLINE is set) and it is not cached" in proc.stderr
    assert "--tokenizer offline" in proc.stderr
    assert "Retrying" not in proc.stderr  # huggingface_hub's retry loop never started


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="the notice only appears without torch")
def test_no_pytorch_notice(tmp_path: Path) -> None:
    code = "import rlla_4k_gpt.tokens.stats, transformers; transformers.AutoTokenizer"
    proc = run([sys.executable, "-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "PyTorch was not found" not in proc.stderr
    bare = run([sys.executable, "-c", "import transformers"], tmp_path)
    assert "PyTorch was not found" in bare.stderr, "without our filter transformers does print it"
