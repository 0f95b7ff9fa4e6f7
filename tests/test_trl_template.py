"""TRL 1.16: does the conversational route render a row's own ``tools``?

``GRPOTrainer`` tokenizes prompts in ``_tokenize_prompts``: a conversational prompt goes to
``apply_chat_template`` with the trainer's ``self.tools`` (one list for every row), a text prompt
to the tokenizer as-is. These tests run that real method (on an object holding just the
attributes it reads, since a trainer needs a model) and ``trl.data_utils.maybe_apply_chat_template``
on loaded fixture rows. Runs in ``.venv-trl`` (``make test-trl``).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from .integration import require

trl = require("trl", "trl")

from datasets import load_dataset  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402
from trl.data_utils import maybe_apply_chat_template  # noqa: E402

from rlla_4k_gpt.convert.template import UNEXPLAINED, differences  # noqa: E402
from rlla_4k_gpt.tokens.tokenizer import save_gpt_oss_tokenizer  # noqa: E402


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return AutoTokenizer.from_pretrained(str(save_gpt_oss_tokenizer(tmp_path_factory.mktemp("tok"))))


@pytest.fixture(scope="module")
def rows(build_dirs: dict[str, Path]) -> list[dict[str, Any]]:
    return list(load_dataset(str(build_dirs["rl"]), split="test"))


def declares_all(text: str, tools: list[dict[str, Any]]) -> bool:
    return all(f"\ntype {t['function']['name']} = " in text for t in tools)


def grpo_prompt_ids(tokenizer: Any, prompts: list[Any], tools: list[Any]) -> list[list[int]]:
    """``GRPOTrainer._tokenize_prompts`` as the trainer runs it without environments or images."""
    trainer = SimpleNamespace(processing_class=tokenizer, tools=tools, chat_template=None, chat_template_kwargs={},
                              environment_factories=None, _is_vlm=False)  # fmt: skip
    prompt_ids, _, _ = trl.GRPOTrainer._tokenize_prompts(trainer, prompts)
    return [list(ids) for ids in prompt_ids]


def test_grpo_conversational_route_does_not_see_the_rows_tools(tokenizer: Any, rows: list[dict[str, Any]]) -> None:
    row = next(r for r in rows if r["tools"])
    [ids] = grpo_prompt_ids(tokenizer, [row["prompt"]], tools=[])
    text = tokenizer.decode(ids)
    assert "namespace functions" not in text and not declares_all(text, row["tools"])
    # Same messages, rendered with the row's tools: what the trainer would need.
    with_tools = tokenizer.apply_chat_template(row["prompt"], tools=row["tools"], add_generation_prompt=True, tokenize=False)
    assert declares_all(with_tools, row["tools"]) and text != with_tools


def test_maybe_apply_chat_template_with_the_rows_tools_works(tokenizer: Any, rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows):
        text = maybe_apply_chat_template({"prompt": row["prompt"]}, tokenizer, tools=row["tools"])["prompt"]
        assert declares_all(text, row["tools"]), i
        assert UNEXPLAINED not in differences(text, row["prompt_text"]), i


def test_text_prompts_reach_the_model_as_given(tokenizer: Any, rows: list[dict[str, Any]]) -> None:
    """The route that works with per-row tools: a text prompt (``prompt_text``, or the template's
    rendering made per row with maybe_apply_chat_template), tokenized as-is by GRPOTrainer."""
    row = rows[0]
    rendered = maybe_apply_chat_template({"prompt": row["prompt"]}, tokenizer, tools=row["tools"])["prompt"]
    ids = grpo_prompt_ids(tokenizer, [row["prompt_text"], rendered], tools=[])
    assert ids[0] == tokenizer.encode(row["prompt_text"], add_special_tokens=False)
    assert len(ids[0]) == row["prompt_tokens"]
    assert ids[1] == tokenizer.encode(rendered, add_special_tokens=False) and len(ids[1]) == row["template_tokens"]
