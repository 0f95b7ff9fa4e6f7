"""``rlla-4k-gpt push``: publish the dataset configs and the metric Space to the Hub, versioned.

One run does, in this order (``--dry-run`` prints the same list and makes no request at all):

1. **Checks, before any request**: the tag format (``vX.Y.Z``, never an ``evaluate`` release, see
   :func:`check_tag`), the repo ids, and every row of every build against the builder's invariants
   (:func:`.validate.validate_build`). Any failure refuses the whole push, naming build dir, split and row.
2. **Pre-flight read**: refuse if the tag already exists in either repo, so nothing is pushed that
   cannot be tagged.
3. **Dataset**, one commit per config: ``DatasetDict.push_to_hub(repo, config_name=...)`` writes
   ``{config}/{split}-00000-of-00001.parquet`` and merges ``configs``/``dataset_info`` into the
   README YAML. Configs not pushed stay on the Hub untouched.
4. **Dataset card**, one commit: ``dataset_card.md`` rendered with the build reports' numbers
   (:func:`.card.render_card`), keeping the ``configs``/``dataset_info`` YAML datasets wrote, marking
   ``rl`` the default config again (datasets drops ``default: true`` when the default config is
   pushed a second time), and storing each pushed build report as
   ``build_reports/{config}.json`` (the card of a later partial push reads the others from there).
5. **Tag** the dataset.
6. **Metric Space**: created with ``space_sdk="static"`` if missing; every regular file of the
   bundle folder (symlinks resolved, ``__pycache__`` skipped) in one commit that also deletes
   Space files no longer in the bundle; then the tag.

The token comes from ``HF_TOKEN`` or ``hf auth login`` (:func:`huggingface_hub.get_token`) and is
only ever handed to the clients. Hub errors become one-line messages (:func:`.checks.describe_hub_error`).

Example:
    >>> check_tag("v1.0.0", evaluate_version="0.4.6")
    'v1.0.0'
    >>> check_repo_id("rlla_4k_gpt", "--dataset-repo")
    Traceback (most recent call last):
    ...
    rlla_4k_gpt.hub.checks.PublishError: --dataset-repo must be ORG/NAME, not 'rlla_4k_gpt'
"""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .checks import PublishError, check_repo_id, check_tag, resolve_token
from .plan import execute, make_plan
from .validate import Build, build_default_sources, check_builds, load_build, validate_build

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CARD = PROJECT_ROOT / "dataset_card.md"
DEFAULT_METRIC_DIR = PROJECT_ROOT / "metric" / "toolrl_gpt_oss_reward"


def configure_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``push`` subcommand."""
    from ..build.cli import add_strict_option
    p = subparsers.add_parser(
        "push", help="publish the dataset configs and the metric Space to the Hub",
        description="Validate builds, push every config to the dataset repo, render the card, upload the metric Space, tag.",
    )  # fmt: skip
    p.add_argument("--dataset-repo", required=True, metavar="ORG/NAME", help="dataset repo, e.g. org/rlla_4k_gpt")
    p.add_argument("--metric-repo", required=True, metavar="ORG/NAME", help="metric Space, e.g. org/toolrl_gpt_oss_reward")
    p.add_argument("--build", action="append", default=[], metavar="DIR",
                   help="a directory written by `rlla-4k-gpt build` (repeat per config); "
                        "default: build every config from ToolRL's pinned sources")  # fmt: skip
    p.add_argument("--tag", metavar="vX.Y.Z", help="tag both repos (never v0.* or an evaluate release)")
    p.add_argument("--revision", default="main", metavar="BRANCH", help="branch to push to (default: main)")
    p.add_argument("--create-pr", action="store_true", help="open one pull request per repo instead of committing")
    p.add_argument("--dry-run", action="store_true", help="print every file and commit, make no request")
    add_strict_option(p)  # for builds made here (no --build)
    p.add_argument("--card", type=Path, default=DEFAULT_CARD, help="dataset card template (default: dataset_card.md)")
    p.add_argument("--metric-dir", type=Path, default=DEFAULT_METRIC_DIR, help="metric Space bundle folder")
    p.add_argument("--card-out", type=Path, metavar="FILE",
                   help="also write the card rendered from the local builds here (e.g. with --dry-run)")  # fmt: skip
    p.set_defaults(func=run_push)


def check_options(args: argparse.Namespace) -> None:
    """Everything about the arguments that can be refused without reading a build."""
    check_repo_id(args.dataset_repo, "--dataset-repo")
    check_repo_id(args.metric_repo, "--metric-repo")
    if args.tag is not None:
        check_tag(args.tag)
    if args.tag and args.create_pr:
        raise PublishError("--tag with --create-pr is refused: tag after the pull requests are merged")
    if args.create_pr and args.revision != "main":  # upload_folder opens a Space pull request against main only
        raise PublishError(f"--create-pr with --revision {args.revision} is refused: pull requests are opened against main")
    if args.revision.startswith("refs/") or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_./-]*", args.revision):
        raise PublishError(f"--revision must be a branch name, not {args.revision!r}")
    if not Path(args.card).is_file():
        raise PublishError(f"dataset card template not found: {args.card}")


def validated_builds(paths: Sequence[str | Path]) -> list[Build]:
    """Load and validate builds; raise naming every problem found (build dir, split, row)."""
    builds = [load_build(p) for p in paths]
    check_builds(builds)
    problems = [p for b in builds for p in validate_build(b)]
    if problems:
        for problem in problems:
            logger.error("%s", problem)
        raise PublishError(f"refusing to publish: {len(problems)} invariant failure(s), first: {problems[0]}")
    for b in builds:
        logger.info("build %s (config %s): %s rows valid", b.path, b.config,
                    ", ".join(f"{s} {b.written(s):,}" for s in b.splits))
    return builds


def run_push(args: argparse.Namespace) -> int:
    """Run ``push``: 0 on success, 1 when refused or when the Hub answers an error.

    Without ``--build`` every config is first built from ToolRL's pinned GitHub sources into a
    temporary folder (also with ``--dry-run``: that downloads from GitHub but sends nothing to the
    Hub).
    """
    if not getattr(args, "verbose", False):  # one line per HTTP request is noise at INFO level
        for name in ("httpx", "httpx2", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        check_options(args)
        if args.build:
            return _push(args, validated_builds(args.build))
        with tempfile.TemporaryDirectory(prefix="rlla-push-") as root:
            built = build_default_sources(Path(root), args.strict)
            return _push(args, validated_builds([b.path for b in built]))
    except PublishError as err:
        logger.error("%s", err, exc_info=bool(getattr(args, "verbose", False)))  # -v adds the traceback
        return 1


def _push(args: argparse.Namespace, builds: Sequence[Build]) -> int:
    plan = make_plan(builds, args.dataset_repo, args.metric_repo, Path(args.metric_dir), Path(args.card),
                     args.tag, args.revision, args.create_pr)
    if args.card_out is not None:
        Path(args.card_out).write_text(plan.preview_card(), encoding="utf-8")
        logger.info("wrote the card rendered from the local builds to %s", args.card_out)
    if args.dry_run:
        print(plan.describe())
        print("dry run: nothing was sent to the Hub")
        return 0
    token = resolve_token()
    if token is None:
        raise PublishError("no Hub token: set HF_TOKEN or run `hf auth login`")
    for url in execute(plan, token):
        print(url)
    print(f"published {', '.join(b.config for b in builds)} to {args.dataset_repo} and the metric to "
          f"{args.metric_repo}" + (f" as {args.tag}" if args.tag else ""))
    return 0
