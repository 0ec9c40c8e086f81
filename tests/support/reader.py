"""One reader double: drive a connector's ``events()`` and record everything it delivers.

``events`` keeps every event in arrival order (nothing is thrown away, so a duplicate or a gap
is visible to the test); ``next()``/``message()``/``drain()`` walk a cursor over that record.
With ``resume=True`` the reader re-enters ``events()`` after a :class:`TransientError`, as the
app's supervisor does (minus its backoff); otherwise the first error ends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress

from connectors.base import Connector
from connectors.errors import TransientError
from connectors.events import ChatEvent, ChatMessage

TIMEOUT = 10.0


class Reader:
    """Run ``events()`` in a task; record events, transient errors and the final error."""

    def __init__(
        self, connector: Connector, *, resume: bool = False, timeout: float = TIMEOUT
    ) -> None:
        self.connector = connector
        self.resume = resume
        self.timeout = timeout
        self.events: list[ChatEvent] = []
        self.transient: list[TransientError] = []
        self.failure: BaseException | None = None
        self._reported = False  # whether next()/drain()/error() handed the failure over
        self._cursor = 0
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                try:
                    async for event in self.connector.events():
                        self.events.append(event)
                        self._wake()
                    return
                except TransientError as exc:
                    if not self.resume:
                        raise
                    self.transient.append(exc)
                    self._wake()
        except Exception as exc:
            self.failure = exc
        finally:
            self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _until(self, ready: Callable[[], bool], limit_s: float | None = None) -> None:
        """Wait (within the timeout) until ``ready()`` is true or the session has ended."""
        async with asyncio.timeout(self.timeout if limit_s is None else limit_s):
            while not ready() and not self.task.done():
                await self._changed.wait()

    @property
    def messages(self) -> list[ChatMessage]:
        """Every chat message delivered so far, in arrival order."""
        return [e for e in self.events if isinstance(e, ChatMessage)]

    async def next(self) -> ChatEvent:
        """The next event not yet walked past (raises what ended the session, if it ended)."""
        await self._until(lambda: self._cursor < len(self.events))
        if self._cursor < len(self.events):
            self._cursor += 1
            return self.events[self._cursor - 1]
        self._reported = True
        raise self.failure or EOFError("the session ended")

    async def message(self, text: str) -> ChatMessage:
        """Walk to the next chat message with ``text``."""
        while True:
            event = await self.next()
            if isinstance(event, ChatMessage) and event.text == text:
                return event

    def drain(self) -> list[ChatEvent | BaseException]:
        """Events delivered but not yet walked past (then the error that ended the session,
        if not handed over yet); moves the cursor to the end."""
        rest: list[ChatEvent | BaseException] = list(self.events[self._cursor :])
        self._cursor = len(self.events)
        if self.failure is not None and not self._reported:
            self._reported = True
            rest.append(self.failure)
        return rest

    async def wait_for(self, count: int, limit_s: float | None = None) -> list[ChatMessage]:
        """Wait until ``count`` messages arrived (raise the reader's error if it stopped)."""
        await self._until(lambda: len(self.messages) >= count or self.failure is not None, limit_s)
        if self.failure is not None and len(self.messages) < count:
            raise self.failure
        return self.messages

    async def wait_transient(self, count: int = 1) -> None:
        """Wait until ``count`` transient errors were survived."""
        await self._until(lambda: len(self.transient) >= count)

    async def error(self) -> BaseException:
        """Wait for the session to fail and return the error."""
        await self._until(lambda: self.failure is not None)
        if self.failure is None:
            raise AssertionError(f"the session ended without an error: {self.events[-3:]}")
        self._reported = True
        return self.failure

    async def stop(self) -> None:
        """Cancel the session."""
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task
