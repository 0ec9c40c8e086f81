"""Real database faults under the real handler: a claim the database failed is retried, never lost.

The production ChatHandler and MessageRecords run in the production Pipeline over a real
PostgreSQL (its server connections killed by ``pg_terminate_backend``) or a real SQLite file
(locked by another connection past the busy timeout). An independent count from the database
and the replies checks that every buy got exactly one claim and one reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psycopg
import pytest

from connectors.events import ChatMessage, Reply
from shopstream.core import Core
from shopstream.runtime.pipeline import Pipeline
from shopstream.runtime.supervisor import Envelope
from tests.app.test_flash_claims import _buy, _show


class Sink:
    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def put(self, reply: Reply) -> None:
        self.replies.append(reply)


@contextlib.asynccontextmanager
async def _running(
    core: Core, on_retry: Callable[[], None]
) -> AsyncIterator[tuple[asyncio.Queue[Envelope], Sink, Pipeline]]:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    sink = Sink()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the retry pause: the fault ends there
        waits.append(seconds)
        on_retry()
        await asyncio.sleep(0)

    pipeline = Pipeline(
        queue,
        core.handler,
        {p: sink for p in ("twitch", "youtube", "facebook")},
        ledger=core.records,
        fairness_window=0,
        sleep=sleep,
    )
    task = asyncio.create_task(pipeline.run())
    try:
        yield queue, sink, pipeline
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _deliver(queue: asyncio.Queue[Envelope], envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        queue.put_nowait(envelope)
    async with asyncio.timeout(30):
        await queue.join()


def _one_claim_and_one_reply_each(core: Core, sink: Sink, envelopes: list[Envelope]) -> None:
    ids = [e.event.message_id for e in envelopes if isinstance(e.event, ChatMessage)]
    claims = [c.message_id for c in core.records.claims(show_id="faults")]
    assert sorted(claims) == sorted(ids)  # none lost, none twice
    answered = [r.reply_to_id for r in sink.replies]
    assert sorted(i for i in answered if i in ids) == sorted(ids)


@pytest.mark.postgres
async def test_claims_survive_the_server_killing_every_connection(pg_db_url: str) -> None:
    admin = pg_db_url.split("?")[0].replace("postgresql+psycopg", "postgresql")
    async with _show("faults", pg_db_url, units=50) as core:

        def kill_connections() -> int:
            with psycopg.connect(admin, autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            return len(rows)

        async with _running(core, on_retry=lambda: None) as (queue, sink, pipeline):
            first = [_buy(n, "twitch") for n in range(5)]
            await _deliver(queue, first)  # the claim path now holds open connections
            assert kill_connections() > 0
            second = [_buy(n, "youtube") for n in range(5, 15)]
            await _deliver(queue, second)
        _one_claim_and_one_reply_each(core, sink, first + second)
        assert pipeline.stats.failures == 0
        # each batch checks its connection out of the pool, which pings it first: the
        # killed ones are replaced, never used stale (at most the batch in flight retries)
        assert pipeline.stats.storage_retries <= 1


async def test_claims_survive_the_file_locked_past_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "show.db"
    url = f"sqlite:///{path}?timeout=0.05"
    async with _show("faults", url, units=50) as core:
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock

        def release() -> None:
            if locker.in_transaction:
                locker.execute("ROLLBACK")

        try:
            async with _running(core, on_retry=release) as (queue, sink, pipeline):
                buys = [_buy(n, "facebook") for n in range(8)]
                await _deliver(queue, buys)
        finally:
            locker.close()
        _one_claim_and_one_reply_each(core, sink, buys)
        assert pipeline.stats.failures == 0
        assert pipeline.stats.storage_retries >= 1
