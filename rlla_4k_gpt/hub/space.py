"""The metric Space: the bundle folder's files, and the step that uploads them in one commit.

Example:
    >>> metric_files(Path("no/such/folder"))
    Traceback (most recent call last):
    ...
    rlla_4k_gpt.hub.checks.PublishError: metric bundle folder not found: no/such/folder
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import load as hub
from .checks import PublishError, hub_step
from .steps import CommitStep, Context

logger = logging.getLogger(__name__)

SPACE_TEXT_FILES = ("README.md", "index.html", "toolrl_gpt_oss_reward.py")  # name the project's default ids, replaced by the pushed ones


def metric_files(folder: Path) -> dict[str, Path]:
    """``{path in the Space: file on disk}`` for every regular file of the bundle, symlinks resolved.

    ``__pycache__`` folders and ``*.pyc`` files are left out; a dangling symlink is an error.
    """
    if not folder.is_dir():
        raise PublishError(f"metric bundle folder not found: {folder}")
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if "__pycache__" in relative.parts or path.suffix == ".pyc" or path.is_dir():
            continue
        if not path.resolve().is_file():
            raise PublishError(f"{path}: not a regular file (dangling symlink?)")
        files[relative.as_posix()] = path.resolve()
    if not files:
        raise PublishError(f"metric bundle folder is empty: {folder}")
    return files


@dataclass(frozen=True)
class UploadSpace(CommitStep):
    """The metric bundle in one commit to the Space (created, static, if missing)."""

    files: tuple[tuple[str, Path], ...]
    dataset_repo: str = ""

    @property
    def message(self) -> str:
        return f"Upload metric ({self.version})"

    def content(self, name: str, path: Path) -> bytes:
        """A bundle file as uploaded: the card and page name this push's Space and dataset ids."""
        data = path.read_bytes()
        if name not in SPACE_TEXT_FILES:
            return data
        text = data.decode("utf-8").replace(hub.METRIC_REPO, self.repo_id)
        return (text.replace(hub.DATASET_REPO, self.dataset_repo) if self.dataset_repo else text).encode("utf-8")

    def describe(self) -> list[str]:
        lines = [f"create Space {self.repo_id} with space_sdk='static' if it does not exist",
                 f'commit "{self.message}"']
        lines += [f"  add {name}  (from {path})" for name, path in self.files]
        return lines + ["  delete any other Space files except .gitattributes  (no longer in the bundle)"]

    def stage(self, folder: Path) -> Path:
        """Write the bundle as uploaded into ``folder`` (links become files, the ids are replaced)."""
        for name, path in self.files:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.content(name, path))
        return folder

    def run(self, ctx: Context) -> None:
        what = f"uploading the metric to Space {self.repo_id}"
        revision, create_pr = ctx.target(self.repo_id)
        with hub_step(what):
            ctx.api.create_repo(self.repo_id, repo_type="space", space_sdk="static", exist_ok=True)
            if not create_pr and not revision.startswith("refs/pr/") and revision != "main":
                ctx.api.create_branch(self.repo_id, repo_type="space", branch=revision, exist_ok=True)
            head = ctx.api.space_info(self.repo_id, revision=revision).sha
        with tempfile.TemporaryDirectory(prefix="rlla-space-") as staged, hub_step(what):
            info = ctx.api.upload_folder(  # delete_patterns="*": every other Space file (upload_folder keeps .gitattributes)
                repo_id=self.repo_id, folder_path=self.stage(Path(staged)), repo_type="space", revision=revision,
                create_pr=create_pr, parent_commit=head, commit_message=self.message, delete_patterns="*",
            )  # fmt: skip
        ctx.committed(self.repo_id, info)
        logger.info("uploaded %d metric files to %s", len(self.files), self.repo_id)
