"""The connector error tree; the tree is the retry policy.

::

    ConnectorError                 base; carries a stable ``key`` for the operator
    ├── TransientError             timeouts, 5xx, dropped socket     -> back off and retry
    │   ├── RateLimited            429 / quota / platform rate code  -> wait ``retry_after``
    │   └── StreamOffline          no live stream or chat right now  -> retry slowly
    ├── AuthError                  401/403, revoked or expired token -> stop, ``invalid_auth``
    └── FatalError                 bad config, protocol violation    -> stop and report

Classify by status code or typed payload fields, never by the text of a message.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""

    key = "cannot_connect"

    def __init__(self, message: str, *, platform: str | None = None) -> None:
        super().__init__(message)
        self.platform = platform


class TransientError(ConnectorError):
    """A failure worth retrying after a backoff."""

    key = "reconnecting"


class RateLimited(TransientError):
    """The platform asked us to slow down; ``retry_after`` is in seconds (None if unsaid)."""

    key = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float | None = None, platform: str | None = None
    ) -> None:
        super().__init__(message, platform=platform)
        self.retry_after = retry_after


class StreamOffline(TransientError):
    """The stream or its chat is not live; try again later."""

    key = "stream_offline"


class AuthError(ConnectorError):
    """Credentials were refused and could not be refreshed; a human must re-authorise."""

    key = "invalid_auth"


class FatalError(ConnectorError):
    """Retrying cannot help (bad configuration, protocol violation)."""

    key = "cannot_connect"
