"""The database's own status row (``storage``): an outage shows within a second.

Two things see the database fail: the pipeline, when a batch fails for a passing reason and
waits to try again (:meth:`StorageWatch.batch_result`), and a probe that runs ``SELECT 1``
(on SQLite: takes the write lock and lets it go) every ``interval`` seconds
(:meth:`StorageWatch.run`), so an outage shows even while no message is being handled.
Each clears only what it set: a probe that answers does not hide a batch still failing.

A third sees a connection dropped under the app (``pg_terminate_backend``, a restart, a
socket cut): the engine's ``handle_error`` event on a disconnect, which also fires when the
pool's pre-ping finds a dead connection and quietly opens a new one. Nothing fails then, so
nothing else would tell; the row shows it for at least ``hold`` seconds (long enough for a
dashboard to see), and until a probe answers after that.

The status is ``reconnecting`` while any of them sees the database down, else ``ok``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, event, text

from connectors.status import Health, Status
from shopstream.storage.errors import is_transient

_LOGGER = logging.getLogger(__name__)
_ERROR_CHARS = 200


def select_one(engine: Engine) -> Callable[[], None]:
    """A probe that asks the database the cheapest question there is.

    On SQLite reads go on while another writer holds the lock, so the probe asks for the
    write lock (``BEGIN IMMEDIATE``, then ``ROLLBACK``: nothing is written): a lock held
    longer than the probe may take shows as an outage, before the busy timeout runs out.
    """
    sqlite = engine.dialect.name == "sqlite"

    def probe() -> None:
        with engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.exec_driver_sql("ROLLBACK")
            else:
                conn.execute(text("SELECT 1"))

    return probe


class StorageWatch:
    """Keep ``health`` (name ``storage``) true to whether the database answers."""

    def __init__(
        self,
        probe: Callable[[], None] | None = None,
        *,
        interval: float = 0.25,
        answer_within: float = 1.0,
        engine: Engine | None = None,
        hold: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.health = Health("storage")
        self.health.set(Status.OK)
        self._probe = probe
        self._interval = interval
        self._answer_within = answer_within  # a probe slower than this sees the database down
        self._engine = engine  # whose dropped connections are reported (while run() runs)
        self._hold = hold
        self._clock = clock
        self._lost_at: float | None = None  # when a connection was last found dropped
        self._down: set[str] = set()  # "batch", "probe", "connection": who sees it down now
        self._lock = threading.Lock()  # the engine's event fires in any worker thread
        self.outages = 0  # times it went from ok to down
        self.connections_lost = 0

    def _mark(self, source: str, error: BaseException | None) -> None:
        with self._lock:
            was_down = bool(self._down)
            if error is None:
                self._down.discard(source)
            else:
                self._down.add(source)
                self.health.last_error = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
            if not self._down:
                if was_down:
                    self.health.set(Status.OK)
                return
            detail = (
                "database connection lost; reconnected"
                if self._down == {"connection"}
                else "database unavailable"
            )
            if not was_down:
                self.outages += 1
            if not was_down or self.health.detail != detail:
                self.health.set(Status.RECONNECTING, detail)

    def batch_result(self, error: BaseException | None) -> None:
        """The pipeline's word: a batch failed transiently (``error``) or committed (None)."""
        self._mark("batch", error)

    def probe_result(self, error: BaseException | None) -> None:
        """The probe's word: the database failed to answer (``error``) or answered (None).
        An answer at least ``hold`` seconds after the last dropped connection clears that."""
        self._mark("probe", error)
        lost = self._lost_at
        if error is None and lost is not None and self._clock() - lost >= self._hold:
            self._lost_at = None
            self._mark("connection", None)

    def connection_lost(self, error: BaseException) -> None:
        """A connection was found dropped by the database (a ping or a statement failed as a
        disconnect): the pool replaces it, and the row shows it for ``hold`` seconds."""
        self._lost_at = self._clock()
        self.connections_lost += 1
        self._mark("connection", error)

    def _on_error(self, context: Any) -> None:  # SQLAlchemy's ExceptionContext
        if context.is_disconnect:
            self.connection_lost(context.original_exception)

    @contextlib.contextmanager
    def _listening(self) -> Iterator[None]:
        engine = self._engine
        if engine is None:
            yield
            return
        event.listen(engine, "handle_error", self._on_error)
        try:
            yield
        finally:
            event.remove(engine, "handle_error", self._on_error)

    async def run(self) -> None:
        """Probe until cancelled; a probe that takes over a second (or the interval) is down.

        The probe has a thread of its own: when the database hangs, every worker thread of
        the shared pool may be waiting on it, and the probe must not queue behind them.
        """
        if self._probe is None:
            return
        with self._listening():
            await self._run(self._probe)

    async def _run(self, probe: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        own = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage-probe")
        pending: asyncio.Future[None] | None = None
        try:
            while True:
                if pending is None:  # a hung probe is not started again beside itself
                    pending = loop.run_in_executor(own, probe)
                wait = max(self._interval, self._answer_within)
                done, _ = await asyncio.wait({pending}, timeout=wait)
                if not done:
                    self.probe_result(TimeoutError("the database did not answer in time"))
                    continue
                error = pending.exception()
                pending = None
                if error is not None and not is_transient(error):
                    _LOGGER.error("storage probe failed: %r", error)
                self.probe_result(error)
                await asyncio.sleep(self._interval)
        finally:
            if pending is not None:
                pending.cancel()
            own.shutdown(wait=False, cancel_futures=True)
