"""Kept so that 0.2's import path works: this module is now :mod:`rlla_4k_gpt.convert.template`."""

from .convert.template import *  # noqa: F403
