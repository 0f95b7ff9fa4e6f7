"""One-line errors for the CLI, and the one place secrets are taken out of what is printed.

Every log record of the CLI passes through :class:`RedactingFormatter` (tracebacks included), and
every error message through :func:`one_line`, so a Hub token never reaches the terminal or a log,
even when a server echoes it back.

Example:
    >>> redact("401: Invalid credentials in Authorization header: Bearer hf_abcdefghijklmnop")
    '401: Invalid credentials in Authorization header: Bearer ***'
    >>> one_line(ConnectionRefusedError(111, "Connection refused"), "downloading x")
    'downloading x: cannot connect (ConnectionRefusedError: [Errno 111] Connection refused)'
"""

from __future__ import annotations

import logging
import os
import re

MASK = "***"
MIN_SECRET = 8
TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
_PATTERN = re.compile(r"(?i:\b(bearer|token)([\s=:]+))[A-Za-z0-9_\-.~+/]{6,}=*|\bhf_[A-Za-z0-9]{6,}")
_TRANSPORT = frozenset({"TransportError", "ConnectionError", "ConnectError", "RemoteProtocolError", "ProtocolError",
                        "TimeoutException", "Timeout", "ReadTimeout", "ConnectTimeout", "NetworkError"})
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Redact ``value`` wherever it appears from now on (short values are ignored)."""
    if value and len(value) >= MIN_SECRET:
        _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with registered secrets, token variables' values, ``hf_…`` and bearer tokens masked."""
    for secret in _secrets | {os.environ.get(v, "") for v in TOKEN_VARIABLES}:
        if len(secret) >= MIN_SECRET:
            text = text.replace(secret, MASK)
    return _PATTERN.sub(lambda m: f"{m[1]}{m[2]}{MASK}" if m[1] else MASK, text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output, traceback included, passes through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def is_transport_error(err: BaseException) -> bool:
    """A refused, dropped or timed-out connection, from the stdlib, requests or httpx."""
    if isinstance(err, (ConnectionError, TimeoutError)):
        return True
    return any(cls.__name__ in _TRANSPORT for cls in type(err).__mro__)


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def one_line(err: BaseException, what: str | None = None) -> str:
    """A single redacted line naming what failed (``what``) and why (``err`` and its cause)."""
    detail = _flat(err) or _flat(err.__cause__ or "") or "no detail"
    prefix = f"{what}: " if what else ""
    if is_transport_error(err):
        message = f"{prefix}cannot connect ({type(err).__name__}: {detail})"
    elif what:
        message = f"{prefix}{type(err).__name__}: {detail}"
    else:
        message = detail
    return redact(message)
