"""Trainer integrations beside the reward: :mod:`.verl_agent_loop`, verl's loop that generates from
``prompt_text``. (TRL needs none: the reward functions in :mod:`rlla_4k_gpt.reward` plug in as they are.)

It imports verl, so nothing is imported here; ``pip install 'rlla-4k-gpt[verl]'`` first.
"""
