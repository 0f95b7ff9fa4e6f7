"""Stage 1, convert: one ToolRL record → harmony messages → one dataset row.

The modules, in the order the data passes through them: :mod:`.toolrl` parses ToolRL's tagged
text, :mod:`.repair` restores tool names ToolRL cut at ``(``, :mod:`.names` and :mod:`.schema`
make names harmony-safe and fit arguments to JSON Schema, :mod:`.harmony` renders with
openai-harmony, :mod:`.record` ties these into one :class:`Conversion`, :mod:`.template` compares it
with the gpt-oss chat template, and :mod:`.rows` turns it into a row of :data:`FEATURES`.

Public names: ``parse_example``, ``convert_record``, ``Conversion``, ``ConversionError``,
``SourceDataError``, ``make_row``, ``FEATURES``, ``decoded``.
"""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "toolrl": ["parse_example"],
    "record": ["Conversion", "ConversionError", "SourceDataError", "convert_record"],
    "rows": ["FEATURES", "decoded", "make_row"],
})  # fmt: skip
