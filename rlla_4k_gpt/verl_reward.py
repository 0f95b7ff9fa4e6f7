"""verl entry file: ``custom_reward_function.path=<this file>``, ``custom_reward_function.name=compute_score``.

verl loads this file by path (``importlib.util.spec_from_file_location`` + ``exec_module``), so it
cannot use relative imports. It imports the installed package, and otherwise loads
``toolrl_reward_core.py`` from beside this file, so a copy of the two files works without
installing anything.

Example (Hydra overrides)::

    custom_reward_function.path=$(python -c "import rlla_4k_gpt, os; print(os.path.dirname(rlla_4k_gpt.__file__))")/verl_reward.py
    custom_reward_function.name=compute_score
    +custom_reward_function.reward_kwargs.with_length=true   # optional variant switches

The step for the scheduled variants is ``step=`` or ``extra_info["step"]``; see docs/reward.md.
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
        from rlla_4k_gpt import toolrl_reward_core
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
