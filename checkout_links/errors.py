"""Why a checkout link could not be made.

```
LinkError                 # base
├── LinkUnavailable       # network error, timeout, 429/5xx, THROTTLED -> retry later or fall back
├── LinkAuthError         # 401/403: token missing or revoked            -> surface invalid_auth
└── LinkRejected          # the shop refused the input (userErrors)       -> no link for this input
```
"""

from __future__ import annotations


class LinkError(Exception):
    """A checkout link could not be made."""


class LinkUnavailable(LinkError):
    """The shop API could not be reached or is throttling; ``retry_after`` in seconds if known."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LinkAuthError(LinkError):
    """The shop API refused the token (HTTP 401/403)."""


class LinkRejected(LinkError):
    """The shop refused the input; ``messages`` are the userErrors it gave."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages) or "rejected")
        self.messages = messages
