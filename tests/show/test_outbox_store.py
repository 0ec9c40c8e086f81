"""Sent keys persist in the database: a restarted outbox, or a second process, never resends."""

from __future__ import annotations

from sqlmodel import SQLModel

from connectors.events import Priority, Reply
from shopstream.outbox import Outbox, OutboxSentReply, SqlSentKeys
from shopstream.storage.engine import make_engine
from tests.show.fakes import TWITCH, FakeSender
from tests.support.clock import FakeClock


def _reply(key: str, **kw: object) -> Reply:
    return Reply(platform="twitch", channel="chan", text=f"hi {key}", key=key, **kw)  # type: ignore[arg-type]


def _outbox(store: SqlSentKeys) -> tuple[Outbox, FakeSender]:
    clock = FakeClock()
    sender = FakeSender(limits=TWITCH)
    box = Outbox(
        sender,
        platform="twitch",
        channel="chan",
        store=store,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
    )
    return box, sender


async def test_restart_does_not_resend(db_url: str) -> None:
    engine = make_engine(db_url)
    SQLModel.metadata.create_all(engine, tables=[OutboxSentReply.__table__])  # type: ignore[attr-defined]
    first, sender1 = _outbox(SqlSentKeys(engine))
    await first.put(_reply("k1"))
    await first.put(_reply("c1", priority=Priority.CLAIM, mention="a", short="tee s/1"))
    await first.put(_reply("c2", priority=Priority.CLAIM, mention="b", short="tee s/2"))
    await first.flush()
    assert len(sender1.sent) >= 2

    second, sender2 = _outbox(SqlSentKeys(engine))
    for key in ("k1", "c1", "c2"):
        await second.put(_reply(key))
    await second.put(_reply("k2"))
    await second.flush()
    assert [r.key for r in sender2.sent] == ["k2"]
    assert second.stats.duplicates_skipped == 3
    engine.dispose()


async def test_take_is_exclusive_and_finish_records_status(db_url: str) -> None:
    engine = make_engine(db_url)
    SQLModel.metadata.create_all(engine, tables=[OutboxSentReply.__table__])  # type: ignore[attr-defined]
    a, b = SqlSentKeys(engine), SqlSentKeys(engine)
    assert await a.take(["x", "y"], platform="p", channel="c") == {"x", "y"}
    assert await b.take(["y", "z"], platform="p", channel="c") == {"z"}
    assert await b.taken(["x", "w"]) == {"x"}
    await a.finish(["x"], status="sent", message_key="x", platform_message_id="m1")
    from sqlmodel import Session

    with Session(engine) as session:
        row = session.get(OutboxSentReply, "x")
        assert row is not None
        assert (row.status, row.platform_message_id) == ("sent", "m1")
        assert row.done_at is not None
    engine.dispose()
