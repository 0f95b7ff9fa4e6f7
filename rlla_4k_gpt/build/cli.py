"""``rlla-4k-gpt build``: the command line of the build stage.

Example:
    $ rlla-4k-gpt build --sample --out build/rl-sample
    $ rlla-4k-gpt build --config sft --raw rlla_sft.json --out build/sft --strict
"""

from __future__ import annotations

import argparse


def add_strict_option(parser: argparse.ArgumentParser) -> None:
    """``--strict``, shared by ``build`` and ``push`` so both have the same default (exclude and report)."""
    parser.add_argument("--strict", action="store_true",
                        help="raise on source-data errors (rows that contradict themselves upstream) instead "
                        "of excluding and reporting them; any other bad row always raises")  # fmt: skip


def configure_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``build`` subcommand."""
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
    from .sources import sample_path  # the builder (datasets, openai-harmony) loads only when building
    from .write import build

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
