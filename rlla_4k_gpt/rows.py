"""Kept so that 0.2's import path works: this module is now :mod:`rlla_4k_gpt.convert.rows`."""

from .convert.rows import *  # noqa: F403
