"""What a datasets release without the ``Json`` feature (added in 4.7.0) gets when it loads the
dataset by name: a clear error naming the feature type, not rows with silently wrong columns.

The old datasets lives in its own client-only venv (``tests/ci/olddatasets.txt``, datasets 4.6.1);
``make test-olddatasets`` builds it and runs this file in the main venv with
``RLLA_OLD_DATASETS`` pointing at that venv's python. The repo is served by the local Hub
stand-in (tests/hub_emulator.py); the upload and the load each run in their own subprocess.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from .hub_emulator import HubEmulator
from .hub_utils import hub_env, run_client
from .integration import required_suites

SUITE = "olddatasets"
REPO_ID = "org/rlla_4k_gpt"

UPLOAD = """
from huggingface_hub import HfApi
api = HfApi()
api.create_repo({repo!r}, repo_type="dataset")
api.upload_folder(repo_id={repo!r}, repo_type="dataset", folder_path={folder!r}, path_in_repo="data")
"""

LOAD = """
import datasets
from datasets import load_dataset
print("datasets", datasets.__version__)
load_dataset({repo!r}, split="test")
"""


@pytest.fixture(scope="module")
def old_python() -> str:
    path = os.environ.get("RLLA_OLD_DATASETS")
    if path:
        return path
    if SUITE in required_suites():
        pytest.fail("RLLA_OLD_DATASETS is not set (run `make test-olddatasets`)")
    pytest.skip(f"needs the datasets 4.6 venv (make test-{SUITE})")


def test_old_datasets_stops_with_a_clear_error(old_python: str, build_dirs: dict[str, Path], tmp_path: Path) -> None:
    with HubEmulator() as hub:
        run_client(UPLOAD.format(repo=REPO_ID, folder=str(build_dirs["rl"] / "data")), hub_env(hub.endpoint, tmp_path / "up"))
        env = hub_env(hub.endpoint, tmp_path / "old")
        proc = subprocess.run([old_python, "-c", textwrap.dedent(LOAD.format(repo=REPO_ID))], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert "datasets 4.6." in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode != 0, "datasets 4.6 loaded the Json columns without an error:\n" + proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert "Feature type 'Json' not found" in last, proc.stderr[-2000:]
