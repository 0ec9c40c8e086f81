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


class LookupSender(FakeSender):
    """A platform whose channel already shows some of our messages (sent before a crash)."""

    def __init__(self, shown: dict[str, str]) -> None:
        super().__init__(limits=TWITCH)
        self.shown = shown  # text -> the platform's message id

    async def find_sent(self, reply: Reply) -> str | None:
        return self.shown.get(reply.text)


async def test_stored_replies_resume_and_keys_in_doubt_are_looked_up(db_url: str) -> None:
    engine = make_engine(db_url)
    SQLModel.metadata.create_all(engine, tables=[OutboxSentReply.__table__])  # type: ignore[attr-defined]
    store = SqlSentKeys(engine)
    replies = [_reply(k, priority=Priority.CLAIM) for k in ("k1", "k2", "k3")]
    store.queue([("tw", r) for r in replies])
    # the crashed run took k1 and k2 (the platform got k1 only) and never marked either
    assert await store.take(["k1", "k2"], platform="twitch", channel="chan") == {"k1", "k2"}
    assert await store.take(["k1"], platform="twitch", channel="chan") == set()  # taken once
    clock = FakeClock()
    sender = LookupSender({"hi k1": "m-77"})
    box = Outbox(
        sender,
        platform="twitch",
        channel="chan",
        store=store,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
        name="tw",
    )
    assert await box.resume() == 2  # k2 (not on the platform) and k3 (never taken)
    await box.flush()
    assert [r.key for r in sender.sent] == ["k2", "k3"]  # k1 is not sent again
    assert box.stats.doubts_sent == 1 and box.stats.doubts_requeued == 1
    assert box.stats.in_doubt == 0
    assert await store.counts("tw") == {"sent": 3}
    engine.dispose()


async def test_without_a_lookup_a_key_in_doubt_is_never_sent_twice(db_url: str) -> None:
    engine = make_engine(db_url)
    SQLModel.metadata.create_all(engine, tables=[OutboxSentReply.__table__])  # type: ignore[attr-defined]
    store = SqlSentKeys(engine)
    store.queue([("tw", _reply("k1")), ("tw", _reply("k2"))])
    await store.take(["k1"], platform="twitch", channel="chan")
    box, sender = _outbox(store)
    box.name = "tw"
    assert await box.resume() == 1
    await box.flush()
    assert [r.key for r in sender.sent] == ["k2"]
    assert box.stats.in_doubt == 1  # counted, not guessed
    engine.dispose()
