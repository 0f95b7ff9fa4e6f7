"""``rlla-4k-gpt score FILE.jsonl``: ToolRL's reward for a file of completions.

Each input line is a JSON object with ``completion`` (harmony text, stripped text, token ids or
chat messages), ``ground_truth`` (or the built dataset's ``reward_model``) and an optional
``step``. Each output line has the line number and the four components; a last line
``{"summary": ...}`` holds the count, the means and the variant.

Example:
    $ rlla-4k-gpt score rollouts.jsonl -o scores.jsonl --withlength --schedulereward --step 40
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from tqdm import tqdm

from .toolrl_reward_core import (
    ENV_VARS,
    RewardResult,
    Variant,
    environment_variant,
    resolve_variant,
    toolrl_reward,
    variant_from_name,
)

logger = logging.getLogger(__name__)

COMPONENTS = ("score", "format", "correctness", "length")
# CLI flag -> Variant field: ToolRL's variable names in lower case, plus the two extensions.
VARIANT_FLAGS = {name.lower(): f for f, name in ENV_VARS.items()} | {
    "typed-match": "typed_match",
    "optimal-assignment": "optimal_assignment",
}


@dataclass
class Summary:
    """Running totals of the scored rows."""

    count: int = 0
    sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 0.0))

    def add(self, result: RewardResult) -> None:
        self.count += 1
        for name in COMPONENTS:
            self.sums[name] += getattr(result, name)

    def as_dict(self, variant: Variant) -> dict[str, Any]:
        """``{"count", "mean": {component: value}, "variant": [names]}``.

        Example:
            >>> s = Summary(); s.add(RewardResult(4.0, 1.0, 3.0, 0.0)); s.add(RewardResult(0.0, 0.0, 0.0, 0.0))
            >>> s.as_dict(Variant())["mean"]["score"]
            2.0
        """
        means = {name: (total / self.count if self.count else 0.0) for name, total in self.sums.items()}
        return {"count": self.count, "mean": means, "variant": variant.names() or ["default"]}


def configure_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``score`` subcommand (its handler is :func:`run`)."""
    p = subparsers.add_parser(
        "score",
        help="score completions with ToolRL's reward (JSONL in, JSONL out)",
        description="Score a JSONL file of {completion, ground_truth, step?} rows with ToolRL's reward.",
    )
    p.add_argument("file", help="input JSONL ('-' for stdin)")
    p.add_argument("-o", "--output", default="-", help="output JSONL (default: stdout)")
    p.add_argument("--variant", default="default", help="config name, e.g. 'withlength+schedulereward'")
    for flag, name in VARIANT_FLAGS.items():
        p.add_argument(f"--{flag}", dest=name, action="store_true", default=None, help=f"switch on {name}")
    p.add_argument("--from-env", action="store_true", help="start from ToolRL's environment variables, not --variant")
    p.add_argument("--step", type=float, default=None, help="step for rows without one (default 1, as ToolRL)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)
    return p


def chosen_variant(args: argparse.Namespace) -> Variant:
    """The variant from ``--variant`` (or the environment with ``--from-env``) plus the flags."""
    base = environment_variant(reload=True) if args.from_env else variant_from_name(args.variant)
    return resolve_variant(base, **{name: getattr(args, name, None) for name in VARIANT_FLAGS.values()})


class ScoreInput(NamedTuple):
    """One input line: what to score, against what, and at which step (``None``: the default)."""

    completion: Any
    ground_truth: str
    step: float | None


def parse_row(line: str, number: int) -> ScoreInput:
    """The fields of one input line, with a clear error naming the line otherwise.

    Example:
        >>> parse_row('{"completion": "x", "ground_truth": "y", "step": 3}', 1)
        ScoreInput(completion='x', ground_truth='y', step=3)
    """
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"line {number}: not JSON ({err})") from None
    if not isinstance(row, dict) or "completion" not in row:
        raise ValueError(f"line {number}: expected an object with 'completion' and 'ground_truth'")
    truth = row.get("ground_truth")
    if truth is None and isinstance(row.get("reward_model"), dict):
        truth = row["reward_model"].get("ground_truth")
    if not isinstance(truth, str):
        raise ValueError(f"line {number}: 'ground_truth' must be a string")
    step = row.get("step")
    if step is not None and not isinstance(step, (int, float)):
        raise ValueError(f"line {number}: 'step' must be a number")
    return ScoreInput(row["completion"], truth, step)


def score_lines(lines: Iterable[str], variant: Variant, default_step: float | None) -> Iterator[dict[str, Any]]:
    """One output record per non-blank input line (``line`` is 1-based)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        completion, truth, step = parse_row(line, number)
        try:
            result = toolrl_reward(completion, truth, step=default_step if step is None else step, variant=variant)
        except ValueError as err:
            raise ValueError(f"line {number}: {err}") from None
        yield {"line": number, **result.as_dict()}


@contextmanager
def _open(path: str, mode: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin if "r" in mode else sys.stdout
        return
    with open(path, mode, encoding="utf-8") as handle:
        yield handle


def run(args: argparse.Namespace) -> int:
    """Score ``args.file`` into ``args.output``; the summary also goes to the log. Returns 0."""
    variant = chosen_variant(args)
    summary = Summary()
    with _open(args.file, "r") as source:
        lines = source.readlines()
    with _open(args.output, "w") as sink:
        bar = tqdm(lines, desc="scoring", unit="row", disable=args.no_progress, file=sys.stderr)
        for record in score_lines(bar, variant, args.step):
            summary.add(RewardResult(**{k: record[k] for k in COMPONENTS}))
            sink.write(json.dumps(record) + "\n")
        sink.write(json.dumps({"summary": summary.as_dict(variant)}) + "\n")
    logger.info("scored %d rows: %s", summary.count, json.dumps(summary.as_dict(variant)["mean"]))
    return 0
