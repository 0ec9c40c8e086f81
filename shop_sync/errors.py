"""The store-sync error tree; the tree is the retry policy.

::

    ShopError                      base; carries a stable ``key`` for the operator
    ├── ShopTransientError         network errors, 5xx, throttling past the retries -> retry later
    ├── ShopAuthError              401/403 that a token refresh did not cure -> ``invalid_auth``
    └── ShopGraphQLError           the API answered with GraphQL errors (message kept)
"""

from __future__ import annotations


class ShopError(Exception):
    """Base of every error the store client raises on purpose."""

    key = "unknown"


class ShopTransientError(ShopError):
    """A failure worth retrying later (the client already retried with backoff)."""

    key = "cannot_connect"


class ShopAuthError(ShopError):
    """The store refused our credentials."""

    key = "invalid_auth"


class ShopGraphQLError(ShopError):
    """The API answered with ``errors``; never read as "no data"."""

    key = "unknown"

    def __init__(self, messages: list[str], code: str | None = None) -> None:
        super().__init__("; ".join(messages) or "GraphQL error")
        self.messages = messages
        self.code = code
