"""Stage 4, hub: check a build, render the card, push the dataset and the metric Space; load by name.

:mod:`.cli` is ``rlla-4k-gpt push``: :mod:`.checks` refuses bad tags and repo ids and turns Hub
errors into one line, :mod:`.validate` reads and checks the builds, :mod:`.plan` orders the
:mod:`.steps` (one per config, the card from :mod:`.card` and :mod:`.sections`, the tags) and the
metric Space upload (:mod:`.space`). :mod:`.load` holds the published ids and :func:`load_rlla`,
which falls back to the embedded sample offline.

Public names: ``DATASET_REPO``, ``METRIC_REPO``, ``load_rlla``, ``load_sample``, ``PublishError``.
"""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "load": ["DATASET_REPO", "METRIC_REPO", "load_rlla", "load_sample"],
    "checks": ["PublishError"],
})  # fmt: skip
