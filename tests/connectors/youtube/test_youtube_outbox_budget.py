"""The outbox planning with the real YouTube connector's quota, against the emulator's meter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import RateLimited
from connectors.events import Priority, Reply
from connectors.status import Status
from connectors.youtube.connector import YouTubeConnector
from sandbox.youtube import YouTubeEmulator
from shopstream.outbox import Outbox
from shopstream.outbox.budget import BudgetPolicy
from tests.connectors.youtube.youtube_helpers import ConnectorFactory
from tests.support.clock import FakeClock

MIDNIGHT_PT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
# 100 units a day, all kept for replies: 5 inserts of 20 units (the lookup takes 1 unit)
TIGHT = {"daily_budget": 100, "reply_reserve": 100}


def outbox_for(
    conn: YouTubeConnector, clock: FakeClock, policy: BudgetPolicy | None = None
) -> Outbox:
    return Outbox(
        conn,
        platform="youtube",
        channel=conn.channel,
        budget=policy,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
    )


def reply(conn: YouTubeConnector, key: str, priority: Priority, **kw: object) -> Reply:
    return Reply(
        platform="youtube",
        channel=conn.channel,
        text=f"{priority.name.lower()} {key}",
        key=key,
        priority=priority,
        **kw,  # type: ignore[arg-type]
    )


async def test_the_outbox_stops_before_the_quota_and_answers_claims_first(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector(quota=TIGHT) as conn:
        assert conn.limits.sends_left == 5 and conn.limits.max_chars == 200
        box = outbox_for(conn, clock)
        for i in range(3):
            await box.put(reply(conn, f"a{i}", Priority.ANNOUNCEMENT))
        for i in range(2):
            await box.put(reply(conn, f"q{i}", Priority.ANSWER))
        for i in range(6):
            await box.put(reply(conn, f"c{i}", Priority.CLAIM))
        await box.flush()  # returns once the budget is spent
        assert emu.calls("insert") == 4  # 1 + 4 x 20 units: the fifth would not fit
        assert box.pending == 2  # the last claims wait for the reset
        stats = box.stats
        assert stats.sends_left == 0 and stats.budget_skipped == 5 and stats.retries == 0
        assert box.violations() == []
        assert conn.health.status is not Status.RATE_LIMITED  # never refused for quota
        assert emu.quota_used <= TIGHT["daily_budget"]
        with pytest.raises(RateLimited):  # what the outbox would have hit
            await conn.send(reply(conn, "direct", Priority.CLAIM))
        assert emu.calls("insert") == 4

        clock.now = MIDNIGHT_PT  # the daily reset
        emu.reset_quota()
        await box.flush()
        assert box.pending == 0 and emu.calls("insert") == 6
    texts = emu.sent
    assert texts == [f"claim c{i}" for i in range(6)]


async def test_the_last_units_go_to_claims_not_to_an_early_announcement(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector(quota={"daily_budget": 60, "reply_reserve": 60}) as conn:
        assert conn.limits.sends_left == 3
        box = outbox_for(conn, clock)
        await box.put(reply(conn, "drop", Priority.ANNOUNCEMENT))
        await box.flush()  # three sends left are kept for claims
        assert emu.calls("insert") == 0 and box.stats.budget_skipped == 1
        for i in range(4):  # buyers who cannot share a message (no compact form)
            await box.put(reply(conn, f"c{i}", Priority.CLAIM))
        await box.flush()
        assert emu.calls("insert") == 2  # the lookup took a unit: 59 // 20
        assert box.pending == 2 and box.stats.retries == 0
    assert emu.sent == ["claim c0", "claim c1"]


async def test_coalesced_claims_stretch_a_short_quota(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector(quota=TIGHT) as conn:
        box = outbox_for(conn, clock)
        for i in range(12):
            await box.put(
                reply(conn, f"c{i}", Priority.CLAIM, mention=f"v{i}", short=f"M s.io/{i:02}")
            )
        await box.flush()
        assert box.pending == 0 and box.stats.sent_replies == 12
        assert emu.calls("insert") == box.stats.sent_messages <= 2
        assert box.violations() == []
    joined = " ".join(emu.sent)
    assert all(f"@v{i} M s.io/{i:02}" in joined for i in range(12))
