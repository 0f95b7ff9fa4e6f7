"""Kept so that 0.2's import path works: this module is now :mod:`rlla_4k_gpt.tokens.tokenizer`."""

from .tokens.tokenizer import *  # noqa: F403
