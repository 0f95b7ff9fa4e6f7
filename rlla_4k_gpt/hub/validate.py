"""The builds a push publishes: a build folder read and pinned, and every row checked against the invariants.

Example:
    >>> str(Problem(Path("build/rl"), "test", 3, "answer column differs from the parsed ground truth"))
    'build/rl: split test row 3: answer column differs from the parsed ground truth'
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build.manifest import REPORT_FILE, BuildFolderError, check_build_folder, read_report
from .checks import PublishError

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = "rl"
CONFIGS = ("rl", "sft")
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Build:
    """A directory written by ``rlla-4k-gpt build``: its config, report and split files."""

    path: Path
    config: str
    report: dict[str, Any]
    splits: dict[str, Path]

    def written(self, split: str) -> int:
        """Rows the build report says were written to ``split``."""
        return int(self.report.get("splits", {}).get(split, {}).get("written", -1))


def load_build(path: str | Path) -> Build:
    """Read a build folder: its report and exactly the split files the report pins (sha256, rows)."""
    folder = Path(path)
    try:
        report = read_report(folder)
        # Not datasets.load_dataset(folder): same splits, but a stray parquet becomes a split and no pin is checked.
        splits = check_build_folder(folder, report)
    except BuildFolderError as err:
        raise PublishError(str(err)) from None
    config = report.get("config")
    if not isinstance(config, str) or not re.fullmatch(r"[A-Za-z0-9_]+", config):
        raise PublishError(f"{folder / REPORT_FILE}: no valid 'config' name")
    return Build(folder, config, report, splits)


def check_builds(builds: Sequence[Build]) -> None:
    """Refuse two builds of the same config."""
    seen: dict[str, Path] = {}
    for build in builds:
        if build.config in seen:
            raise PublishError(f"config {build.config!r} given twice: {seen[build.config]} and {build.path}")
        seen[build.config] = build.path


@dataclass(frozen=True)
class Problem:
    """A row (or file) that breaks an invariant."""

    build: Path
    split: str
    row: int | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return f"{self.build}: split {self.split} {where}: {self.message}"


def arguments_problem(arguments: Any, parameters: Mapping[str, Any]) -> str | None:
    """Why ``arguments`` do not validate against a tool's ``parameters`` schema, or ``None``.

    Validated with jsonschema (:data:`rlla_4k_gpt.convert.schema.ArgumentValidator`, as in the build);
    a missing required argument is named first, then the first argument (in call order) that fails.

    Example:
        >>> params = {"type": "object", "properties": {"page": {"type": "integer"}}, "required": ["page"]}
        >>> arguments_problem({"page": 1}, params) is None
        True
        >>> arguments_problem({"page": "1"}, params)
        "argument 'page' does not match its schema {'type': 'integer'}"
        >>> arguments_problem({}, params)
        "required argument 'page' is missing"
    """
    from jsonschema.exceptions import UnknownType

    from ..convert.schema import ArgumentValidator

    if not isinstance(arguments, dict):
        return "arguments are not a JSON object"
    try:
        errors = list(ArgumentValidator(parameters).iter_errors(arguments))
    except UnknownType as err:
        return f"the parameters schema names an unknown type {err.type!r}"
    missing = [k for e in errors if e.validator == "required" and not e.path for k in e.validator_value if k not in arguments]
    if missing:
        return f"required argument {missing[0]!r} is missing"
    failing = {e.path[0] for e in errors if e.path}
    key = next((k for k in arguments if k in failing), None)
    if key is not None:
        return f"argument {key!r} does not match its schema {(parameters.get('properties') or {}).get(key)}"
    return f"arguments do not validate: {errors[0].message}" if errors else None


def row_problem(row: Mapping[str, Any], split: str) -> str | None:
    """The first invariant ``row`` breaks, or ``None``.

    The row contract values, ``prompt_text`` ending with ``<|start|>assistant`` (and its token
    count in ``prompt_tokens``, when the column exists), the prompt plus
    ground truth parsing with openai-harmony, every ground-truth call naming a declared tool with
    arguments that validate, the ``answer`` column equal to the parsed ground truth, and
    ``extra_info.split`` equal to the split.
    """
    from ..convert.harmony import ASSISTANT_START, encoding, ground_truth_turn, parse_completion
    from ..convert.rows import ABILITY, DATA_SOURCE, decoded

    expected = {"data_source": DATA_SOURCE, "ability": ABILITY}
    for column, value in expected.items():
        if row.get(column) != value:
            return f"{column} is {row.get(column)!r}, expected {value!r}"
    if (row.get("reward_model") or {}).get("style") != "rule":
        return "reward_model.style is not 'rule'"
    if (row.get("extra_info") or {}).get("split") != split:
        return f"extra_info.split is {(row.get('extra_info') or {}).get('split')!r}, expected {split!r}"
    prompt, truth = row.get("prompt_text") or "", row["reward_model"].get("ground_truth") or ""
    if not prompt.endswith(ASSISTANT_START):
        return "prompt_text does not end with <|start|>assistant"
    if "prompt_tokens" in row and row["prompt_tokens"] != len(encoding().encode(prompt, allowed_special="all")):
        return f"prompt_tokens {row['prompt_tokens']} differs from the token count of prompt_text"
    try:
        parse_completion(prompt + truth)
        turn = ground_truth_turn(truth)
        tools = {t["function"]["name"]: t["function"]["parameters"] for t in decoded(row["tools"])}
    except Exception as err:  # openai-harmony raises its own types; any failure is a broken row
        return f"prompt_text + ground_truth does not parse ({type(err).__name__}: {err})"
    if not turn.calls and turn.response is None:
        return "ground truth has neither a call nor a final message"
    for call in turn.calls:
        if call.name not in tools:
            return f"ground truth calls undeclared tool {call.name!r}"
        problem = arguments_problem(call.arguments, tools[call.name])
        if problem is not None:
            return f"call to {call.name}: {problem}"
    answer = row.get("answer") or {}
    stored = [(c["name"], json.loads(c["arguments"])) for c in answer.get("calls") or []]
    if stored != [(c.name, c.arguments) for c in turn.calls] or answer.get("final") != turn.response:
        return "answer column differs from the parsed ground truth"
    return None


def validate_build(build: Build, limit: int = MAX_PROBLEMS) -> list[Problem]:
    """Check every row of every split of ``build``; return up to ``limit`` problems (none: valid).

    Also checks the file schema against :data:`rlla_4k_gpt.convert.rows.FEATURES` and the row counts
    against the build report.
    """
    import pyarrow.parquet as pq
    from datasets import Features

    from ..convert.rows import FEATURES

    problems: list[Problem] = []
    if build.config not in CONFIGS:
        problems.append(Problem(build.path, "-", None, f"unknown config {build.config!r} (expected one of {CONFIGS})"))
    for split, path in build.splits.items():
        try:
            table = pq.read_table(path)
        except Exception as err:  # pyarrow raises several types for damaged files
            problems.append(Problem(build.path, split, None, f"unreadable parquet ({err})"))
            continue
        if Features.from_arrow_schema(table.schema) != FEATURES:
            problems.append(Problem(build.path, split, None, "columns differ from the row contract (rows.FEATURES)"))
            continue
        if table.num_rows != build.written(split):
            problems.append(Problem(build.path, split, None,
                                    f"{table.num_rows} rows, but the build report says {build.written(split)}"))
        for index, row in enumerate(table.to_pylist()):
            message = row_problem(row, split)
            if message is not None:
                problems.append(Problem(build.path, split, index, message))
            if len(problems) >= limit:
                return problems
    return problems


def build_default_sources(root: Path, strict: bool, configs: Sequence[str] = CONFIGS) -> list[Build]:
    """Build every config from ToolRL's pinned GitHub files into ``root/{config}``."""
    from ..build.write import build

    builds = []
    for config in configs:
        logger.info("building config %s from the default sources", config)
        build(root / config, config, None, strict=strict)
        builds.append(load_build(root / config))
    return builds
