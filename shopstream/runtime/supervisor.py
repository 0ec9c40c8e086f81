"""Run connectors under one supervisor: restart with capped backoff, report status, lose no error.

The connector error tree is the retry policy (one table, ``connectors.errors.STATUS_TABLE``):

- ``TransientError`` (drop, 5xx): status ``reconnecting``, back off, call ``events()`` again;
- ``RateLimited``: status ``rate_limited``, wait what the server said (else back off);
- ``StreamOffline``: status ``stream_offline``, back off and try again;
- ``AuthError``: status ``invalid_auth``; that connector stops, the others go on;
- ``FatalError``: status ``cannot_connect``; that connector stops;
- anything else is a bug: logged with its traceback, kept in ``errors``, and the connector is
  reopened after a backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from connectors.backoff import Backoff
from connectors.base import Connector
from connectors.errors import ConnectorError, FatalError, RateLimited, Verdict, verdict
from connectors.events import ChatEvent
from connectors.status import Status
from shopstream.credentials import fix_for

_LOGGER = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Envelope:
    """An event, the connector it came from (replies go back there), when it arrived
    (``time.perf_counter``; message-to-outcome latency is measured from it) and, when the
    fairness gate held it, when the gate let it through (handling latency starts there)."""

    connector: str
    event: ChatEvent
    received: float = field(default_factory=time.perf_counter, compare=False)
    released: float | None = field(default=None, compare=False)


@dataclass(slots=True)
class ConnectorRun:
    """What the supervisor knows of one connector's run."""

    connector: Connector
    backoff: Backoff
    key: str = ""  # the connector's name when registered (some learn a better one later)
    restarts: int = 0
    errors: list[BaseException] = field(default_factory=list)
    finished: bool = False


class Supervisor:
    """Keep every connector producing into ``queue`` until it ends or must stop."""

    def __init__(
        self,
        connectors: Sequence[Connector],
        queue: asyncio.Queue[Envelope],
        *,
        sleep: Sleep = asyncio.sleep,
        backoff: Callable[[], Backoff] = Backoff,
        max_restarts: int | None = None,
    ) -> None:
        self.queue = queue
        self.runs = {c.name: ConnectorRun(c, backoff(), key=c.name) for c in connectors}
        self._sleep = sleep
        self._max_restarts = max_restarts

    @property
    def errors(self) -> list[BaseException]:
        """Every unexpected error any connector raised, in order per connector."""
        return [e for run in self.runs.values() for e in run.errors]

    async def run(self) -> None:
        """Run every connector until each has ended or stopped."""
        async with asyncio.TaskGroup() as group:
            for run in self.runs.values():
                group.create_task(self._run_one(run), name=f"connector:{run.connector.name}")

    async def _wait(self, run: ConnectorRun, status: Status, delay: float | None) -> bool:
        """Report ``status`` and back off; False when the restart budget is spent."""
        run.restarts += 1
        if self._max_restarts is not None and run.restarts > self._max_restarts:
            run.connector.health.set(status, "gave up")
            _LOGGER.error("%s: giving up after %d restarts", run.connector.name, run.restarts - 1)
            return False
        wait = run.backoff.next_delay() if delay is None else delay
        run.connector.health.set(status, f"retry in {wait:.1f}s")
        _LOGGER.warning("%s: %s, retrying in %.1f s", run.connector.name, status, wait)
        await self._sleep(wait)
        return True

    async def _run_one(self, run: ConnectorRun) -> None:
        conn = run.connector
        while True:
            try:
                async with conn:
                    conn.health.set(Status.OK)
                    if await self._pump(run):
                        run.finished = True
                        conn.health.set(Status.STOPPED, "ended")
                        return
            except Exception as exc:  # what it means is the error tree's table, not here
                if not await self._after(run, exc, verdict(exc, opened=False)):
                    return

    async def _after(self, run: ConnectorRun, exc: Exception, seen: Verdict) -> bool:
        """Report ``exc`` as ``seen`` says; back off. False when the connector stops."""
        conn = run.connector
        if seen.unexpected:  # a bug in a connector: keep it, restart, never hide it
            run.errors.append(exc)
            conn.health.last_error = f"{type(exc).__name__}: {exc}"
            _LOGGER.exception("%s crashed; restarting", conn.name)
        else:
            conn.health.last_error = str(exc)
        if seen.stop:
            if seen.status is Status.INVALID_AUTH:
                fix = fix_for(getattr(conn, "platform", conn.name))
                conn.health.set(seen.status, f"re-authorise: {fix}")
                _LOGGER.error(
                    "%s: authorisation refused (%s); it stops, the other platforms go on; fix: %s",
                    conn.name,
                    exc,
                    fix,
                )
            else:
                conn.health.set(seen.status, "stopped")
                _LOGGER.error("%s: %s: %s", conn.name, seen.status, exc)
            return False
        delay = exc.retry_after if isinstance(exc, RateLimited) else None
        return await self._wait(run, seen.status, delay)

    async def _pump(self, run: ConnectorRun) -> bool:
        """Forward events of the opened connector; True when its stream ended normally.

        Transient failures inside an open session re-enter ``events()`` after a backoff;
        other errors leave the ``async with`` so the connector is reopened or stopped.
        """
        conn = run.connector
        while True:
            try:
                async for event in conn.events():
                    if conn.health.status is not Status.OK:
                        conn.health.set(Status.OK)
                    run.backoff.reset()
                    await self.queue.put(Envelope(run.key, event))
                return True
            except ConnectorError as exc:
                seen = verdict(exc, opened=True)
                if seen.stop or seen.unexpected:
                    raise
                if not await self._after(run, exc, seen):
                    raise FatalError("restart budget spent") from exc
