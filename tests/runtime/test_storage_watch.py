"""The ``storage`` status row: down while the pipeline or the probe sees the database fail."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from connectors.status import Status
from shopstream.runtime.storage_watch import StorageWatch, select_one
from shopstream.storage.engine import make_engine
from shopstream.storage.errors import is_transient
from tests.support.clock import FakeClock

LOCKED = sqlite3.OperationalError("database is locked")


@pytest.mark.parametrize(
    ("steps", "status", "outages"),
    [
        ([], Status.OK, 0),
        ([("batch", LOCKED)], Status.RECONNECTING, 1),
        ([("batch", LOCKED), ("batch", None)], Status.OK, 1),
        ([("batch", LOCKED), ("batch", LOCKED)], Status.RECONNECTING, 1),
        # a probe that reads fine does not hide the write lock the pipeline waits on
        ([("batch", LOCKED), ("probe", None)], Status.RECONNECTING, 1),
        ([("probe", LOCKED), ("batch", None)], Status.RECONNECTING, 1),
        ([("probe", LOCKED), ("probe", None), ("batch", LOCKED)], Status.RECONNECTING, 2),
        ([("probe", LOCKED), ("batch", LOCKED), ("probe", None), ("batch", None)], Status.OK, 1),
    ],
)
def test_each_source_clears_only_what_it_set(
    steps: list[tuple[str, BaseException | None]], status: Status, outages: int
) -> None:
    watch = StorageWatch()
    for source, error in steps:
        (watch.probe_result if source == "probe" else watch.batch_result)(error)
    assert watch.health.status is status
    assert watch.outages == outages


def test_a_failing_batch_shows_its_error() -> None:
    watch = StorageWatch()
    watch.batch_result(LOCKED)
    snap = watch.health.snapshot()
    assert (snap["name"], snap["status"]) == ("storage", "reconnecting")
    assert snap["last_error"] == "OperationalError: database is locked"


async def test_the_probe_reports_down_then_up() -> None:
    answers: list[BaseException | None] = [LOCKED, None]
    seen: list[Status] = []
    done = threading.Event()
    watches: list[StorageWatch] = []

    def probe() -> None:
        if done.is_set():  # probes after the last one asked for (before the cancel) count not
            return
        seen.append(watches[0].health.status)
        if not answers:
            done.set()
            return
        error = answers.pop(0)
        if error is not None:
            raise error

    # answers are never late here (a loaded machine must not turn a slow thread start into
    # an outage the test did not inject)
    watch = StorageWatch(probe, interval=0, answer_within=60)
    watches.append(watch)
    task = asyncio.create_task(watch.run())
    await asyncio.to_thread(done.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # before the first probe ok; after the failure reconnecting; after the next one ok
    assert seen == [Status.OK, Status.RECONNECTING, Status.OK]
    assert watch.outages == 1


def test_select_one_answers_or_raises_a_transient_error(tmp_path: Path) -> None:
    good = create_engine(f"sqlite:///{tmp_path}/s.db")
    gone = create_engine(f"sqlite:///{tmp_path}/no/such/dir/s.db")
    try:
        select_one(good)()
        with pytest.raises(Exception) as caught:
            select_one(gone)()
        assert is_transient(caught.value)
    finally:
        good.dispose()
        gone.dispose()


def test_on_sqlite_the_probe_sees_a_write_lock_that_reads_do_not(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(Exception) as caught:
            select_one(engine)()
        assert is_transient(caught.value)
        holder.execute("ROLLBACK")
        select_one(engine)()  # the lock gone, it answers
    finally:
        holder.close()
        engine.dispose()


def test_a_dropped_connection_shows_for_the_hold_then_clears_on_a_probe() -> None:
    clock = FakeClock()
    watch = StorageWatch(hold=2.0, clock=clock.monotonic)
    watch.connection_lost(psycopg.errors.AdminShutdown("terminating connection"))
    snap = watch.health.snapshot()
    assert (snap["status"], snap["detail"]) == (
        "reconnecting",
        "database connection lost; reconnected",
    )
    clock.advance(1.9)
    watch.probe_result(None)  # the database answers at once, but the row holds the news
    assert watch.health.status is Status.RECONNECTING
    clock.advance(0.1)
    watch.probe_result(None)
    assert watch.health.status is Status.OK
    assert (watch.outages, watch.connections_lost) == (1, 1)


def test_a_dropped_connection_does_not_hide_a_failing_batch() -> None:
    clock = FakeClock()
    watch = StorageWatch(hold=1.0, clock=clock.monotonic)
    watch.batch_result(LOCKED)
    watch.connection_lost(psycopg.errors.AdminShutdown("terminating connection"))
    assert watch.health.detail == "database unavailable"
    clock.advance(5)
    watch.probe_result(None)
    assert watch.health.status is Status.RECONNECTING  # the batch still fails
    watch.batch_result(None)
    assert watch.health.status is Status.OK


@pytest.mark.postgres
async def test_pg_terminate_backend_shows_though_the_pool_reconnects_quietly(
    pg_db_url: str,
) -> None:
    """The pool's pre-ping replaces a terminated connection without an error reaching the
    app: the row still shows the drop (SQLAlchemy's ``handle_error`` on the ping)."""
    engine = make_engine(pg_db_url)
    admin = make_engine(pg_db_url)
    clock = FakeClock()
    probed = threading.Semaphore(0)

    def probe() -> None:
        try:
            select_one(engine)()
        finally:
            probed.release()

    watch = StorageWatch(
        probe, interval=0, answer_within=60, engine=engine, hold=2.0, clock=clock.monotonic
    )
    task = asyncio.create_task(watch.run())
    try:
        assert await asyncio.to_thread(probed.acquire, True, 10)  # the pool holds a connection
        assert watch.health.status is Status.OK
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE pid <> pg_backend_pid() AND datname = current_database()"
                    " AND application_name = '' AND usename = current_user"
                )
            )
        for _ in range(3):  # the next probes: one finds the dead connection and replaces it
            assert await asyncio.to_thread(probed.acquire, True, 10)
        assert watch.connections_lost >= 1
        assert watch.health.status is Status.RECONNECTING
        assert "AdminShutdown" in (watch.health.last_error or "")
        clock.advance(2.0)
        for _ in range(2):
            assert await asyncio.to_thread(probed.acquire, True, 10)
        assert watch.health.status is Status.OK
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        engine.dispose()
        admin.dispose()
