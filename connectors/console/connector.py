"""Console connector: each line typed on stdin is a chat message; replies are printed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from types import TracebackType
from typing import ClassVar, Self, TextIO

from connectors.console.config import ConsoleConfig
from connectors.events import ChatEvent, ChatMessage, Reply, Role, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Health, Status, utc_now


async def _read_line(stream: TextIO) -> str:
    """``stream.readline()`` in a daemon thread: a show stopping (Ctrl-C) while the operator
    types nothing must not wait for Enter (a pool thread would hold the process open)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line)

    def read() -> None:
        try:
            line, error = stream.readline(), None
        except (OSError, ValueError) as exc:  # closed stream: handed to the reader
            line, error = "", exc
        with contextlib.suppress(RuntimeError):  # the loop has ended: nobody is waiting
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return await future


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
            line = await _read_line(self._stdin)
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
