"""Write-then-switch folders, and cleanup of what a killed build left behind.

A build writes into a staging folder ``.{out}.rlla-build-{pid}-…`` beside ``out`` and swaps it
in when complete. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``; elsewhere the old
folder is first renamed to ``.{out}.rlla-build-{pid}-old`` and put back by the next build if the
process died in between. Folders of dead processes (staging, temporary caches) are removed at the
next build.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "build"
    >>> with staged_folder(out) as stage:
    ...     _ = (stage / "f").write_text("new")
    >>> (out / "f").read_text()
    'new'
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .manifest import REPORT_FILE

logger = logging.getLogger(__name__)

TAG = "rlla-build-"
_OWNED = re.compile(r"(?:^|\.)" + re.escape(TAG) + r"(?P<pid>\d+)-(?P<rest>.*)$")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(root: Path) -> int:
    """Remove ``rlla-build-{pid}-…`` folders in ``root`` whose process is gone; return how many."""
    removed = 0
    for entry in root.iterdir() if root.is_dir() else ():
        match = _OWNED.search(entry.name)
        if match is None or not entry.is_dir() or _alive(int(match["pid"])):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        logger.debug("removed %s, left by a build that did not finish", entry)
        removed += 1
    return removed


@contextmanager
def owned_temp_dir(root: Path) -> Iterator[Path]:
    """A temporary folder named after this process, so a later build can tell it is stale."""
    with tempfile.TemporaryDirectory(prefix=f"{TAG}{os.getpid()}-", dir=root) as folder:
        yield Path(folder)


def _backups(out: Path) -> list[Path]:
    pattern = f".{out.name}.{TAG}*-old"
    return sorted(out.parent.glob(pattern), key=lambda p: p.stat().st_mtime)


def recover(out: Path) -> None:
    """Put back the previous build if a switch was cut between its two renames."""
    backups = _backups(out)
    if backups and not out.exists():
        backups[-1].rename(out)
        logger.warning("restored %s from an interrupted build", out)


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / REPORT_FILE).is_file():
        raise FileExistsError(f"{out}: exists and is not a build folder (no {REPORT_FILE}); choose another --out")


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``out``; on success it replaces ``out`` whole."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    _check_target(out)
    remove_stale(out.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.{TAG}{os.getpid()}-", dir=out.parent))
    try:
        yield stage
        switch(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def switch(stage: Path, out: Path) -> None:
    """Make ``stage`` the folder ``out``; ``stage`` then holds the old folder (or is gone)."""
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        stage.rename(out)
    elif not _exchange(stage, out):
        backup = out.with_name(f".{out.name}.{TAG}{os.getpid()}-old")
        out.rename(backup)
        stage.rename(out)
        shutil.rmtree(backup, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); ``False`` where that is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
