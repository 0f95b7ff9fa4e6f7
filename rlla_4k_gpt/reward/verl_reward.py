"""verl entry file for the by-path form: ``reward.custom_reward_function.path=<this file>``.

Prefer ``reward.custom_reward_function.path=pkg://rlla_4k_gpt.reward``: a function loaded by file
path lives in verl's unregistered ``custom_module_<hash>`` module, which only cloudpickle can
pickle. This file is for machines where the package is not installed.

verl loads this file by path (``importlib.util.spec_from_file_location`` + ``exec_module``), so it
cannot use relative imports. It imports the installed package, and otherwise loads
``toolrl_reward_core.py`` from beside this file, so a copy of the two files works without
installing anything.

Example (Hydra overrides)::

    reward.custom_reward_function.path=/path/to/verl_reward.py
    reward.custom_reward_function.name=compute_score          # or compute_score_batch (batch manager)
    +reward.custom_reward_function.reward_kwargs.with_length=true   # optional variant switches

The step for the scheduled variants is ``step=``, ``extra_info["step"]`` or
``extra_info["global_steps"] + 1``; see docs/reward.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any


def _load_core() -> ModuleType:
    """The reward core: the installed package's, else the file next to this one."""
    try:
        from rlla_4k_gpt.reward import toolrl_reward_core
    except ImportError:
        pass
    else:
        return toolrl_reward_core
    name = "_rlla_4k_gpt_toolrl_reward_core"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().with_name("toolrl_reward_core.py")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the reward core from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


_core = _load_core()


def compute_score(
    data_source: Any, solution_str: str, ground_truth: str, extra_info: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, float]:
    """verl reward function: ``{"score", "format", "correctness", "length"}`` (see the core).

    Example:
        >>> gt = '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>'
        >>> compute_score("rlla_gpt", "analysisx assistantfinalHi", gt, {"step": 3})["score"]
        1.0
    """
    return _core.compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs)


def compute_score_batch(
    data_sources: Any, solution_strs: Any, ground_truths: Any, extra_infos: Any = None, **kwargs: Any
) -> list[dict[str, float]]:
    """verl's batch reward manager signature: one :func:`compute_score` dict per item.

    Example:
        >>> gt = '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>'
        >>> [r["score"] for r in compute_score_batch(["rlla_gpt"], ["analysisx assistantfinalHi"], [gt], [{}])]
        [1.0]
    """
    return _core.compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos, **kwargs)
