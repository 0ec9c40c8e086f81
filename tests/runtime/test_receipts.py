"""Twitch cannot read again: its messages are kept from arrival until their batch commits,
and what a crash caught in flight is claimed at the next start (real database, the
production Pipeline and ChatHandler)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

from connectors.events import ChatMessage, Role
from shopstream.runtime.receipts import Receipts, decode, encode
from tests.app.test_flash_claims import _buy, _show
from tests.app.test_unit_of_work import _facts, _run
from tests.support.clock import T0


def test_a_message_survives_its_receipt_whole() -> None:
    message = ChatMessage(
        platform="twitch",
        channel="shopstream_demo",
        message_id="m-1",
        author_id="42",
        author_name="Zoë",
        text="!buy 201 ✨",
        sent_at=T0 + timedelta(microseconds=123),
        roles=frozenset({Role.MODERATOR, Role.VIP}),
        reply_to_id="m-0",
        sent_at_precision=0.001,
        kind="resub",
        action=True,
        channel_id="1",
        source_channel_id="2",
    )
    assert decode(encode(message)) == message


async def test_a_message_caught_in_flight_is_claimed_at_the_next_start(db_url: str) -> None:
    async with _show("receipts", db_url, units=3) as core:
        first = Receipts(core.engine, ["twitch"])
        buys = [_buy(n, "twitch") for n in range(3)]
        for buy in buys:
            first.queued(buy)
        first.queued(_buy(9, "youtube"))  # YouTube reads again from its cursor: no receipt
        first.done([buys[0]])  # committed before its receipt was written: none is
        await first.flush()
        assert first.stored == 2
        # the process dies here (kill -9): buys 1 and 2 were waiting at the fairness gate
        again = Receipts(core.engine, ["twitch"])
        replayed = again.replay()
        assert [e.event for e in replayed] == [b.event for b in buys[1:]]
        assert {e.connector for e in replayed} == {"twitch"}
        pipeline, _ = await _run(core, replayed)
        again.done(replayed)
        await again.flush()
        facts = _facts(core)
        assert pipeline.stats.duplicates == 0
        assert facts["app_claims"] == [("twitch-1", "held"), ("twitch-2", "held")]
        last = Receipts(core.engine, ["twitch"])
        assert last.replay() == []  # nothing left to do
        for receipts in (first, again, last):
            receipts.close()


async def test_a_receipt_whose_message_was_taken_is_not_handled_again(db_url: str) -> None:
    async with _show("receipts", db_url, units=3) as core:
        first = Receipts(core.engine, ["twitch"])
        buy = _buy(1, "twitch")
        first.queued(buy)
        await first.flush()
        await _run(core, [buy])  # committed; the process dies before the receipt is deleted
        again = Receipts(core.engine, ["twitch"])
        assert again.replay() == []
        assert _facts(core)["app_claims"] == [("twitch-1", "held")]
        first.close()
        again.close()


async def test_on_sqlite_receipts_never_wait_for_the_databases_write_lock(
    sqlite_db_url: str,
) -> None:
    """They live in a file of their own: a batch holding the write lock does not hold them."""
    async with _show("receipts", sqlite_db_url, units=3) as core:
        receipts = Receipts(core.engine, ["twitch"])
        receipts.queued(_buy(1, "twitch"))
        database = core.engine.url.database
        assert database is not None
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")  # as a long batch would
            async with asyncio.timeout(5):  # the busy timeout is 30 s
                await receipts.flush()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert receipts.stored == 1
        again = Receipts(core.engine, ["twitch"])
        assert [e.event for e in again.replay()] == [_buy(1, "twitch").event]
        receipts.close()
        again.close()
