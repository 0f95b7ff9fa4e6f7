"""Kept so that 0.2's ``reward.custom_reward_function.path=.../rlla_4k_gpt/verl_reward.py`` works.

verl loads this file by path, outside the package, so the import is absolute. The entry file is
now ``rlla_4k_gpt/reward/verl_reward.py``; ``pkg://rlla_4k_gpt.reward`` is the preferred form.
"""

from rlla_4k_gpt.reward.verl_reward import compute_score, compute_score_batch  # noqa: F401
