"""The database's own status row (``storage``): an outage shows within a second.

Two things see the database fail: the pipeline, when a batch fails for a passing reason and
waits to try again (:meth:`StorageWatch.batch_result`), and a probe that runs ``SELECT 1``
(on SQLite: takes the write lock and lets it go) every ``interval`` seconds
(:meth:`StorageWatch.run`), so an outage shows even while no message is being handled.
Each clears only what it set: a probe that answers does not hide a batch still failing.
The status is ``reconnecting`` while either sees the database down, else ``ok``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text

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
    ) -> None:
        self.health = Health("storage")
        self.health.set(Status.OK)
        self._probe = probe
        self._interval = interval
        self._answer_within = answer_within  # a probe slower than this sees the database down
        self._down: set[str] = set()  # "batch", "probe": who sees it down now
        self.outages = 0  # times it went from ok to down

    def _mark(self, source: str, error: BaseException | None) -> None:
        was_down = bool(self._down)
        if error is None:
            self._down.discard(source)
        else:
            self._down.add(source)
            self.health.last_error = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
        if self._down and not was_down:
            self.outages += 1
            self.health.set(Status.RECONNECTING, "database unavailable")
        elif not self._down and was_down:
            self.health.set(Status.OK)

    def batch_result(self, error: BaseException | None) -> None:
        """The pipeline's word: a batch failed transiently (``error``) or committed (None)."""
        self._mark("batch", error)

    def probe_result(self, error: BaseException | None) -> None:
        """The probe's word: the database failed to answer (``error``) or answered (None)."""
        self._mark("probe", error)

    async def run(self) -> None:
        """Probe until cancelled; a probe that takes over a second (or the interval) is down.

        The probe has a thread of its own: when the database hangs, every worker thread of
        the shared pool may be waiting on it, and the probe must not queue behind them.
        """
        if self._probe is None:
            return
        probe = self._probe
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
