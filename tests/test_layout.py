"""The package layout: stages import only down the pipeline, no oversized modules, old paths kept."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rlla_4k_gpt"

# Lower ranks sit below higher ones; a module may import its own stage or a lower rank.
RANKS = {
    "errors": 0, "vocab": 0, "_lazy": 0,  # shared by every stage
    "reward": 1, "trainers": 1,  # beside the pipeline; the core is stdlib-only
    "convert": 2, "build": 3, "tokens": 4, "hub": 5,
    "cli": 6,  # the entry point
}  # fmt: skip
# 0.2's module paths, kept as thin re-exports (each may import its new home).
COMPAT = {
    "builder": "build.builder", "sources": "build.sources", "tokenizer": "tokens.tokenizer",
    "stats": "tokens.stats", "rows": "convert.rows", "template": "convert.template",
    "repair": "convert.repair", "toolrl_reward_core": "reward.toolrl_reward_core",
    "verl_reward": "reward.verl_reward", "verl_agent_loop": "trainers.verl_agent_loop",
}  # fmt: skip
MAX_LINES = 400
LONG_ON_PURPOSE = {"reward/toolrl_reward_core.py"}  # one file: the Space imports it as its single helper


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "data" not in p.relative_to(PACKAGE).parts)


def dotted(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported(path: Path) -> set[str]:
    """First component below ``rlla_4k_gpt`` of everything the module imports from the package."""
    here = dotted(path) if path.name == "__init__.py" else dotted(path)[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - node.level + 1] + (node.module.split(".") if node.module else [])
            found.add(base[0] if base else "__init__")  # from . import __version__: the root package
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rlla_4k_gpt."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("rlla_4k_gpt."))
    return found - {"__init__", "data"}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_pipeline(path: Path) -> None:
    parts = dotted(path)
    own = parts[0] if parts else "__init__"
    if own in COMPAT:
        assert imported(path) == {COMPAT[own].split(".")[0]}
        return
    assert own in RANKS or own == "__init__", f"{path}: a module outside the stage packages"
    upward = {name for name in imported(path) - {own} if RANKS.get(name, 99) >= RANKS.get(own, -1)}
    assert not upward, f"{path} ({own}) imports a stage at or above its own: {sorted(upward)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_about_400_lines(path: Path) -> None:
    if str(path.relative_to(PACKAGE)) in LONG_ON_PURPOSE:
        return
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("package", ["convert", "build", "tokens", "hub"])
def test_stage_init_states_its_job_and_public_names(package: str) -> None:
    module = importlib.import_module(f"rlla_4k_gpt.{package}")
    doc = module.__doc__ or ""
    assert doc.startswith(f"Stage {RANKS[package] - 1}, {package}: ")
    listed = re.findall(r"``(\w+)``", doc.split("Public names:")[1])
    assert sorted(listed) == module.__all__
    assert all(getattr(module, name) is not None for name in module.__all__)


@pytest.mark.parametrize("old, new", sorted(COMPAT.items()))
def test_old_module_paths_still_import(old: str, new: str) -> None:
    if old in {"verl_agent_loop"}:
        pytest.importorskip("verl")
    before = importlib.import_module(f"rlla_4k_gpt.{old}")
    after = importlib.import_module(f"rlla_4k_gpt.{new}")
    own = [n for n, v in vars(after).items() if not n.startswith("_") and getattr(v, "__module__", None) == after.__name__]
    public = getattr(after, "__all__", None) or own
    differ = [name for name in public if hasattr(before, name) and getattr(before, name) is not getattr(after, name)]
    assert public and not differ
    assert any(hasattr(before, name) for name in public)


def test_the_documented_entry_points_are_where_users_have_them() -> None:
    from rlla_4k_gpt.build.builder import Rlla4kGpt
    from rlla_4k_gpt.builder import Rlla4kGpt as old_builder
    from rlla_4k_gpt.reward import compute_score, compute_score_batch, make_trl_reward_func, toolrl_reward_func
    from rlla_4k_gpt.reward import toolrl_reward_core as core
    from rlla_4k_gpt.reward.trl_reward import make_trl_reward_func as trl_factory

    assert old_builder is Rlla4kGpt
    assert (compute_score, compute_score_batch) == (core.compute_score, core.compute_score_batch)
    assert make_trl_reward_func is trl_factory and callable(toolrl_reward_func)
