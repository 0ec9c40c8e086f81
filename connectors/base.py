"""The connector contract: a small Protocol, not a base class.

A connector is opened with ``async with``; :meth:`Connector.events` yields frozen
events from one session and raises from :mod:`connectors.errors` when the session
fails, so the application's supervisor decides how to retry (the error tree is the
retry policy). Protocol-level hand-overs (Twitch ``session_reconnect``, IRC
``RECONNECT``, an SSE stream that ends) are handled inside ``events()``.
:meth:`Connector.send` sends one reply that the outbox already fitted to
:attr:`Connector.limits`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import ClassVar, Protocol, Self, runtime_checkable

from connectors.events import ChatEvent, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Health


@runtime_checkable
class Connector(Protocol):
    """What every platform connector provides."""

    platform: ClassVar[str]
    name: str  # unique per running connector, e.g. "twitch:mychannel"
    health: Health

    @property
    def limits(self) -> PlatformLimits:
        """The platform's outbound limits now (they may change, e.g. when made moderator)."""
        ...

    async def __aenter__(self) -> Self:
        """Authenticate and open sessions (read-only checks only)."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close every socket and session."""
        ...

    def events(self) -> AsyncIterator[ChatEvent]:
        """Yield chat events from one session; raise a ConnectorError when it fails."""
        ...

    async def send(self, reply: Reply) -> SendResult:
        """Send one reply; raise RateLimited/TransientError/AuthError as the platform says."""
        ...

    async def check(self) -> str:
        """Make one read-only call and return a status key (``ok``, ``invalid_auth`` ...)."""
        ...
