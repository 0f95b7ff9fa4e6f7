"""The dataset card and the Space as ``push`` uploads them, rendered from the fixture builds.

One push of both fixture builds to the local Hub stand-in, preceded by ``--dry-run --card-out``;
each test checks one promise of issue 10 against what is really in the repos.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq
import pytest

from rlla_4k_gpt.hub import card, sections
from tests.hub_emulator import HubEmulator
from tests.test_publish import DATASET, METRIC, REAL_METRIC_DIR, push, pushed

TEMPLATE = Path(__file__).parents[1] / "dataset_card.md"
PLACEHOLDER_IDS = ("OWNER", "org/your", "rlla-4k-gpt/rlla_4k_gpt", "rlla-4k-gpt/toolrl_gpt_oss_reward")


@dataclass
class Pushed:
    preview: str
    dataset: dict[str, bytes]
    space: dict[str, bytes]

    @property
    def readme(self) -> str:
        return self.dataset["README.md"].decode()


@pytest.fixture(scope="module")
def pushed_card(tmp_path_factory: pytest.TempPathFactory, build_dirs: dict[str, Path]) -> Iterator[Pushed]:
    root = tmp_path_factory.mktemp("card")
    with HubEmulator() as hub:
        builds = ("--build", build_dirs["rl"], "--build", build_dirs["sft"], "--metric-dir", REAL_METRIC_DIR,
                  "--tag", "v1.0.0")
        pushed(push(hub, root / "dry", *builds, "--dry-run", "--card-out", root / "preview.md"))
        assert hub.requests == []
        pushed(push(hub, root / "real", *builds))
        dataset = {p: b.data for p, b in hub.state.get("dataset", DATASET).commit_at("main").files.items()}
        space = {p: b.data for p, b in hub.state.get("space", METRIC).commit_at("main").files.items()}
    preview = (root / "preview.md").read_text(encoding="utf-8")
    yield Pushed(preview, dataset, space)


def test_dry_run_preview_is_the_uploaded_readme(pushed_card: Pushed) -> None:
    assert pushed_card.preview == pushed_card.readme
    meta, _ = card.split_front_matter(pushed_card.readme)
    assert [c["config_name"] for c in meta["configs"]] == ["rl", "sft"] and meta["configs"][0]["default"] is True
    assert {d["config_name"] for d in meta["dataset_info"]} == {"rl", "sft"}


def test_pip_install_and_code_link(pushed_card: Pushed) -> None:
    assert "pip install rlla-4k-gpt" in pushed_card.readme
    assert "(https://pypi.org/project/rlla-4k-gpt/)" in pushed_card.readme


@pytest.mark.parametrize("source, license_", [("ToolRL", "Apache-2.0"), ("ToolACE", "Apache-2.0"),
                                              ("xLAM / APIGen", "CC-BY-4.0"), ("Hammer", "CC-BY-4.0")])
def test_every_source_with_its_license_and_paper(pushed_card: Pushed, source: str, license_: str) -> None:
    row = next(line for line in pushed_card.readme.splitlines() if line.startswith(f"| [{source}]"))
    assert license_ in row and "](https://arxiv.org/abs/" in row


def test_yaml_links_sources_paper_and_valid_size(pushed_card: Pushed) -> None:
    meta, _ = card.split_front_matter(pushed_card.readme)
    assert {"Team-ACE/ToolACE", "Salesforce/xlam-function-calling-60k"} <= set(meta["source_datasets"])
    assert meta["arxiv"] == ["2504.13958"]
    import datasets

    allowed = json.loads((Path(datasets.__file__).parent / "utils/resources/size_categories.json").read_text())
    assert meta["size_categories"][0] in allowed
    assert all(sections.size_category(n) in allowed for n in (0, 999, 10**6, 10**9, 10**13))


def test_figures_are_files_in_the_repo_linked_relatively(pushed_card: Pushed) -> None:
    for path in (card.PROMPT_PLOT, card.PATTERN_PLOT):
        assert pushed_card.dataset[path].startswith(b"\x89PNG"), path
        assert f"]({path})" in pushed_card.readme


def test_no_placeholder_in_anything_pushed(pushed_card: Pushed) -> None:
    identifiers = string.Template(TEMPLATE.read_text()).get_identifiers()
    for repo in (pushed_card.dataset, pushed_card.space):
        for path, data in repo.items():
            if not path.endswith((".md", ".html", ".json", ".py")):
                continue
            text = data.decode()
            assert not [p for p in PLACEHOLDER_IDS if p in text], path
            assert not path.endswith(".md") or not [n for n in identifiers if f"${n}" in text], path
    assert f'evaluate.load("{METRIC}")' in pushed_card.space["README.md"].decode()
    assert f'evaluate.load("{METRIC}")' in pushed_card.space["index.html"].decode()
    assert f"- {DATASET}" in pushed_card.space["README.md"].decode()  # the datasets: YAML


def test_placeholder_reasoning_counted_from_the_build(pushed_card: Pushed, build_dirs: dict[str, Path]) -> None:
    answers = pq.read_table(build_dirs["rl"] / "data" / "test-00000-of-00001.parquet").column("answer").to_pylist()
    stand_in = sum(a["reasoning"].startswith(card.PLACEHOLDER_REASONING) for a in answers)
    assert 0 < stand_in < len(answers)
    assert f"In {stand_in:,} of {len(answers):,} `rl` rows the ground truth's" in pushed_card.readme.replace("\n", " ")


def test_noise_is_gone(pushed_card: Pushed, build_reports: dict[str, dict]) -> None:
    body = pushed_card.readme
    assert body.count("| config | split | rows | read | skipped |") == 1
    assert "null → null" not in body and "required → optional" in body
    renamed = build_reports["rl"]["renamed_tools"]
    random_ids = [o for o in renamed if not sections.readable_name(o)]
    assert random_ids and not [o for o in random_ids if f"`{o}`" in body]
    sft = build_reports["sft"]["splits"]
    assert " / ".join(f"{c['written']:,} {s}" for s, c in sft.items()) + " rows" in body
    assert "400 rows" not in body
    assert not re.search(r"data/\` \(the Hub layout\)", body)
