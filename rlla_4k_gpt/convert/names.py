"""Harmony-safe tool names.

Harmony headers split on whitespace, so a recipient such as ``functions.Search Managers`` cannot be
parsed back. ToolRL names also contain dots, commas, ``+``, ``/`` and leading digits. Every name
becomes an identifier made of ``[A-Za-z0-9_]`` that starts with a letter or ``_``, unique within
its example.

Rule: names that are already safe keep themselves. Others have each run of other characters
replaced by ``_``, leading/trailing ``_`` stripped, ``fn_`` prefixed when they would start with a
digit (or be empty), and ``_2``, ``_3``… appended on a collision. Safe names are claimed first,
then the others in declaration order, so the mapping is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9_]+")


def is_safe(name: str) -> bool:
    """Whether ``name`` can be used as a harmony recipient as it is.

    Example:
        >>> is_safe("get_weather"), is_safe("Search Managers")
        (True, False)
    """
    return bool(_SAFE.fullmatch(name))


def sanitize(name: str) -> str:
    """The safe form of one name, before collisions are resolved.

    Example:
        >>> sanitize("M4.5+ Earthquakes, Past 7 Days")
        'M4_5_Earthquakes_Past_7_Days'
        >>> sanitize("6-TimeSeries Endpoint")
        'fn_6_TimeSeries_Endpoint'
    """
    cleaned = _UNSAFE_RUN.sub("_", name).strip("_")
    if not cleaned or cleaned[0].isdigit():
        cleaned = f"fn_{cleaned}".rstrip("_")
    return cleaned


def safe_names(names: Sequence[str]) -> list[str]:
    """A unique safe identifier for each position of ``names`` (a repeated name gets a new one).

    Example:
        >>> safe_names(["a b", "a_b", "Get News", "a_b"])
        ['a_b_2', 'a_b', 'Get_News', 'a_b_3']
    """
    out: list[str | None] = [None] * len(names)
    taken: set[str] = set()
    for i, name in enumerate(names):
        if is_safe(name) and name not in taken:
            out[i] = name
            taken.add(name)
    for i, name in enumerate(names):
        if out[i] is None:
            out[i] = _unique(sanitize(name), taken)
            taken.add(out[i])
    return [n for n in out if n is not None]


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate
