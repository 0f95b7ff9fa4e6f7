"""The dataset steps of a push and what they share at run time: one config, the card, a tag.

Each step has ``describe()`` (the ``--dry-run`` lines) and ``run(ctx)`` (the requests).

Example:
    >>> CreateTag("org/x", "space", "v1.0.0").describe()
    ['tag v1.0.0  (at the head of the pushed revision)']
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..build.manifest import REPORT_FILE
from .card import card_values, local_yaml, merge_card, render_card
from .checks import hub_step
from .sections import HUB_REPORTS_DIR
from .validate import DEFAULT_CONFIG, Build

logger = logging.getLogger(__name__)


@dataclass
class Context:
    """What the steps share at run time: the client, the token and the revision being written."""

    api: Any
    token: str | None
    revision: str
    create_pr: bool
    pr_revisions: dict[str, str] = field(default_factory=dict)  # repo id -> refs/pr/N once opened
    commits: list[str] = field(default_factory=list)

    def target(self, repo_id: str) -> tuple[str, bool]:
        """``(revision, create_pr)`` for the next commit to ``repo_id`` (one PR per repo)."""
        if repo_id in self.pr_revisions:
            return self.pr_revisions[repo_id], False
        return self.revision, self.create_pr

    def committed(self, repo_id: str, info: Any) -> None:
        if info is None:
            return
        if getattr(info, "pr_revision", None) and repo_id not in self.pr_revisions:
            self.pr_revisions[repo_id] = info.pr_revision
        self.commits.append(str(getattr(info, "pr_url", None) or getattr(info, "commit_url", info)))


@dataclass(frozen=True)
class Step:
    """One part of a push to ``repo_id``: ``describe()`` gives its ``--dry-run`` lines, ``run(ctx)`` sends it."""

    repo_id: str

    def describe(self) -> list[str]:
        raise NotImplementedError

    def run(self, ctx: Context) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class CommitStep(Step):
    """A step that makes one commit; ``version`` (the tag, or ``"untagged"``) ends its message."""

    version: str


@dataclass(frozen=True)
class PushConfig(CommitStep):
    """One config's splits, pushed with ``DatasetDict.push_to_hub`` (one commit)."""

    build: Build

    def describe(self) -> list[str]:
        b = self.build
        lines = [f'commit "{self.message}" (datasets push_to_hub, config_name={b.config!r})']
        lines += [f"  add {b.config}/{s}-00000-of-00001.parquet  ({b.written(s):,} rows from {p})" for s, p in b.splits.items()]
        lines += ["  update README.md  (YAML configs/dataset_info)",
                  f"  delete any other files under {b.config}/  (stale shards of this config)"]
        return lines

    @property
    def message(self) -> str:
        return f"Upload config {self.build.config} ({self.version})"

    def run(self, ctx: Context) -> None:
        from datasets import Dataset, DatasetDict
        from datasets.table import InMemoryTable

        import pyarrow.parquet as pq

        splits = {s: Dataset(InMemoryTable(pq.read_table(p))) for s, p in self.build.splits.items()}
        revision, create_pr = ctx.target(self.repo_id)
        with hub_step(f"pushing config {self.build.config} to dataset {self.repo_id}"):
            info = DatasetDict(splits).push_to_hub(
                # No set_default: datasets raises KeyError('default') when the Hub holds one config not
                # marked default (e.g. sft pushed alone). The card commit marks rl the default.
                self.repo_id, config_name=self.build.config,
                commit_message=self.message, token=ctx.token, revision=revision, create_pr=create_pr,
                num_shards={s: 1 for s in splits},
            )  # fmt: skip
        ctx.committed(self.repo_id, info)
        logger.info("pushed config %s to %s", self.build.config, self.repo_id)


@dataclass(frozen=True)
class UpdateCard(CommitStep):
    """The rendered dataset card plus the build reports, in one guarded commit."""

    builds: tuple[Build, ...]
    template: Path
    metric_repo: str
    tag: str | None
    stats: str = ""
    images: tuple[tuple[str, bytes], ...] = ()  # (path in the repo, PNG) the card links

    @property
    def message(self) -> str:
        return f"Dataset card and build reports ({self.version})"

    def render(self, reports: Mapping[str, Mapping[str, Any]] | None = None, hub_readme: str = "") -> str:
        """The card for ``reports`` (default: the pushed builds') merged with the Hub README's YAML."""
        reports = reports if reports is not None else {b.config: b.report for b in self.builds}
        values = card_values(self.builds, reports, self.repo_id, self.metric_repo, self.tag, self.stats)
        return merge_card(render_card(self.template.read_text(encoding="utf-8"), values), hub_readme,
                          local_yaml(self.builds))

    def describe(self) -> list[str]:
        lines = [f'commit "{self.message}"',
                 f"  update README.md  (rendered from {self.template}; configs/dataset_info YAML from these builds, "
                 f"the Hub's for configs not pushed; {DEFAULT_CONFIG} marked default)"]
        lines += [f"  add {path}  (figure linked from the card)" for path, _ in self.images]
        return lines + [f"  add {HUB_REPORTS_DIR}/{b.config}.json  (from {b.path / REPORT_FILE})" for b in self.builds]

    def run(self, ctx: Context) -> None:
        from huggingface_hub import CommitOperationAdd

        revision, create_pr = ctx.target(self.repo_id)
        what = f"updating the card of dataset {self.repo_id}"
        with hub_step(what):
            head = ctx.api.dataset_info(self.repo_id, revision=revision).sha
            hub_readme = self._download(ctx, "README.md", head) or ""
            reports = self._reports(ctx, head)
        card = self.render(reports, hub_readme)
        operations = [CommitOperationAdd("README.md", card.encode("utf-8"))]
        operations += [CommitOperationAdd(path, data) for path, data in self.images]
        operations += [CommitOperationAdd(f"{HUB_REPORTS_DIR}/{b.config}.json", (b.path / REPORT_FILE).read_bytes())
                       for b in self.builds]
        with hub_step(what):
            info = ctx.api.create_commit(self.repo_id, operations, commit_message=self.message, repo_type="dataset",
                                         revision=revision, create_pr=create_pr, parent_commit=head)
        ctx.committed(self.repo_id, info)
        logger.info("updated the dataset card of %s", self.repo_id)

    def _download(self, ctx: Context, path: str, revision: str) -> str | None:
        from huggingface_hub.errors import EntryNotFoundError

        try:
            local = ctx.api.hf_hub_download(self.repo_id, path, repo_type="dataset", revision=revision)
        except EntryNotFoundError:
            return None
        return Path(local).read_text(encoding="utf-8")

    def _reports(self, ctx: Context, revision: str) -> dict[str, dict[str, Any]]:
        """Reports of the pushed builds, plus those stored on the Hub for configs left in place."""
        mine = {b.config: b.report for b in self.builds}
        files = ctx.api.list_repo_files(self.repo_id, repo_type="dataset", revision=revision)
        others: dict[str, dict[str, Any]] = {}
        for file in files:
            config = file.removeprefix(f"{HUB_REPORTS_DIR}/").removesuffix(".json")
            if file.startswith(f"{HUB_REPORTS_DIR}/") and file.endswith(".json") and config not in mine:
                text = self._download(ctx, file, revision)
                if text is not None:
                    others[config] = json.loads(text)
        merged = {**mine, **others}
        return {c: merged[c] for c in sorted(merged, key=lambda c: (c != DEFAULT_CONFIG, c))}


@dataclass(frozen=True)
class CreateTag(Step):
    """Tag the head of the pushed revision."""

    repo_type: str
    tag: str

    def describe(self) -> list[str]:
        return [f"tag {self.tag}  (at the head of the pushed revision)"]

    def run(self, ctx: Context) -> None:
        with hub_step(f"tagging {self.repo_type} {self.repo_id} as {self.tag}"):
            ctx.api.create_tag(self.repo_id, tag=self.tag, revision=ctx.revision, repo_type=self.repo_type,
                               tag_message=f"rlla_4k_gpt {self.tag}")
        logger.info("tagged %s %s as %s", self.repo_type, self.repo_id, self.tag)
