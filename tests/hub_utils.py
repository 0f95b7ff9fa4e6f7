"""Helpers to run the real Hub clients against the test-only Hub emulator (tests/hub_emulator.py).

huggingface_hub, datasets and evaluate read their endpoint, cache location and offline flags when
they are first imported, so every scenario runs in a fresh Python subprocess whose environment is
built by :func:`hub_env`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Mapping

TEST_TOKEN = "hf_emulator_test_token"

# Variables that would let a client escape the emulator or reuse a developer's real setup.
_DROPPED = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE", "TRANSFORMERS_OFFLINE",
            "HF_DATASETS_CACHE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_EVALUATE_CACHE",
            "HF_MODULES_CACHE", "HF_TOKEN_PATH", "HF_XET_CACHE", "HUGGING_FACE_HUB_TOKEN", "HF_SCRIPTS_VERSION",
            "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def hub_env(endpoint: str, hf_home: str | os.PathLike[str], token: str | None = TEST_TOKEN,
            offline: bool = False, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a client subprocess talking to `endpoint` with its own cache in `hf_home`.

    Pass ``token=None`` for an anonymous client. ``offline=True`` sets both ``HF_HUB_OFFLINE`` and
    ``HF_EVALUATE_OFFLINE`` (evaluate ignores the former); note that offline datasets serves the
    last cached build whatever revision is asked for. ``base`` defaults to ``os.environ``.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _DROPPED}
    Path(hf_home).mkdir(parents=True, exist_ok=True)
    env.update({
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(hf_home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_UPDATE_DOWNLOAD_COUNTS": "0",
        # The emulator speaks the legacy LFS upload protocol, not Xet.
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("HF_TOKEN", None)
    if token is not None:
        env["HF_TOKEN"] = token
    if offline:
        env.update({"HF_HUB_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1"})
    return env


class ClientError(AssertionError):
    """A client subprocess failed; the message carries its stdout and stderr."""


def run_client(code: str, env: Mapping[str, str], cwd: str | os.PathLike[str] | None = None,
               timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `code` (dedented) with this interpreter in a subprocess with `env` and no stdin.

    Raises :class:`ClientError` with the output if it exits non-zero and `check` is true.
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=dict(env), cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise ClientError(f"client exited with {proc.returncode}\n--- code ---\n{textwrap.dedent(code)}"
                          f"\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc
