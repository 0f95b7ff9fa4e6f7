"""Checks that need no build: the tag, the repo ids, Hub errors as one line, and the token.

Example:
    >>> check_tag("v1.0.0", evaluate_version="0.4.6"), check_repo_id("org/x", "--metric-repo")
    ('v1.0.0', 'org/x')
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import is_transport_error, one_line, redact, register_secret

_TAG = re.compile(r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


class PublishError(Exception):
    """A push was refused or failed; the message is one line fit for the terminal."""


def check_tag(tag: str, evaluate_version: str | None = None) -> str:
    """Return ``tag`` if it is a ``vX.Y.Z`` release tag that cannot shadow an evaluate release.

    ``evaluate.load("org/metric")`` first asks the Space for the revision ``v{evaluate.__version__}``
    and only then for ``main``. A Space tag equal to an evaluate release therefore pins every user
    of that evaluate version to the tagged (old) metric. So the installed evaluate's own version is
    refused, and so is every ``v0.*`` tag: all evaluate releases so far are 0.x, and a future
    0.x release must not collide either.

    Example:
        >>> check_tag("v2.1.0", evaluate_version="0.4.6")
        'v2.1.0'
        >>> check_tag("v0.4.6", evaluate_version="0.4.6")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.hub.checks.PublishError: tag v0.4.6 is refused: evaluate.load tries the tag v{evaluate version} ...
        >>> check_tag("1.0", evaluate_version="0.4.6")
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.hub.checks.PublishError: tag '1.0' is not of the form vX.Y.Z (e.g. v1.0.0)
    """
    if not _TAG.fullmatch(tag):
        raise PublishError(f"tag {tag!r} is not of the form vX.Y.Z (e.g. v1.0.0)")
    version = evaluate_version if evaluate_version is not None else installed_evaluate_version()
    if tag.startswith("v0.") or (version is not None and tag == f"v{version}"):
        raise PublishError(
            f"tag {tag} is refused: evaluate.load tries the tag v{{evaluate version}} before main "
            f"(installed evaluate {version}), so a v0.* tag on the Space would pin evaluate users to it; "
            "use v1.0.0 or later"
        )
    return tag


def installed_evaluate_version() -> str | None:
    """The installed evaluate version, read from package metadata (evaluate is not imported)."""
    try:
        return importlib.metadata.version("evaluate")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_repo_id(repo_id: str, what: str) -> str:
    """Return ``repo_id`` if it has the ``ORG/NAME`` form (:func:`huggingface_hub.utils.validate_repo_id`).

    Example:
        >>> check_repo_id("org/rlla_4k_gpt", "--dataset-repo")
        'org/rlla_4k_gpt'
        >>> check_repo_id("rlla_4k_gpt", "--dataset-repo")
        Traceback (most recent call last):
        ...
        rlla_4k_gpt.hub.checks.PublishError: --dataset-repo must be ORG/NAME, not 'rlla_4k_gpt'
    """
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)  # the Hub's name rules; a bare NAME passes them, hence the "/" count
        valid = repo_id.count("/") == 1
    except HFValidationError:
        valid = False
    if not valid:
        raise PublishError(f"{what} must be ORG/NAME, not {repo_id!r}")
    return repo_id


def describe_hub_error(err: Exception, what: str) -> str:
    """One line for a huggingface_hub error met while doing ``what`` (401/403/404/409/412 explained)."""
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    server = redact(getattr(err, "server_message", None) or "").strip().splitlines()
    detail = f" (Hub says: {server[0]})" if server else ""
    if isinstance(err, RevisionNotFoundError):
        return f"{what}: revision not found (404){detail}"
    if status == 401:
        return (f"{what}: not authenticated (401): the token is missing, invalid or expired; "
                f"set HF_TOKEN or run `hf auth login`{detail}")
    if status == 403:
        return f"{what}: forbidden (403): the token may not write there (read-only token, or no rights in that org){detail}"
    if isinstance(err, RepositoryNotFoundError) or status == 404:
        return f"{what}: repository not found (404), or the token cannot see it{detail}"
    if status == 409:
        return f"{what}: conflict (409): it already exists{detail}"
    if status == 412:
        return f"{what}: someone else committed meanwhile (412); run the push again{detail}"
    return redact(f"{what}: Hub error {status or type(err).__name__}{detail or ': ' + str(err).splitlines()[0]}")


@contextmanager
def hub_step(what: str) -> Iterator[None]:
    """Turn huggingface_hub HTTP errors raised inside into a :class:`PublishError`."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        yield
    except HfHubHTTPError as err:
        raise PublishError(describe_hub_error(err, what)) from err  # the cause: -v shows its traceback
    except Exception as err:
        if not is_transport_error(err):
            raise
        raise PublishError(one_line(err, f"{what}: the Hub at {hub_endpoint()} did not answer")) from err


def hub_endpoint() -> str:
    """The Hub the clients talk to (``HF_ENDPOINT`` or huggingface.co)."""
    from huggingface_hub import constants

    return constants.ENDPOINT


def resolve_token() -> str | None:
    """``HF_TOKEN``, else the token saved by ``hf auth login`` (never logged)."""
    from huggingface_hub import get_token

    token = get_token()
    register_secret(token)
    return token
