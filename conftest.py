"""Collection rules for the whole repository (doctests run over the package)."""

import importlib.util

# The verl agent loop imports verl, which only the verl suite's venv has (make test-verl).
collect_ignore = [] if importlib.util.find_spec("verl") else ["rlla_4k_gpt/trainers/verl_agent_loop.py", "rlla_4k_gpt/verl_agent_loop.py"]
