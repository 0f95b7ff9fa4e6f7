"""Kept so that 0.2's import path works: this module is now :mod:`rlla_4k_gpt.reward.toolrl_reward_core`."""

from .reward.toolrl_reward_core import *  # noqa: F403
