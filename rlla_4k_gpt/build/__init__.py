"""Stage 2, build: ToolRL sources → the ``datasets`` builder → a checked build folder.

:mod:`.sources` finds and verifies ToolRL's records, :mod:`.builder` is the ``datasets`` builder
(rows from :mod:`rlla_4k_gpt.convert`), :mod:`.report` counts what was read, repaired and excluded,
:mod:`.write` writes the folder atomically (through :mod:`.staging`), :mod:`.manifest` pins its
files, and :mod:`.cli` is ``rlla-4k-gpt build``.

Public names: ``build``, ``parquet_name``, ``REPORT_FILE``, ``Rlla4kGpt``, ``BuildReport``,
``SourceError``, ``sample_path``, ``read_report``, ``check_build_folder``, ``BuildFolderError``.
"""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "write": ["build"],
    "manifest": ["REPORT_FILE", "BuildFolderError", "check_build_folder", "parquet_name", "read_report"],
    "builder": ["Rlla4kGpt"],
    "report": ["BuildReport"],
    "sources": ["SourceError", "sample_path"],
})  # fmt: skip
