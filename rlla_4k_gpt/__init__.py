"""rlla_4k_gpt: ToolRL's rlla_4k tool-calling data in gpt-oss harmony format.

The modules follow the data: :mod:`.sources` (where ToolRL records come from) → :mod:`.toolrl`
(parse ToolRL's tagged text) → :mod:`.names` and :mod:`.schema` (safe names, JSON Schema,
argument fitting) → :mod:`.harmony` (render with openai-harmony) → :mod:`.convert` (one record)
→ :mod:`.rows` (the row contract) → :mod:`.builder` (the ``datasets`` builder) → :mod:`.cli`.
"""

__version__ = "0.2.0"
