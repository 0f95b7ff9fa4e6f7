"""Kept so that 0.2's path works: this module is now :mod:`rlla_4k_gpt.trainers.verl_agent_loop`."""

from .trainers.verl_agent_loop import *  # noqa: F403
from .trainers.verl_agent_loop import CONFIG_PATH

if __name__ == "__main__":
    print(CONFIG_PATH)
