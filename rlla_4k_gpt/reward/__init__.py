"""Beside the pipeline, reward: ToolRL's reward on gpt-oss harmony output, for verl and TRL.

All scoring lives in :mod:`rlla_4k_gpt.reward.toolrl_reward_core` (standard library only); this package
re-exports it (``__all__`` below) and adapts it to TRL (:mod:`.trl_reward`); :mod:`.verl_reward` is
verl's by-path entry file and :mod:`.scoring` is ``rlla-4k-gpt score``.

verl (``reward.custom_reward_function.path=pkg://rlla_4k_gpt.reward``, ``name=compute_score``;
``compute_score_batch`` for verl's batch manager; see docs/reward.md)::

    compute_score(data_source, solution_str, ground_truth, extra_info=None, *, step=None, **variant_flags)

TRL (``GRPOTrainer(reward_funcs=[toolrl_reward_func])``): the dataset needs a ``ground_truth``
column (or the ``reward_model`` column of the built dataset).

Example:
    >>> gt = ('<|channel|>analysis<|message|>Weather needed.<|end|><|start|>assistant to=functions.get_weather'
    ...       '<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris"}<|call|>')
    >>> compute_score("rlla_gpt", 'analysisWeather needed.assistantcommentary to=functions.get_weather json{"city": "Paris"}', gt)
    {'score': 4.0, 'format': 1.0, 'correctness': 3.0, 'length': 0.0}
    >>> toolrl_reward_func(prompts=["..."], completions=[[{"role": "assistant", "content": gt}]], ground_truth=[gt])
    [4.0]
"""

from . import toolrl_reward_core as _core
from .toolrl_reward_core import *  # noqa: F403 (the core's public names)
from .trl_reward import (
    correctness_reward_func,
    format_reward_func,
    length_reward_func,
    make_trl_reward_func,
    toolrl_reward_func,
)

TRL_NAMES = ["correctness_reward_func", "format_reward_func", "length_reward_func", "make_trl_reward_func", "toolrl_reward_func"]
__all__ = [*_core.__all__, *TRL_NAMES]
