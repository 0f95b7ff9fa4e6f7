"""Every fixture row, read back with ``datasets.load_dataset``, renders with the real gpt-oss chat
template through ``tokenizer.apply_chat_template`` (the offline tokenizer, which carries the
vendored template), and the rendering equals ``prompt_text`` up to the documented classes.

Runs in the main venv (latest transformers 5.x), in ``.venv-tf4`` (transformers 4.57.x, ``make
test-tf4``) and in ``.venv-tf510`` (verl 0.9.1's pin, 5.10.4, ``make test-tf510``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import transformers
from datasets import Json, List, load_dataset

from rlla_4k_gpt.hub.card import card_values, render_card
from rlla_4k_gpt.hub.validate import load_build
from rlla_4k_gpt.convert.harmony import ASSISTANT_START, JSON_CONTENT_TYPE
from rlla_4k_gpt.convert.template import CLASSES, TEMPLATE_SHA256, UNEXPLAINED, chat_template, difference_table
from rlla_4k_gpt.convert.template import differences, render, template_tokens

REPO = Path(__file__).resolve().parents[1]
REFERENCE_SIZE = 16_738
CLASS_NAMES = {c.name for c in CLASSES}


@pytest.fixture(scope="module")
def loaded(build_dirs: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Every row of both fixture builds as ``load_dataset`` returns it."""
    out = {}
    for config, folder in build_dirs.items():
        ds = load_dataset(str(folder))
        out[config] = [row for split in sorted(ds) for row in ds[split]]
    return out


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``rlla-4k-gpt tokenizer --out DIR`` in this venv's transformers, loaded back."""
    from rlla_4k_gpt.cli import main

    out = tmp_path_factory.mktemp("tok")
    assert main(["tokenizer", "--out", str(out)]) == 0
    return transformers.AutoTokenizer.from_pretrained(str(out))


def rendered(tokenizer: Any, row: dict[str, Any]) -> str:
    return tokenizer.apply_chat_template(row["prompt"], tools=row["tools"], add_generation_prompt=True, tokenize=False)


def test_vendored_template_is_byte_identical_and_in_the_tokenizer(tokenizer: Any) -> None:
    data = (REPO / "rlla_4k_gpt/data/gpt_oss_chat_template.jinja").read_bytes()
    assert hashlib.sha256(data).hexdigest() == TEMPLATE_SHA256 and len(data) == REFERENCE_SIZE
    assert tokenizer.chat_template == chat_template() == data.decode("utf-8")
    notice = (REPO / "rlla_4k_gpt/data/GPT_OSS_TEMPLATE_NOTICE.md").read_text()
    assert TEMPLATE_SHA256 in notice and "Apache-2.0" in notice and "openai/gpt-oss-20b" in notice


def test_columns_are_json_features(build_dirs: dict[str, Path]) -> None:
    ds = load_dataset(str(build_dirs["rl"]), split="test")
    assert ds.features["prompt"] == List(Json()) and ds.features["tools"] == List(Json())
    assert isinstance(ds[0]["tools"][0]["function"]["parameters"], dict)


def message_problem(message: dict[str, Any]) -> str | None:
    """What is wrong with one message's shape (``None``: nothing)."""
    allowed = {"developer": {"content"}, "user": {"content"}, "tool": {"name", "content"},
               "assistant": {"content", "thinking", "tool_calls"}}  # fmt: skip
    keys = set(message) - {"role"}
    if message.get("role") not in allowed or not keys <= allowed[message["role"]]:
        return f"unexpected keys {sorted(message)}"
    if any(v is None for v in message.values()):
        return "a key set to null"
    calls = message.get("tool_calls")
    if calls is not None:
        if len(calls) != 1 or "content" in message:
            return "an assistant call message must hold exactly one call and no content"
        function = calls[0]["function"]
        if calls[0]["type"] != "function" or not isinstance(function["arguments"], dict):
            return "a call must be type function with an object as arguments"
        if function.get("content_type") != JSON_CONTENT_TYPE:
            return "a call lacks content_type"
    if message["role"] == "tool" and isinstance(message["content"], str):
        try:
            json.loads(message["content"])
        except ValueError:
            return None
        return "a tool result stored as JSON text"
    return None


def test_every_message_has_the_template_shape(loaded: dict[str, list[dict[str, Any]]]) -> None:
    problems = [(c, i, m, p) for c, rows in loaded.items() for i, row in enumerate(rows)
                for m in row["prompt"] if (p := message_problem(m))]  # fmt: skip
    assert not problems, problems[:3]


def expected_segments(message: dict[str, Any]) -> list[str]:
    """The text each history message must render to, exactly once per occurrence."""
    role = message["role"]
    if role == "user":
        return [f"<|start|>user<|message|>{message['content']}<|end|>"]
    if role == "tool":
        body = json.dumps(message["content"], ensure_ascii=False)
        return [f" to=assistant<|channel|>commentary<|message|>{body}<|end|>"]
    if "tool_calls" not in message:
        return [f"<|start|>assistant<|channel|>final<|message|>{message['content']}<|end|>"]
    function = message["tool_calls"][0]["function"]
    body = json.dumps(function["arguments"], ensure_ascii=False)
    call = f"<|start|>assistant to=functions.{function['name']}<|channel|>commentary {JSON_CONTENT_TYPE}<|message|>{body}<|call|>"
    thinking = [f"<|start|>assistant<|channel|>analysis<|message|>{message['thinking']}<|end|>"] if "thinking" in message else []
    return thinking + [call]


def row_problems(text: str, row: dict[str, Any]) -> list[str]:
    """Every way a template rendering of ``row`` breaks the contract (empty: none)."""
    problems = []
    if not text.endswith(ASSISTANT_START):
        problems.append("does not end with <|start|>assistant")
    for tool in row["tools"]:
        function = tool["function"]
        if text.count(f"\ntype {function['name']} = ") != 1 or f"// {function['description']}\n" not in text:
            problems.append(f"tool {function['name']} is not declared once with its description")
    history = row["prompt"][1:]
    wanted = Counter(seg for m in history for seg in expected_segments(m))
    for segment, times in wanted.items():
        if text.count(segment) != times:
            problems.append(f"{segment[:80]!r} appears {text.count(segment)} times, not {times}")
    for body in re.findall(r"<\|message\|>((?:(?!<\|).)*)<\|call\|>", text, re.S):
        if not isinstance(json.loads(body), dict):
            problems.append(f"call arguments encoded twice: {body[:60]}")
    unknown = set(differences(text, row["prompt_text"])) - CLASS_NAMES
    if unknown:
        problems.append(f"differs from prompt_text outside the documented classes: {sorted(unknown)}")
    return problems


@pytest.mark.parametrize("config", ["rl", "sft"])
def test_rows_render_with_the_real_template(config: str, loaded: dict[str, list[dict[str, Any]]], tokenizer: Any,
                                            build_reports: dict[str, dict]) -> None:
    today = date.today().isoformat()
    counts: Counter = Counter()
    for i, row in enumerate(loaded[config]):
        text = rendered(tokenizer, row)  # raises on a shape the template cannot read
        assert text == render(row["prompt"], row["tools"], day=today), f"{config} row {i}: our renderer differs"
        assert not row_problems(text, row), (config, i, row_problems(text, row))
        assert row["template_tokens"] == len(tokenizer.encode(text, add_special_tokens=False)), (config, i)
        counts.update(differences(text, row["prompt_text"]))
    report = build_reports[config]
    assert dict(counts) == report["template_differences"], "the build report's counts are not what loading gives"
    assert report["rows_equal_but_date"] == sum(1 for r in loaded[config] if
                                                set(differences(rendered(tokenizer, r), r["prompt_text"])) <= {"current_date"})


def test_the_checks_fail_on_anything_else(loaded: dict[str, list[dict[str, Any]]], tokenizer: Any) -> None:
    row = next(r for r in loaded["sft"] if any(m["role"] == "tool" for m in r["prompt"]))
    text = rendered(tokenizer, row)
    assert not row_problems(text, row)
    user = next(m["content"] for m in row["prompt"] if m["role"] == "user")
    assert UNEXPLAINED in differences(text.replace(user, user + " "), row["prompt_text"])
    assert row_problems(text.replace(user, user + " "), row)
    call = next(m for m in row["prompt"] if "tool_calls" in m)["tool_calls"][0]["function"]
    twice = json.dumps(json.dumps(call["arguments"], ensure_ascii=False), ensure_ascii=False)
    assert row_problems(text.replace(json.dumps(call["arguments"], ensure_ascii=False), twice, 1), row)
    assert row_problems(text.removesuffix(ASSISTANT_START), row)
    assert row_problems(text.replace(f"\ntype {row['tools'][0]['function']['name']} = ", "\ntype x = ", 1), row)


def test_template_tokens_do_not_depend_on_the_date(loaded: dict[str, list[dict[str, Any]]]) -> None:
    row = loaded["rl"][0]
    lengths = {len(render(row["prompt"], row["tools"], day=d)) for d in ("2025-08-05", "1999-12-31", "2031-01-01")}
    assert len(lengths) == 1 and row["template_tokens"] == template_tokens(row["prompt"], row["tools"])


def test_docs_and_card_show_the_build_counts(build_reports: dict[str, dict], build_dirs: dict[str, Path]) -> None:
    table = difference_table(build_reports)
    doc = (REPO / "docs/conversion.md").read_text()
    assert f"<!-- template-differences: start -->\n{table}\n<!-- template-differences: end -->" in doc, (
        "docs/conversion.md is out of date: run python scripts/update_template_table.py")
    builds = [load_build(p) for p in build_dirs.values()]
    values = card_values(builds, build_reports, "org/ds", "org/metric", None)
    card = render_card((REPO / "dataset_card.md").read_text(), values)
    assert table in card
