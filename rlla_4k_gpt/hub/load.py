"""The published Hub ids, and :func:`load_rlla`: the Hub dataset, or the embedded sample offline.

Example:
    >>> DATASET_REPO, METRIC_REPO
    ('rlla-4k-gpt/rlla_4k_gpt', 'rlla-4k-gpt/toolrl_gpt_oss_reward')
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

DATASET_REPO = "rlla-4k-gpt/rlla_4k_gpt"
"""The dataset repo ``rlla-4k-gpt push`` publishes to in the project's release instructions."""

METRIC_REPO = "rlla-4k-gpt/toolrl_gpt_oss_reward"
"""The ``evaluate`` metric Space published next to it."""


def load_sample() -> Any:
    """The embedded 80-row ToolRL test split, converted here: a ``DatasetDict`` with ``test`` only.

    Example:
        >>> load_sample()["test"].num_rows
        80
    """
    from ..build.builder import Rlla4kGpt
    from ..build.sources import sample_path

    builder = Rlla4kGpt(config_name="rl", source={"test": str(sample_path())})
    builder.download_and_prepare()
    return builder.as_dataset()


def load_rlla(config: str = "rl", repo: str = DATASET_REPO, revision: str | None = None) -> Any:
    """``load_dataset(repo, config)``; when the Hub cannot be reached (or ``HF_HUB_OFFLINE`` is
    set), the embedded sample instead (:func:`load_sample`, ``test`` split only), with a log line.

    Example:
        >>> import os
        >>> saved = os.environ.get("HF_HUB_OFFLINE")
        >>> os.environ["HF_HUB_OFFLINE"] = "1"
        >>> sorted(load_rlla())
        ['test']
        >>> _ = os.environ.pop("HF_HUB_OFFLINE") if saved is None else os.environ.update(HF_HUB_OFFLINE=saved)
    """
    from ..tokens.tokenizer import hub_reachable

    if not hub_reachable():
        if config != "rl":
            raise OSError(f"the Hub cannot be reached and only an rl sample is embedded, not {config!r}")
        logger.info("the Hub cannot be reached: loading the embedded 80-row sample instead of %s", repo)
        return load_sample()
    from datasets import load_dataset

    return load_dataset(repo, config, revision=revision)
