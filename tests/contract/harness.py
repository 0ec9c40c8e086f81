"""What a platform contributes to the connector contract suite: its emulator and a connector.

Each platform adds one module ``tests/contract/harness_<platform>.py`` defining
``HARNESS: Callable[[], ContractHarness]``; the suite discovers them by file name, so adding a
connector never edits a shared file.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol, Self

from connectors.base import Connector

FailureKind = Literal["rate_limit", "server_error", "auth"]
Phase = Literal["read", "send"]


@dataclass(frozen=True, slots=True)
class SentRecord:
    """One message the emulated platform received from the bot."""

    text: str
    reply_to_id: str | None = None


class ContractHarness(Protocol):
    """A running emulator plus a way to build a connector configured for it."""

    platform: str

    async def __aenter__(self) -> Self:
        """Start the emulator on 127.0.0.1 (ephemeral ports)."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the emulator."""
        ...

    def connector(self) -> Connector:
        """Return a fresh connector pointed at the emulator (not yet opened)."""
        ...

    async def inject_message(self, *, text: str, author_id: str, author_name: str) -> str:
        """Make a viewer say ``text``; return the platform's message id."""
        ...

    async def server_reconnect(self) -> None:
        """Make the server ask for (or force) a reconnect, as the real platform does."""
        ...

    def fail_next(self, kind: FailureKind, *, on: Phase) -> bool:
        """Make the next read or send fail that way; False if the platform has no such case."""
        ...

    async def sent(self) -> list[SentRecord]:
        """Messages the platform received from the bot, oldest first."""
        ...

    async def wait_disconnected(self) -> bool:
        """Wait until no client of the bot is connected (True at once for polling transports)."""
        ...
