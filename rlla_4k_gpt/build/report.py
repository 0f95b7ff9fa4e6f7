"""The build report: what was read, written, repaired, excluded, renamed and coerced."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..convert.record import Conversion

EXAMPLES_PER_KIND = 20


@dataclass
class SplitCounts:
    read: int = 0
    written: int = 0
    skipped: int = 0
    repaired: int = 0
    over_prompt_limit: int = 0
    dropped_over_prompt_limit: int = 0


@dataclass
class BuildReport:
    """Counts for one build.

    ``skipped`` lists every excluded row (a source-data error) with its file, row and reason;
    ``repairs`` lists every repaired call (tool name cut at ``(`` upstream), before and after.
    """

    config: str
    sources: list[dict[str, str]] = field(default_factory=list)
    splits: dict[str, SplitCounts] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    repairs: list[dict[str, str]] = field(default_factory=list)
    argument_changes: Counter = field(default_factory=Counter)
    argument_change_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    renamed_tools: dict[str, str] = field(default_factory=dict)
    rows_with_renamed_tools: int = 0
    duplicate_tool_declarations_dropped: int = 0
    template_differences: Counter = field(default_factory=Counter)
    rows_equal_to_template: int = 0
    rows_equal_but_date: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> FilePin, see manifest

    def split(self, name: str) -> SplitCounts:
        return self.splits.setdefault(name, SplitCounts())

    def add_row(self, split: str, conv: Conversion, where: str, template_differences: tuple[str, ...] = ()) -> None:
        """Count a converted row (``where`` names its file and row for the list of repairs;
        ``template_differences``: its classes from :func:`rlla_4k_gpt.convert.template.differences`)."""
        self.split(split).written += 1
        self.template_differences.update(template_differences)
        self.rows_equal_to_template += not template_differences
        self.rows_equal_but_date += set(template_differences) <= {"current_date"}
        self.split(split).repaired += bool(conv.repairs)
        self.repairs += [{"split": split, "where": where, **asdict(r)} for r in conv.repairs]
        renamed = [pair for pair in conv.names if pair.original != pair.safe]
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
        data["template_differences"] = dict(sorted(self.template_differences.items()))
        return data

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def summary(self) -> str:
        """A few human-readable lines."""
        lines = [f"config {self.config}"]
        for name, c in self.splits.items():
            lines.append(f"  {name}: {c.written} rows written ({c.repaired} repaired), {c.skipped} excluded, {c.read} read")
            if c.over_prompt_limit:
                lines.append(f"  {name}: {c.over_prompt_limit} prompts over the limit, {c.dropped_over_prompt_limit} dropped")
        changes = ", ".join(f"{k} {v}" for k, v in sorted(self.argument_changes.items())) or "none"
        lines.append(f"  argument changes: {changes}")
        lines.append(f"  tools renamed: {len(self.renamed_tools)} distinct names in {self.rows_with_renamed_tools} rows")
        classes = ", ".join(f"{k} {v}" for k, v in sorted(self.template_differences.items())) or "none"
        lines.append(f"  chat template vs prompt_text: {self.rows_equal_but_date} rows equal but the date; rows per class: {classes}")
        lines += [_repair_line(r) for r in self.repairs[:10]]
        if len(self.repairs) > 10:
            lines.append(f"  ... and {len(self.repairs) - 10} more repaired calls (see the report)")
        lines += [f"  excluded {s['where']}: {s['error']}" for s in self.skipped[:10]]
        if len(self.skipped) > 10:
            lines.append(f"  ... and {len(self.skipped) - 10} more excluded rows (see the report)")
        return "\n".join(lines)


def _repair_line(r: dict[str, str]) -> str:
    return f"  repaired {r['where']} ({r['place']}): {r['name_before']!r} / {r['key_before']!r} -> {r['name']!r} / {r['key']!r}"


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))
