"""A reader that drives ``events()`` the way the app's supervisor does (minus its backoff)."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from connectors.errors import TransientError
from connectors.events import ChatEvent, ChatMessage
from connectors.facebook import FacebookConnector


class Reader:
    """Collect events; re-enter ``events()`` after a TransientError; keep other errors."""

    def __init__(self, connector: FacebookConnector) -> None:
        self.connector = connector
        self.events: list[ChatEvent] = []
        self.transient: list[TransientError] = []
        self.error: BaseException | None = None
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                async for event in self.connector.events():
                    self.events.append(event)
                    self._wake()
                self._wake()
                return
            except TransientError as exc:
                self.transient.append(exc)
                self._wake()
            except Exception as exc:
                self.error = exc
                self._wake()
                return

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    @property
    def messages(self) -> list[ChatMessage]:
        return [e for e in self.events if isinstance(e, ChatMessage)]

    async def wait_for(self, count: int, limit_s: float = 10.0) -> list[ChatMessage]:
        """Wait until ``count`` messages arrived (raise the reader's error if it stopped)."""
        async with asyncio.timeout(limit_s):
            while len(self.messages) < count:
                if self.error is not None:
                    raise self.error
                if self.task.done():
                    break
                await self._changed.wait()
        return self.messages

    async def wait_transient(self, count: int = 1, limit_s: float = 10.0) -> None:
        async with asyncio.timeout(limit_s):
            while len(self.transient) < count:
                await self._changed.wait()

    async def stop(self) -> None:
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task
