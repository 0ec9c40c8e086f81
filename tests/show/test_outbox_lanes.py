"""Facebook's reply routes in the outbox: held buyers' private replies first, at their own
pace; a sold-out notice many share as one top-level message (digest), kept exactly once."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlmodel import SQLModel

from connectors.events import Priority, Reply, SendResult
from connectors.facebook.connector import FACEBOOK_LIMITS
from connectors.limits import PlatformLimits
from shopstream.outbox import MemorySentKeys, Outbox, OutboxSentReply, SqlSentKeys
from shopstream.outbox.pacing import find_violations
from shopstream.show.config import OutboxConfig
from shopstream.storage.engine import make_engine
from tests.show.fakes import FakeSender
from tests.support.clock import FakeClock

# Facebook's production limits, small enough to count by hand: 2 public replies a minute,
# 3 private replies a second
FB = replace(FACEBOOK_LIMITS, max_messages=2, private_max_messages=3)
ONE_LANE = replace(FB, private_max_messages=None, digest=False)


def make(
    limits: PlatformLimits = FB, config: OutboxConfig | None = None, **kw: object
) -> tuple[Outbox, FakeSender, FakeClock]:
    clock = FakeClock()
    sender = FakeSender(limits=limits, clock=clock)
    box = Outbox(
        sender,
        platform="facebook",
        channel="page",
        config=config,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
        **kw,  # type: ignore[arg-type]
    )
    return box, sender, clock


def claim(key: str, text: str, *, private: bool = False) -> Reply:
    return Reply(
        platform="facebook",
        channel="page",
        text=text,
        key=key,
        reply_to_id=f"c-{key}",
        mention=f"name {key}",
        priority=Priority.CLAIM,
        private=private,
    )


def held(key: str) -> Reply:
    return claim(key, f"Tee is yours: https://s.shop/{key}", private=True)


async def test_held_buyers_private_replies_go_before_queued_losers() -> None:
    box, sender, _ = make(config=OutboxConfig(digest_min_buyers=100))
    for i in range(4):
        await box.put(claim(f"w{i}", f"Tee sold out; you are #{i + 1} on the waitlist."))
    for i in range(4):
        await box.put(held(f"h{i}"))
    await box.flush()
    assert [r.key for r in sender.sent] == [f"h{i}" for i in range(4)] + [f"w{i}" for i in range(4)]
    assert all(r.private for r in sender.sent[:4])
    assert box.violations() == []
    assert box.stats.private_sent == 4


async def test_private_replies_keep_their_own_pace_not_the_public_one() -> None:
    box, _, _ = make()
    for i in range(7):
        await box.put(held(f"h{i}"))
    await box.flush()
    times = [rec.at - box.log[0].at for rec in box.log]
    # 3 a second, however few public replies a minute go: 3 at once, 3 more when the
    # first leave the window, and so on
    assert times == pytest.approx([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0], abs=1e-3)
    assert box.violations() == []
    # the same log against the public limits breaks them: the lanes are really apart
    public = [replace(r, private=False) for r in box.log]
    assert find_violations(public, FB)


async def test_without_a_private_lane_private_replies_wait_their_turn() -> None:
    box, sender, clock = make(ONE_LANE)
    await box.put(claim("w0", "Tee sold out; you are #1 on the waitlist."))
    for i in range(3):
        await box.put(held(f"h{i}"))
    started = clock.monotonic()
    await box.flush()
    assert [r.key for r in sender.sent] == ["w0", "h0", "h1", "h2"]
    assert box.log[-1].at - started >= 30.0  # 2 a minute for all four


async def test_many_identical_sold_out_replies_go_as_one_digest() -> None:
    box, sender, _ = make()
    for i in range(6):
        await box.put(claim(f"s{i}", "Sorry, Tee (M) is sold out."))
    await box.put(claim("w0", "Tee (M) is sold out; you are #1 on the waitlist."))
    await box.flush()
    first, second = sender.sent
    assert first.text == "Sorry, Tee (M) is sold out."
    assert first.reply_to_id is None and first.mention is None  # on the live video itself
    assert first.private is False
    assert second.key == "w0" and second.reply_to_id == "c-w0"  # personal: its own reply
    assert box.stats.digest_messages == 1 and box.stats.digest_buyers == 6
    assert box.stats.sent_replies == 7 and box.stats.sent_messages == 2
    assert box.log[0].keys == tuple(f"s{i}" for i in range(6))
    assert box.violations() == []


async def test_few_identical_replies_are_answered_one_by_one() -> None:
    box, sender, _ = make(config=OutboxConfig(digest_min_buyers=5))
    for i in range(4):
        await box.put(claim(f"s{i}", "Sorry, Tee (M) is sold out."))
    await box.flush()
    assert [r.reply_to_id for r in sender.sent] == [f"c-s{i}" for i in range(4)]
    assert box.stats.digest_messages == 0


async def test_private_and_other_priorities_are_never_digested() -> None:
    box, sender, _ = make(config=OutboxConfig(stale_answer_seconds=3600.0))
    for i in range(5):
        await box.put(claim(f"h{i}", "Check your messages", private=True))
    for i in range(5):
        same = claim(f"q{i}", "Sorry, Tee (M) is sold out.")
        await box.put(replace(same, priority=Priority.ANSWER))
    await box.flush()
    assert box.stats.digest_messages == 0
    assert len(sender.sent) == 10


async def test_no_digest_where_the_platform_does_not_allow_it() -> None:
    box, sender, _ = make(replace(FB, digest=False))
    for i in range(5):
        await box.put(claim(f"s{i}", "Sorry, Tee (M) is sold out."))
    await box.flush()
    assert box.stats.digest_messages == 0 and len(sender.sent) == 5


class LookupSender(FakeSender):
    """A platform that can look our public messages up by their text."""

    def __init__(self, limits: PlatformLimits, shown: dict[str, str]) -> None:
        super().__init__(limits=limits)
        self.shown = shown
        self.asked: list[str] = []

    async def find_sent(self, reply: Reply) -> str | None:
        self.asked.append(reply.key)
        return self.shown.get(reply.text)


async def test_a_digested_key_in_doubt_is_never_sent_again(db_url: str) -> None:
    engine = make_engine(db_url)
    SQLModel.metadata.create_all(engine, tables=[OutboxSentReply.__table__])  # type: ignore[attr-defined]
    store = SqlSentKeys(engine)
    losers = [claim(f"s{i}", "Sorry, Tee (M) is sold out.") for i in range(3)]
    question = replace(claim("q1", "3 left in M"), priority=Priority.ANSWER)
    store.queue([("fb", r) for r in [*losers, question]])
    # a crash after a digest went out for s0..s2, before it was marked; q1 too was taken
    await store.take(["s0", "s1", "s2", "q1"], platform="facebook", channel="page")
    clock = FakeClock()
    sender = LookupSender(FB, {})  # the digest's text is not any one reply's lookup
    box = Outbox(
        sender,
        platform="facebook",
        channel="page",
        store=store,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
        name="fb",
    )
    await box.resume()
    await box.flush()
    assert sender.asked == ["q1"]  # only the reply that is its own message is looked up
    assert [r.key for r in sender.sent] == ["q1"]  # not found: sent; the losers never twice
    assert box.stats.in_doubt == 3
    engine.dispose()


async def test_digest_keys_are_taken_once_across_outboxes() -> None:
    store = MemorySentKeys()
    first, sender1, _ = make(store=store)
    second, sender2, _ = make(store=store)
    losers = [claim(f"s{i}", "Sorry, Tee (M) is sold out.") for i in range(5)]
    for r in losers:
        await first.put(r)
        await second.put(r)
    await first.flush()
    await second.flush()
    assert len(sender1.sent) == 1 and sender2.sent == []
    assert second.stats.duplicates_skipped == 5


class SlowSender(FakeSender):
    """Holds every send until ``release`` is set, counting how many are in flight."""

    def __init__(self, limits: PlatformLimits) -> None:
        super().__init__(limits=limits)
        self.in_flight = 0
        self.most = 0
        self.release = asyncio.Event()

    async def send(self, reply: Reply) -> SendResult:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= 3:
            self.release.set()  # three round trips overlap: let them all finish
        await self.release.wait()
        self.in_flight -= 1
        return await super().send(reply)


async def test_private_replies_are_sent_several_at_once() -> None:
    clock = FakeClock()
    sender = SlowSender(FB)
    box = Outbox(
        sender,
        platform="facebook",
        channel="page",
        config=OutboxConfig(private_concurrency=3),
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
    )
    for i in range(3):
        await box.put(held(f"h{i}"))
    async with asyncio.timeout(5):  # one at a time, the first send would wait for ever
        await box.flush()
    assert sender.most == 3
    assert sorted(r.key for r in sender.sent) == ["h0", "h1", "h2"]
    assert box.stats.private_sent == 3 and box.violations() == []


async def test_public_replies_stay_one_at_a_time() -> None:
    sender = SlowSender(FB)
    sender.release.set()
    clock = FakeClock()
    box = Outbox(
        sender,
        platform="facebook",
        channel="page",
        config=OutboxConfig(digest_min_buyers=100),
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
    )
    for i in range(3):
        await box.put(claim(f"w{i}", f"you are #{i} on the waitlist"))
    await box.flush()
    assert sender.most == 1


async def test_a_private_reply_does_not_wait_behind_the_public_pace() -> None:
    clock = FakeClock()
    slept, release = asyncio.Event(), asyncio.Event()

    async def sleep(seconds: float) -> None:  # the public pace: held until released
        slept.set()
        await release.wait()
        clock.advance(seconds)

    sender = FakeSender(limits=replace(FB, max_messages=1))
    box = Outbox(
        sender,
        platform="facebook",
        channel="page",
        config=OutboxConfig(digest_min_buyers=100),
        clock=clock.monotonic,
        sleep=sleep,
        wall=clock,
    )
    runner = asyncio.create_task(box.run())
    try:
        await box.put(claim("w0", "you are #1 on the waitlist"))
        await box.put(claim("w1", "you are #2 on the waitlist"))
        async with asyncio.timeout(5):
            await slept.wait()  # w0 went; w1 waits a minute for the public pace
        assert [r.key for r in sender.sent] == ["w0"]
        sender.got_one.clear()
        await box.put(held("h0"))
        async with asyncio.timeout(5):
            await sender.got_one.wait()
        assert [r.key for r in sender.sent] == ["w0", "h0"]  # not kept behind w1
        release.set()
        async with asyncio.timeout(5):
            await box.drained()
        assert [r.key for r in sender.sent] == ["w0", "h0", "w1"]
        assert box.violations() == []
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
