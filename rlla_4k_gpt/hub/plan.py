"""A push as an ordered plan of steps: made without a request, printed by ``--dry-run``, run by :func:`execute`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .card import card_images, stats_section
from .checks import PublishError, hub_step
from .space import UploadSpace, metric_files
from .steps import CommitStep, Context, CreateTag, PushConfig, Step, UpdateCard
from .validate import DEFAULT_CONFIG, Build


@dataclass(frozen=True)
class Plan:
    """Everything a push will do, in order; ``--dry-run`` prints it, a real push runs it."""

    dataset_repo: str
    metric_repo: str
    revision: str
    create_pr: bool
    tag: str | None
    dataset_steps: tuple[Step, ...]
    space_steps: tuple[Step, ...]

    def describe(self) -> str:
        target = f"a pull request against {self.revision}" if self.create_pr else f"revision {self.revision}"
        lines = [f"dataset {self.dataset_repo}  ({target})"]
        lines += [f"  {line}" for step in self.dataset_steps for line in step.describe()]
        lines.append(f"space {self.metric_repo}  ({target})")
        lines += [f"  {line}" for step in self.space_steps for line in step.describe()]
        commits = sum(isinstance(s, CommitStep) for s in self.steps)
        lines.append(f"{commits} commits" + (f", tag {self.tag} in both repos" if self.tag else ", no tag"))
        return "\n".join(lines)

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.dataset_steps + self.space_steps

    def preview_card(self) -> str:
        """The README a push of these builds uploads (exact when every config is pushed; for a
        partial push the Hub's other configs are added at push time)."""
        return next(s for s in self.steps if isinstance(s, UpdateCard)).render()


def make_plan(builds: Sequence[Build], dataset_repo: str, metric_repo: str, metric_dir: Path, card: Path,
              tag: str | None = None, revision: str = "main", create_pr: bool = False) -> Plan:
    """The ordered steps of a push (no request is made; the card template is rendered once as a check)."""
    version = tag or "untagged"
    files = tuple(metric_files(metric_dir).items())
    ordered = tuple(sorted(builds, key=lambda b: (b.config != DEFAULT_CONFIG, b.config)))
    dataset: list[Step] = [PushConfig(dataset_repo, version, build=b) for b in ordered]
    from ..tokens.stats import DEFAULT_PROMPT_LIMIT

    images = tuple(card_images(ordered, DEFAULT_PROMPT_LIMIT).items())
    card_step = UpdateCard(dataset_repo, version, builds=ordered, template=card, metric_repo=metric_repo, tag=tag,
                           stats=stats_section(ordered), images=images)
    card_step.render()  # a broken template is refused now, not after the data commits
    dataset.append(card_step)
    space: list[Step] = [UploadSpace(metric_repo, version, files=files, dataset_repo=dataset_repo)]
    if tag:
        dataset.append(CreateTag(dataset_repo, "dataset", tag))
        space.append(CreateTag(metric_repo, "space", tag))
    return Plan(dataset_repo, metric_repo, revision, create_pr, tag, tuple(dataset), tuple(space))


def existing_tags(api: Any, repo_id: str, repo_type: str) -> set[str]:
    """Tags of a repo (empty when the repo does not exist yet)."""
    from huggingface_hub.errors import RepositoryNotFoundError

    with hub_step(f"reading the tags of {repo_type} {repo_id}"):
        try:
            refs = api.list_repo_refs(repo_id, repo_type=repo_type)
        except RepositoryNotFoundError as err:
            if getattr(getattr(err, "response", None), "status_code", None) != 404:
                raise
            return set()
    return {t.name for t in refs.tags}


def check_tag_free(api: Any, plan: Plan) -> None:
    """Refuse before any write if the tag already exists in the dataset or the Space."""
    if not plan.tag:
        return
    for repo_id, repo_type in ((plan.dataset_repo, "dataset"), (plan.metric_repo, "space")):
        if plan.tag in existing_tags(api, repo_id, repo_type):
            raise PublishError(f"tag {plan.tag} already exists in {repo_type} {repo_id}; choose a new version")


def execute(plan: Plan, token: str | None) -> list[str]:
    """Run the plan against the Hub; return the commit (or pull request) URLs."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    check_tag_free(api, plan)
    ctx = Context(api, token, plan.revision, plan.create_pr)
    for step in plan.steps:
        step.run(ctx)
    return ctx.commits
