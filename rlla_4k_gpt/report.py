"""The build report: what was read, written, skipped, renamed and coerced."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .convert import Conversion

EXAMPLES_PER_KIND = 20


@dataclass
class SplitCounts:
    read: int = 0
    written: int = 0
    skipped: int = 0
    over_prompt_limit: int = 0
    dropped_over_prompt_limit: int = 0


@dataclass
class BuildReport:
    """Counts for one build. ``skipped`` lists every skipped row with its error."""

    config: str
    sources: list[dict[str, str]] = field(default_factory=list)
    splits: dict[str, SplitCounts] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    argument_changes: Counter = field(default_factory=Counter)
    argument_change_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    renamed_tools: dict[str, str] = field(default_factory=dict)
    rows_with_renamed_tools: int = 0
    duplicate_tool_declarations_dropped: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> FilePin, see manifest

    def split(self, name: str) -> SplitCounts:
        return self.splits.setdefault(name, SplitCounts())

    def add_row(self, split: str, conv: Conversion) -> None:
        """Count a converted row."""
        self.split(split).written += 1
        renamed = [(o, s) for o, s in conv.names if o != s]
        self.rows_with_renamed_tools += bool(renamed)
        self.renamed_tools.update(renamed)
        self.duplicate_tool_declarations_dropped += conv.dropped_duplicate_tools
        for change in conv.changes:
            self.argument_changes[change.kind] += 1
            examples = self.argument_change_examples.setdefault(change.kind, [])
            if len(examples) < EXAMPLES_PER_KIND:
                examples.append(_jsonable(asdict(change)))

    def add_skip(self, split: str, where: str, error: str) -> None:
        self.split(split).skipped += 1
        self.skipped.append({"split": split, "where": where, "error": error})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["argument_changes"] = dict(sorted(self.argument_changes.items()))
        data["renamed_tools"] = dict(sorted(self.renamed_tools.items()))
        return data

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def summary(self) -> str:
        """A few human-readable lines."""
        lines = [f"config {self.config}"]
        for name, c in self.splits.items():
            lines.append(f"  {name}: {c.written} rows written, {c.skipped} skipped, {c.read} read")
            if c.over_prompt_limit:
                lines.append(f"  {name}: {c.over_prompt_limit} prompts over the limit, {c.dropped_over_prompt_limit} dropped")
        changes = ", ".join(f"{k} {v}" for k, v in sorted(self.argument_changes.items())) or "none"
        lines.append(f"  argument changes: {changes}")
        lines.append(f"  tools renamed: {len(self.renamed_tools)} distinct names in {self.rows_with_renamed_tools} rows")
        lines += [f"  skipped {s['where']}: {s['error']}" for s in self.skipped[:10]]
        if len(self.skipped) > 10:
            lines.append(f"  ... and {len(self.skipped) - 10} more skipped rows (see the report)")
        return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))
