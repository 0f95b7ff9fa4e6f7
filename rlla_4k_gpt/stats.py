"""Kept so that 0.2's import path works: its names now live in the modules of :mod:`rlla_4k_gpt.tokens`."""

from .tokens.card import *  # noqa: F403
from .tokens.cli import *  # noqa: F403
from .tokens.figures import *  # noqa: F403
from .tokens.measures import *  # noqa: F403
from .tokens.report import *  # noqa: F403
from .tokens.splits import *  # noqa: F403
from .tokens.stats import *  # noqa: F403
