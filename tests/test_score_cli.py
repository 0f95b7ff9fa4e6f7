"""The ``score`` subcommand: JSONL in, components plus a summary out, variants by flag."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from rlla_4k_gpt.reward import scoring

GT = (
    "<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant to=functions.get_weather"
    '<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris", "unit": "C"}<|call|>'
)
PARTIAL = GT.replace('"C"', '"F"')


def run_score(tmp_path: Path, rows: list[dict], *flags: str) -> list[dict]:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    parser = argparse.ArgumentParser()
    scoring.configure_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["score", str(source), "-o", str(target), "--no-progress", *flags])
    assert args.func(args) == 0
    return [json.loads(line) for line in target.read_text().splitlines()]


def test_rows_and_summary(tmp_path: Path) -> None:
    out = run_score(tmp_path, [{"completion": GT, "ground_truth": GT}, {"completion": PARTIAL, "ground_truth": GT}, {"completion": "?", "reward_model": {"ground_truth": GT}}])
    assert [r["line"] for r in out[:-1]] == [1, 2, 3]
    assert [r["score"] for r in out[:-1]] == [4.0, 2.5, -3.0]  # partial: 1 + 6 * 3/4 - 3
    assert [r["correctness"] for r in out[:-1]] == [3.0, 1.5, -3.0]
    summary = out[-1]["summary"]
    assert summary["count"] == 3
    assert summary["mean"]["score"] == pytest.approx(3.5 / 3)
    assert summary["variant"] == ["default"]


def test_variant_flags_and_steps(tmp_path: Path) -> None:
    rows = [{"completion": GT, "ground_truth": GT, "step": 0}, {"completion": GT, "ground_truth": GT}]
    out = run_score(tmp_path, rows, "--schedulereward", "--withlength", "--step", "150")
    assert [r["format"] for r in out[:-1]] == pytest.approx([2.0, 1.0])
    assert [r["length"] for r in out[:-1]] == [0.01, 0.01]
    assert out[-1]["summary"]["variant"] == ["withlength", "schedulereward"]
    coarse = run_score(tmp_path, [{"completion": PARTIAL, "ground_truth": GT}], "--variant", "coarsereward")
    assert coarse[0]["correctness"] == -3.0


def test_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRECTMAX1", "1")
    assert run_score(tmp_path, [{"completion": GT, "ground_truth": GT}])[0]["correctness"] == 3.0
    assert run_score(tmp_path, [{"completion": GT, "ground_truth": GT}], "--from-env")[0]["correctness"] == 1.0


@pytest.mark.parametrize(
    ("line", "message"),
    [("not json", "line 1: not JSON"), ('{"ground_truth": "x"}', "line 1: expected"), ('{"completion": "x"}', "ground_truth"),
     (json.dumps({"completion": "x", "ground_truth": GT, "step": "ten"}), "step")],
)
def test_bad_lines_are_reported_with_their_number(tmp_path: Path, line: str, message: str) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(line + "\n")
    parser = argparse.ArgumentParser()
    scoring.configure_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["score", str(source), "-o", str(tmp_path / "o.jsonl"), "--no-progress"])
    with pytest.raises(ValueError, match=message):
        args.func(args)


def test_cli_entry_point_when_wired(tmp_path: Path) -> None:
    cli = pytest.importorskip("rlla_4k_gpt.cli")
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"completion": GT, "ground_truth": GT}) + "\n")
    target = tmp_path / "out.jsonl"
    assert cli.main(["score", str(source), "-o", str(target), "--no-progress"]) == 0
    assert json.loads(target.read_text().splitlines()[0])["score"] == 4.0
