"""``rlla-4k-gpt``: build the dataset, score completions, report token budgets, publish.

Example:
    $ rlla-4k-gpt build --sample --out build/rl-sample
    $ rlla-4k-gpt build --config sft --raw rlla_sft.json --out build/sft --strict
    $ rlla-4k-gpt score completions.jsonl --out scored.jsonl
    $ rlla-4k-gpt stats build/rl-sample --tokenizer offline
    $ rlla-4k-gpt push --dataset-repo org/rlla_4k_gpt --metric-repo org/toolrl_gpt_oss_reward --build build/rl --tag v1.0.0
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from . import __version__
from .errors import RedactingFormatter, one_line

# Subcommands that live in their own modules: each exposes ``configure_parser(subparsers)``.
PLUGINS = ("rlla_4k_gpt.scoring", "rlla_4k_gpt.stats", "rlla_4k_gpt.publish")


def add_strict_option(parser: argparse.ArgumentParser) -> None:
    """``--strict``, shared by ``build`` and ``push`` so both have the same default (exclude and report)."""
    parser.add_argument("--strict", action="store_true",
                        help="raise on source-data errors (rows that contradict themselves upstream) instead "
                        "of excluding and reporting them; any other bad row always raises")  # fmt: skip


def _add_build(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("build", help="convert ToolRL data into harmony parquet splits")
    p.add_argument("--config", choices=("rl", "sft"), default="rl", help="which config to build (default: rl)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--raw", metavar="PATH_OR_URL", help="parquet dir/file or raw JSON, local or URL "
                     "(default: ToolRL's pinned GitHub files, verified by git blob id)")  # fmt: skip
    src.add_argument("--sample", action="store_true", help="the embedded 80-row ToolRL test split (offline)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (writes DIR/data/{split}-00000-of-00001.parquet)")
    p.add_argument("--reasoning-effort", choices=("low", "medium", "high"), default="medium")
    add_strict_option(p)
    p.add_argument("--no-verify", action="store_true", help="skip the git blob id check of pinned downloads")
    p.add_argument("--sha256", metavar="HEX", help="refuse the --raw file unless its content has this sha256")
    p.add_argument("--max-prompt-tokens", type=int, metavar="N", help="flag (or drop) prompts over N gpt-oss tokens")
    p.add_argument("--over-limit", choices=("flag", "drop"), help="what --max-prompt-tokens does (default: flag)")
    p.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    from .build import build
    from .sources import sample_path

    if args.over_limit is not None and args.max_prompt_tokens is None:
        raise ValueError(f"--over-limit {args.over_limit} needs --max-prompt-tokens N (the limit it applies)")

    source = {"test": str(sample_path())} if args.sample else args.raw
    if args.sha256 and not args.raw:
        raise ValueError("--sha256 checks the file given with --raw; the pinned and embedded sources are checked already")
    report = build(
        args.out, args.config, source, args.reasoning_effort, args.strict, not args.no_verify,
        args.max_prompt_tokens, args.over_limit or "flag", {args.raw: args.sha256} if args.sha256 else None,
    )  # fmt: skip
    print(report.summary())
    print(f"  wrote {args.out} in {report.options['seconds']:.2f} s")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlla-4k-gpt", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_build(subparsers)
    for name in PLUGINS:
        importlib.import_module(name).configure_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI: 0 on success, 1 on an error (one ``ERROR`` line; ``-v`` adds the traceback), 130 on Ctrl-C."""
    args = make_parser().parse_args(argv)
    _configure_logging(args.verbose)
    log = logging.getLogger("rlla_4k_gpt")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        log.error("interrupted; nothing half-written was left in place")
        return 130
    except Exception as err:  # every failure is one redacted line; -v adds the (redacted) traceback
        log.error("%s", one_line(err), exc_info=args.verbose)
        if not args.verbose and not isinstance(err, (ValueError, OSError)):
            log.error("(an unexpected %s: run with -v for the traceback)", type(err).__name__)
        return 1


def _configure_logging(verbose: bool) -> None:
    """Log to stderr through the redacting formatter (tokens never reach the terminal)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(isinstance(h.formatter, RedactingFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
