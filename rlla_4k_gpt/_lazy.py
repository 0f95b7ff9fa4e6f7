"""Lazy public names for the stage packages (PEP 562), so that importing a package is cheap.

``rlla-4k-gpt score`` imports the build, stats and push command modules to list their options; with
eager ``__init__`` files that would load datasets, openai-harmony and transformers for nothing.

Example:
    >>> names, getattr_, dir_ = lazy_exports("json", {"decoder": ["JSONDecodeError"]})
    >>> names, getattr_("JSONDecodeError").__name__
    (['JSONDecodeError'], 'JSONDecodeError')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import Any, NamedTuple


class LazyExports(NamedTuple):
    """What a package ``__init__`` assigns: ``__all__, __getattr__, __dir__ = lazy_exports(...)``."""

    names: list[str]
    getattr: Callable[[str], Any]
    dir: Callable[[], list[str]]


def lazy_exports(package: str, modules: Mapping[str, Sequence[str]]) -> LazyExports:
    """Public names of ``package``, each loaded from its submodule on first use."""
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{home[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(home)

    return LazyExports(sorted(home), __getattr__, __dir__)
