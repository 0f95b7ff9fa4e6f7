"""Integration suites that need a package the main venv does not have (verl, TRL, another
transformers).

Each such suite runs in its own venv, ``.venv-NAME``, built by ``make test-NAME`` from
``tests/ci/NAME.txt``; ``make test`` (and so CI) runs every suite. In its own venv the suite is
started with ``RLLA_REQUIRE=NAME``, and :func:`require` then imports the package or fails. In any
other venv it skips, naming the make target that runs it.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def required_suites() -> set[str]:
    """The suites this venv must run (``RLLA_REQUIRE``, comma-separated)."""
    return {name for name in os.environ.get("RLLA_REQUIRE", "").split(",") if name}


def require(module: str, suite: str) -> ModuleType:
    """Import ``module`` for ``suite``: a hard import in the suite's venv, a skip elsewhere."""
    if suite in required_suites():
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"runs in .venv-{suite} (make test-{suite})")
