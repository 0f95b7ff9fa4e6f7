"""rlla_4k_gpt: ToolRL's rlla_4k tool-calling data in gpt-oss harmony format, and ToolRL's reward.

The packages follow the data (docs/architecture.md): :mod:`.convert` (one ToolRL record →
harmony → one row) → :mod:`.build` (sources → the ``datasets`` builder → a build folder) →
:mod:`.tokens` (the gpt-oss tokenizer and a build's token budget) → :mod:`.hub` (card, push,
load by name). Beside them: :mod:`.reward` (ToolRL's reward, for verl, TRL and the ``evaluate``
Space) and :mod:`.trainers` (verl's agent loop). :mod:`.cli` is the ``rlla-4k-gpt`` command.
"""

__version__ = "0.2.0"
