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

# The subcommands, each in its stage's package: each exposes ``configure_parser(subparsers)``.
PLUGINS = ("rlla_4k_gpt.build.cli", "rlla_4k_gpt.reward.scoring", "rlla_4k_gpt.tokens.cli", "rlla_4k_gpt.hub.cli")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlla-4k-gpt", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
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
