"""Sources, ToolRL's split rule, download verification, the builder, the report and the CLI."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from rlla_4k_gpt.build import sources
from rlla_4k_gpt.build.write import build, parquet_name
from rlla_4k_gpt.cli import main
from rlla_4k_gpt.convert.record import ConversionError, SourceDataError
from rlla_4k_gpt.convert.rows import FEATURES
from rlla_4k_gpt.build.sources import PinnedFile, SourceError, git_blob_id, toolrl_split, verify_blob

from .conftest import SFT_FIXTURE, read_build


@pytest.mark.parametrize(("n", "n_test"), [(4000, 80), (400, 8), (300, 6), (49, 0)])
def test_toolrl_split_is_numpy_legacy_shuffle(n: int, n_test: int) -> None:
    rows = [{"id": i} for i in range(n)]
    np.random.seed(31415)
    np.random.shuffle(rows)  # ToolRL shuffles the list of records itself
    cut = n - int(n * 0.02)
    parts = toolrl_split(n)
    assert len(parts["test"]) == n_test
    assert parts["train"] == [r["id"] for r in rows[:cut]]
    assert parts["test"] == [r["id"] for r in rows[cut:]]


def test_toolrl_split_leaves_global_rng_alone() -> None:
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    toolrl_split(100)
    assert np.random.rand() == expected


def test_git_blob_id_agrees_with_git(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 40)
    git = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True, check=True)
    assert git_blob_id(path) == git.stdout.strip()


def test_embedded_sample_is_toolrls_exact_test_split(sample_path: Path) -> None:
    verify_blob(sample_path, sources.PINNED["rl"]["test"].blob_id, "embedded sample")
    with pytest.raises(SourceError, match="does not match the pinned"):
        verify_blob(SFT_FIXTURE, sources.PINNED["rl"]["test"].blob_id, "fixture")


def test_pinned_download_is_verified(file_server, monkeypatch, sample_path: Path, tmp_path: Path) -> None:
    url, root = file_server
    (root / "dataset").mkdir()
    shutil.copy(sample_path, root / "dataset" / "test.parquet")
    shutil.copy(sample_path, root / "dataset" / "train.parquet")
    blob = git_blob_id(sample_path)
    monkeypatch.setattr(sources, "RAW_URL", url + "/{path}")
    monkeypatch.setitem(
        sources.PINNED, "rl", {s: PinnedFile(f"dataset/{s}.parquet", blob) for s in ("train", "test")}
    )
    report = build(tmp_path / "ok", "rl", None)
    assert report.splits["train"].written == report.splits["test"].written == 80
    monkeypatch.setitem(sources.PINNED, "rl", {s: PinnedFile(f"dataset/{s}.parquet", "0" * 40) for s in ("train", "test")})
    with pytest.raises(SourceError, match=r"dataset/train.parquet: git blob id .* does not match"):
        build(tmp_path / "bad", "rl", None)


def test_raw_json_by_url_is_split_by_rule(file_server, tmp_path: Path) -> None:
    url, root = file_server
    shutil.copy(SFT_FIXTURE, root / SFT_FIXTURE.name)
    report = build(tmp_path / "out", "sft", f"{url}/{SFT_FIXTURE.name}")
    assert report.splits["train"].read == 294 and report.splits["test"].read == 6


def test_strict_raises_on_the_source_data_error_with_file_and_row(tmp_path: Path) -> None:
    with pytest.raises(SourceDataError, match=r"rlla_sft_first300\.json\.gz row 130: call to undeclared tool .*--strict"):
        build(tmp_path / "out", "sft", str(SFT_FIXTURE), strict=True)


def test_cli_strict_names_file_row_and_flag(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert main(["build", "--config", "sft", "--raw", str(SFT_FIXTURE), "--strict", "--out", str(tmp_path / "o")]) == 1
    assert re.search(r"rlla_sft_first300\.json\.gz row 130: .*without --strict", caplog.text)
    assert "strict=" not in caplog.text and "on_error" not in caplog.text


def test_record_missing_a_field_names_the_row(tmp_path: Path) -> None:
    good = json.loads(gzip.decompress(SFT_FIXTURE.read_bytes()))[0]
    bad = {k: v for k, v in good.items() if k != "output"}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([good, bad]))
    with pytest.raises(ConversionError, match=r"mine\.json row 1: KeyError"):
        build(tmp_path / "out", "sft", {"train": str(path)})


def test_invalid_json_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"instruction": "x",')
    with pytest.raises(SourceError, match=r"broken\.json: invalid JSON at line 1"):
        build(tmp_path / "out", "sft", str(path))


def test_parquet_that_is_not_toolrl_is_named(tmp_path: Path) -> None:
    import pyarrow as pa

    path = tmp_path / "test.parquet"
    pq.write_table(pa.table({"prompt": [[{"role": "user", "content": "hi"}]], "reward_model": [{"ground_truth": "x"}], "extra_info": [{"index": 0}]}), path)
    with pytest.raises(SourceError, match=r"test\.parquet row 0: not a ToolRL verl row"):
        build(tmp_path / "out", "rl", str(tmp_path))


def test_test_split_builds_every_row_with_two_repairs(build_dirs: dict[str, Path], build_reports: dict) -> None:
    report = build_reports["rl"]
    test = report["splits"]["test"]
    assert (test["read"], test["written"], test["repaired"], test["skipped"]) == (80, 80, 2, 0)
    assert report["skipped"] == []
    where = "toolrl_rlla_4k_test.parquet row "
    assert [(r["where"], r["place"]) for r in report["repairs"]] == [(where + "9", "answer"), (where + "45", "history turn 1")]
    dax = "DAX Point Changes for Each Month (January-August, 2022)"
    assert report["repairs"][0] | {"split": "test"} == {
        "split": "test", "where": where + "9", "place": "answer", "name_before": "DAX Point Changes for Each Month ",
        "key_before": "January-August, 2022)(start_string", "name": dax, "key": "start_string"}
    rows = read_build(build_dirs["rl"])
    assert {r["extra_info"]["source_row"] for r in rows} == set(range(80))
    row9 = next(r for r in rows if r["extra_info"]["source_row"] == 9)
    safe = {m["original"]: m["safe"] for m in row9["extra_info"]["name_map"]}[dax]
    assert [c["name"] for c in row9["answer"]["calls"]][0] == safe
    assert "start_string" in json.loads(row9["answer"]["calls"][0]["arguments"])
    assert report["argument_changes"]["coerced"] > 0
    assert report["renamed_tools"]["Domain WHOIS Lookup API"] == "Domain_WHOIS_Lookup_API"


def test_sft_source_data_error_is_excluded_and_reported(build_dirs: dict[str, Path], build_reports: dict) -> None:
    report = build_reports["sft"]
    read = sum(s["read"] for s in report["splits"].values())
    written = sum(s["written"] for s in report["splits"].values())
    assert (read, written, sum(s["skipped"] for s in report["splits"].values())) == (300, 299, 1)
    (excluded,) = report["skipped"]
    assert excluded["where"] == "rlla_sft_first300.json.gz row 130"
    assert excluded["error"].startswith("call to undeclared tool 'LastName varchar'")
    assert 130 not in {r["extra_info"]["source_row"] for r in read_build(build_dirs["sft"])}
    assert report["repairs"] == []  # the cut-name defect is in rows 300-399 of rlla_sft.json, not in the fixture


def test_rows_keep_toolrl_index_and_split(build_dirs: dict[str, Path]) -> None:
    rows = read_build(build_dirs["rl"])
    assert all(r["extra_info"]["split"] == "test" and r["extra_info"]["index"] == r["extra_info"]["source_row"] for r in rows)
    assert all(r["data_source"] == "rlla_gpt" and r["reward_model"]["style"] == "rule" for r in rows)


def test_build_is_byte_identical(sample_path: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        build(tmp_path / name, "rl", {"test": str(sample_path)})
    first = (tmp_path / "a" / "data" / parquet_name("test")).read_bytes()
    assert first == (tmp_path / "b" / "data" / parquet_name("test")).read_bytes()


def test_reasoning_effort_option(sample_path: Path, tmp_path: Path) -> None:
    build(tmp_path / "hi", "rl", {"test": str(sample_path)}, reasoning_effort="high")
    rows = read_build(tmp_path / "hi")
    assert all("Reasoning: high" in r["prompt_text"] for r in rows)


def test_build_dir_loads_as_hub_layout(build_dirs: dict[str, Path]) -> None:
    from datasets import load_dataset

    ds = load_dataset(str(build_dirs["sft"]))
    assert set(ds) == {"train", "test"}
    assert ds["train"].features == FEATURES
    assert ds["train"].num_rows + ds["test"].num_rows == len(read_build(build_dirs["sft"]))


def test_cli_build_writes_layout_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--sample", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "test: 80 rows written (2 repaired), 0 excluded, 80 read" in out
    assert "repaired toolrl_rlla_4k_test.parquet row 9 (answer): 'DAX Point Changes for Each Month '" in out
    report = json.loads((tmp_path / "o" / "build_report.json").read_text())
    assert report["config"] == "rl" and report["options"]["strict"] is False
    assert (tmp_path / "o" / "data" / parquet_name("test")).exists()


def test_cli_reports_errors_without_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert main(["build", "--raw", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o")]) == 1
    assert "missing.json: no such file or directory" in caplog.text


def test_prompt_tokens_equal_openai_harmony_token_counts(built_rows: list) -> None:
    from rlla_4k_gpt.convert.harmony import encoding

    enc = encoding()
    for row in built_rows[:60]:
        assert row["prompt_tokens"] == len(enc.encode(row["prompt_text"], allowed_special="all"))


@pytest.mark.parametrize("mode", ["flag", "drop"])
def test_max_prompt_tokens_flags_or_drops(mode: str, sample_path: Path, tmp_path: Path, build_dirs: dict) -> None:
    lengths = sorted(r["prompt_tokens"] for r in read_build(build_dirs["rl"]))
    limit = lengths[len(lengths) // 2]
    over = sum(n > limit for n in lengths)
    report = build(tmp_path / mode, "rl", {"test": str(sample_path)}, max_prompt_tokens=limit, over_limit=mode)
    rows = read_build(tmp_path / mode)
    assert report.splits["test"].over_prompt_limit == over > 0
    if mode == "flag":
        assert len(rows) == len(lengths)
        assert [r["extra_info"]["over_prompt_limit"] for r in rows] == [r["prompt_tokens"] > limit for r in rows]
    else:
        assert len(rows) == len(lengths) - over == report.splits["test"].written
        assert all(r["prompt_tokens"] <= limit for r in rows)
