"""The connector error tree; the tree is the retry policy.

::

    ConnectorError                 base; carries a stable ``key`` for the operator
    ├── TransientError             timeouts, 5xx, dropped socket     -> back off and retry
    │   ├── RateLimited            429 / quota / platform rate code  -> wait ``retry_after``
    │   └── StreamOffline          no live stream or chat right now  -> retry slowly
    ├── AuthError                  401/403, revoked or expired token -> stop, ``invalid_auth``
    └── FatalError                 bad config, protocol violation    -> stop and report

Classify by status code or typed payload fields, never by the text of a message.

What an error means for a connector's status is one table, :data:`STATUS_TABLE`, read by
:func:`verdict`: the supervisor decides with it, and :attr:`ConnectorError.key` is derived
from it (a subclass may name a finer ``key`` of its own, such as Graph's
``duplicate_content``; its status still comes from the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.status import Status


class _StatusKey:
    """``key`` of the tree's classes: the status :func:`verdict` gives them, as a string."""

    def __get__(self, obj: object, owner: type[BaseException]) -> str:
        return str(verdict(owner).status)


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""

    key: Any = _StatusKey()

    def __init__(self, message: str, *, platform: str | None = None) -> None:
        super().__init__(message)
        self.platform = platform


class TransientError(ConnectorError):
    """A failure worth retrying after a backoff."""


class RateLimited(TransientError):
    """The platform asked us to slow down; ``retry_after`` is in seconds (None if unsaid)."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, platform: str | None = None
    ) -> None:
        super().__init__(message, platform=platform)
        self.retry_after = retry_after


class StreamOffline(TransientError):
    """The stream or its chat is not live; try again later."""


class AuthError(ConnectorError):
    """Credentials were refused and could not be refreshed; a human must re-authorise."""


class FatalError(ConnectorError):
    """Retrying cannot help (bad configuration, protocol violation)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an error means for a connector: the status to show, and whether it stops.

    ``unexpected``: not one of the tree's errors (a bug): it is kept, logged with its
    traceback, and the connector is reopened after a backoff.
    """

    status: Status
    stop: bool = False
    unexpected: bool = False


_AUTH = Verdict(Status.INVALID_AUTH, stop=True)
_FATAL = Verdict(Status.CANNOT_CONNECT, stop=True)
STATUS_TABLE: tuple[tuple[type[ConnectorError], Verdict, Verdict], ...] = (
    # error class (most specific first), while opening, once open and reading
    (AuthError, Verdict(Status.INVALID_AUTH, stop=True), Verdict(Status.INVALID_AUTH, stop=True)),
    (
        FatalError,
        Verdict(Status.CANNOT_CONNECT, stop=True),
        Verdict(Status.CANNOT_CONNECT, stop=True),
    ),
    (RateLimited, Verdict(Status.RATE_LIMITED), Verdict(Status.RATE_LIMITED)),
    (StreamOffline, Verdict(Status.STREAM_OFFLINE), Verdict(Status.STREAM_OFFLINE)),
    (TransientError, Verdict(Status.CANNOT_CONNECT), Verdict(Status.RECONNECTING)),
)
_UNEXPECTED = Verdict(Status.CANNOT_CONNECT, unexpected=True)


def verdict(error: BaseException | type[BaseException], *, opened: bool = True) -> Verdict:
    """The status ``error`` gives a connector, opening (``opened=False``) or once open.

    A transient failure while opening means it cannot connect; once open, it is reconnecting.
    Anything outside the tree's leaves (a bare :class:`ConnectorError`, any other exception)
    is unexpected.
    """
    kind = error if isinstance(error, type) else type(error)
    for cls, opening, reading in STATUS_TABLE:
        if issubclass(kind, cls):
            return reading if opened else opening
    return _UNEXPECTED
