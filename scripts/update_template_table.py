"""Rewrite the difference table in docs/conversion.md from fresh builds of the two test fixtures
(the rl sample and the first 300 SFT rows, built with the defaults as tests/conftest.py builds them).

    python scripts/update_template_table.py

tests/test_chat_template.py fails when the table in the docs differs from these builds.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "conversion.md"
START, END = "<!-- template-differences: start -->", "<!-- template-differences: end -->"


def replace_block(text: str, table: str) -> str:
    """``text`` with the block between the markers set to ``table``."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{DOC}: markers {START} / {END} not found")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", text)


def main() -> int:
    sys.path.insert(0, str(REPO))
    from rlla_4k_gpt.build.write import build
    from rlla_4k_gpt.build.sources import sample_path
    from rlla_4k_gpt.convert.template import difference_table

    with tempfile.TemporaryDirectory() as root:
        reports = {
            "rl": build(Path(root) / "rl", "rl", {"test": str(sample_path())}).to_dict(),
            "sft": build(Path(root) / "sft", "sft", str(REPO / "tests/fixtures/rlla_sft_first300.json.gz"),
                         ).to_dict(),
        }  # fmt: skip
    DOC.write_text(replace_block(DOC.read_text(encoding="utf-8"), difference_table(reports)), encoding="utf-8")
    print(f"updated {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
