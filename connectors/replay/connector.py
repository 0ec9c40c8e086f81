"""Replay connector: plays a JSONL chat log at a chosen speed, feeding the normal pipeline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from connectors.errors import FatalError
from connectors.events import ChatEvent, ChatMessage, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.replay.config import ReplayConfig
from connectors.replay.translate import BadLine, parse_line
from connectors.status import Health, Status, utc_now

_LOGGER = logging.getLogger(__name__)

DEMO_LOG = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "demo_chat.jsonl"


class ReplayConnector:
    """Yield the lines of a chat log as chat messages; replies are collected in ``sent``."""

    platform: ClassVar[str] = "replay"

    def __init__(
        self,
        config: ReplayConfig,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_reply: Callable[[Reply], None] | None = None,
    ) -> None:
        self.config = config
        self.path = config.path or DEMO_LOG
        self.channel = config.channel
        self.name = f"replay:{self.channel}"
        self.limits = PlatformLimits(
            max_messages=1000, window_seconds=1.0, max_chars=500, threads=True
        )
        self.health = Health(self.name, clock=clock)
        self.sent: list[Reply] = []
        self.skipped: list[tuple[int, str]] = []
        self._clock = clock
        self._sleep = sleep
        self._on_reply = on_reply
        self._position = 0  # lines already played, so a restart resumes

    async def __aenter__(self) -> Self:
        if not self.path.is_file():
            raise FatalError(f"chat log not found: {self.path}", platform=self.platform)
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
        """The log file is the platform: ``ok`` when it is readable."""
        return "ok" if self.path.is_file() else "cannot_connect"

    async def events(self) -> AsyncIterator[ChatEvent]:
        """Play the log from where it stopped, waiting ``offset / speed`` between lines."""
        lines = await asyncio.to_thread(self.path.read_text, encoding="utf-8")
        start = self._clock()
        played_offset = 0.0
        for number, raw in enumerate(lines.splitlines(), start=1):
            if number <= self._position:
                continue
            self._position = number
            try:
                entry = parse_line(raw, number)
            except BadLine as exc:
                _LOGGER.warning("%s line %d skipped: %s", self.path.name, number, exc)
                self.skipped.append((number, str(exc)))
                continue
            if entry is None:
                continue
            wait = (entry.offset - played_offset) / self.config.speed
            if wait > 0:
                await self._sleep(wait)
            played_offset = max(played_offset, entry.offset)
            msg = ChatMessage(
                platform=entry.platform,
                channel=self.channel,
                message_id=entry.message_id,
                author_id=entry.author_id,
                author_name=entry.author,
                text=entry.text,
                sent_at=start + timedelta(seconds=entry.offset),
                roles=entry.roles,
                raw={"line": number},
            )
            self.health.saw_message(msg.sent_at)
            yield msg

    async def send(self, reply: Reply) -> SendResult:
        """Collect the reply (and hand it to ``on_reply`` for display)."""
        self.sent.append(reply)
        if self._on_reply is not None:
            self._on_reply(reply)
        return SendResult(sent=True, platform_message_id=f"r{len(self.sent)}")
