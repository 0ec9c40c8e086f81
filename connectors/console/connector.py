"""Console connector: each line typed on stdin is a chat message; replies are printed."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from types import TracebackType
from typing import ClassVar, Self, TextIO

from connectors.console.config import ConsoleConfig
from connectors.events import ChatEvent, ChatMessage, Reply, Role, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Health, Status, utc_now


class ConsoleConnector:
    """Chat from the terminal, for trying commands by hand."""

    platform: ClassVar[str] = "console"

    def __init__(
        self,
        config: ConsoleConfig,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.channel = "console"
        self.name = "console"
        self.limits = PlatformLimits(
            max_messages=100, window_seconds=1.0, max_chars=2000, threads=True
        )
        self.health = Health(self.name, clock=clock)
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._clock = clock
        self._ids = itertools.count(1)

    async def __aenter__(self) -> Self:
        self.health.set(Status.OK)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.health.set(Status.STOPPED)

    async def check(self) -> str:
        """The terminal is always there."""
        return "ok"

    async def events(self) -> AsyncIterator[ChatEvent]:
        """Yield one message per typed line until end of input."""
        roles = frozenset({Role.MODERATOR}) if self.config.moderator else frozenset()
        while True:
            line = await asyncio.to_thread(self._stdin.readline)
            if not line:
                return
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            now = self._clock()
            self.health.saw_message(now)
            yield ChatMessage(
                platform=self.platform,
                channel=self.channel,
                message_id=f"console-{now.timestamp():.6f}-{next(self._ids)}",
                author_id=self.config.author,
                author_name=self.config.author,
                text=text,
                sent_at=now,
                roles=roles,
            )

    async def send(self, reply: Reply) -> SendResult:
        """Print the reply."""
        self._stdout.write(f"bot> {reply.text}\n")
        self._stdout.flush()
        return SendResult(sent=True)
