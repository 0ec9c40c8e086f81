"""Table tests of the quota planner: pure, driven by an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.youtube.config import QuotaSettings
from connectors.youtube.quota import QuotaPlanner, Spend, stream_plan, stream_quota
from tests.support.clock import FakeClock

NOON_PT = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 12:00 PST


def planner(now: datetime = NOON_PT, **settings: Any) -> tuple[QuotaPlanner, FakeClock]:
    clock = FakeClock(now)
    return QuotaPlanner(QuotaSettings(**settings), clock=clock), clock


@pytest.mark.parametrize(
    ("settings", "spent", "elapsed", "hint", "expected"),
    [
        ({}, {}, 0, None, 4.5),  # (10000-2000)/5 = 1600 reads over 7200 s
        ({"cost_list": 10}, {}, 0, None, 9.0),  # costs come from settings
        ({"planned_show_minutes": 60}, {}, 0, None, 2.25),  # shorter show, faster reads
        ({}, {}, 1800, None, 3.375),  # 5400 s left for 1600 reads
        ({}, {Spend.READ: 6000}, 0, None, 18.0),  # tight: 400 reads left -> wider
        ({}, {Spend.REPLY: 1000}, 0, None, 4.5),  # reserve shrinks as replies use it
        ({}, {Spend.REPLY: 3000}, 0, None, 7200 / 1396),  # reserve spent: keep one reply
        ({"reply_reserve": 0}, {}, 0, None, 7200 / 1996),  # always room for one reply
        ({}, {}, 0, 10.0, 10.0),  # never faster than the server asks
        ({"min_interval_seconds": 6}, {}, 0, None, 6.0),  # nor than our floor
        ({"daily_budget": 1_000_000}, {}, 0, 0.05, 1.0),  # plenty: the 1 s floor
        ({}, {}, 7200 + 60, None, 1800 / 1600),  # past the plan: budget the next 30 min
    ],
)
def test_read_interval(
    settings: dict[str, Any],
    spent: dict[Spend, int],
    elapsed: float,
    hint: float | None,
    expected: float,
) -> None:
    plan, clock = planner(**settings)
    plan.start_show()
    for kind, units in spent.items():
        plan.charge(kind, units)
    clock.advance(elapsed)
    assert plan.read_interval(hint) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("spent_reads", "interval"),
    [(7995, 7200.0), (7990, 3600.0), (7999, None), (8000, None), (9000, None), (0, 4.5)],
)
def test_reads_stop_before_the_reserve(spent_reads: int, interval: float | None) -> None:
    plan, _ = planner()
    plan.charge(Spend.READ, spent_reads)
    result = plan.read_interval()
    assert result == (pytest.approx(interval) if interval is not None else None)


def test_polling_a_long_show_never_exhausts_the_budget() -> None:
    plan, clock = planner(min_interval_seconds=0)
    reads = 0
    for _ in range(20_000):  # far more than the day affords
        wait = plan.read_interval(hint := 2.0)
        if wait is None:
            break
        assert wait >= hint
        clock.advance(wait)
        plan.charge(Spend.READ, plan.settings.cost_list)
        reads += 1
    assert plan.remaining >= plan.settings.reply_reserve
    assert plan.can_send()
    assert reads == 1600
    # the reads were spread: the 1600th read happens after the planned two hours, not before
    assert clock.now - NOON_PT >= timedelta(hours=2)


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        (datetime(2026, 11, 23, 20, 0, tzinfo=UTC), datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        (datetime(2026, 11, 24, 7, 59, tzinfo=UTC), datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
        (datetime(2026, 7, 4, 6, 30, tzinfo=UTC), datetime(2026, 7, 4, 7, 0, tzinfo=UTC)),  # PDT
        (datetime(2026, 3, 8, 9, 0, tzinfo=UTC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),  # DST
    ],
)
def test_reset_is_midnight_pacific(now: datetime, reset: datetime) -> None:
    plan, _ = planner(now)
    assert plan.next_reset() == reset
    assert plan.seconds_until_reset() == (reset - now).total_seconds()


def test_budget_renews_at_midnight_pacific() -> None:
    plan, clock = planner(datetime(2026, 11, 24, 7, 59, 30, tzinfo=UTC))
    plan.charge(Spend.READ, 7000)
    plan.mark_exhausted()
    assert plan.remaining == 0 and plan.read_interval() is None
    assert not plan.can_send()
    clock.advance(29)
    assert plan.remaining == 0
    clock.advance(2)  # 08:00:01 UTC = 00:00:01 PST
    assert plan.remaining == 10_000
    assert plan.read_interval() is not None


def test_horizon_stops_at_the_reset() -> None:
    plan, _ = planner(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))  # 23:00 PST, 1 h to reset
    assert plan.read_interval() == pytest.approx(3600 / 1600)


def test_detail_reports_budget_left() -> None:
    plan, _ = planner()
    plan.charge(Spend.READ, 1800)
    plan.charge(Spend.REPLY, 40)
    plan.charge(Spend.LOOKUP, 1)
    assert plan.detail() == "quota_left=8159"


def test_dump_and_load_same_day_only() -> None:
    plan, clock = planner()
    plan.charge(Spend.READ, 500)
    plan.charge(Spend.REPLY, 60)
    saved = plan.dump()
    again, _ = planner(clock.now + timedelta(hours=1))
    again.load(saved)
    assert again.remaining == 10_000 - 560
    assert again.reserve_left == 2_000 - 60
    tomorrow, _ = planner(clock.now + timedelta(days=1))
    tomorrow.load(saved)
    assert tomorrow.remaining == 10_000


@pytest.mark.parametrize("text", [None, "", "garbage", "2026-11-23 1 2", "2026-13-40 1 2 3 0"])
def test_load_ignores_bad_text(text: str | None) -> None:
    plan, _ = planner()
    plan.load(text)
    assert plan.remaining == 10_000


def test_exhausted_survives_a_restart_the_same_day() -> None:
    plan, clock = planner()
    plan.mark_exhausted()
    again, _ = planner(clock.now)
    again.load(plan.dump())
    assert again.remaining == 0


@pytest.mark.parametrize(
    ("minutes", "reply_units", "expected"),
    [
        (30, 0, 5400 / 1600),  # no replies: nothing projected
        (5, 1000, 6900 / 1600),  # too early to project: the reserve (1000 left) holds
        (30, 1000, 5400 / 1200),  # 1000 units per 30 min -> 3000 held for the last 90 min
        (60, 3000, 3600 / 800),  # 3000/h -> 3000 held for the last hour
        (100, 9000, None),  # replies at this pace need everything left
    ],
)
def test_reads_make_room_for_the_pace_of_replies(
    minutes: float, reply_units: int, expected: float | None
) -> None:
    plan, clock = planner()
    plan.start_show()
    clock.advance(minutes * 60)
    plan.charge(Spend.REPLY, reply_units)
    result = plan.read_interval()
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_replies_before_the_show_do_not_count_towards_its_pace() -> None:
    plan, clock = planner()
    plan.charge(Spend.REPLY, 1500)  # an earlier show today
    plan.start_show()
    clock.advance(3600)
    assert plan.reply_projection(3600) == 0


def test_the_app_can_plan_the_real_show_length() -> None:
    plan, clock = planner()
    plan.start_show()
    clock.advance(3600)
    plan.plan_show(30)  # a 30-minute drop starting now
    assert plan.read_interval() == pytest.approx(1800 / 1600)
    with pytest.raises(ValueError):
        plan.plan_show(0)


@pytest.mark.parametrize(
    ("settings", "spent", "minutes", "expected"),
    [
        ({}, {}, 0, 100),  # the 2,000-unit reserve / 20 per insert
        ({"cost_insert": 50}, {}, 0, 40),  # the cautious figure some docs give
        ({}, {Spend.REPLY: 1000}, 0, 50),  # replies used half the reserve
        ({}, {Spend.REPLY: 3000}, 0, 1),  # reserve spent: always one more, from the reads
        ({"reply_reserve": 0}, {}, 0, 1),  # no reserve: still one
        ({}, {Spend.READ: 9000}, 0, 50),  # only 1,000 units remain
        ({}, {Spend.READ: 9990}, 0, 0),  # not even one insert remains
        ({}, {Spend.READ: 7000, Spend.LOOKUP: 990}, 0, 100),  # reads stopped at the reserve
        # 600 units in 20 min -> 3,000 projected for the last 100 min, more than the reserve
        ({}, {Spend.REPLY: 600}, 20, 150),
        ({}, {Spend.REPLY: 600}, 5, 70),  # too early to project: the reserve left holds
    ],
)
def test_sends_left_is_what_the_read_plan_leaves_replies(
    settings: dict[str, Any], spent: dict[Spend, int], minutes: float, expected: int
) -> None:
    plan, clock = planner(**settings)
    plan.start_show()
    clock.advance(minutes * 60)
    for kind, units in spent.items():
        plan.charge(kind, units)
    assert plan.sends_left() == expected
    assert plan.can_send(expected)  # the connector accepts every send the budget allows
    assert plan.reads_affordable(7200 - minutes * 60) * plan.settings.cost_list <= max(
        0, plan.remaining - expected * plan.settings.cost_insert
    )


def test_sends_left_is_zero_once_youtube_says_quota_exceeded() -> None:
    plan, clock = planner()
    plan.mark_exhausted()
    assert plan.sends_left() == 0
    clock.advance(12 * 3600)  # past midnight Pacific
    assert plan.sends_left() == 100


@pytest.mark.parametrize(
    ("minutes", "lifetime", "connections", "reply_share", "coverage"),
    [
        (90, None, 3, 1.0, 1.0),  # one stream, and a reconnect an hour budgeted
        (480, None, 9, 1.0, 1.0),
        (90, 10.0, 540, 0.73, 1.0),  # streams closing every 10 s: still always open
        # an 8-hour show cannot keep a 10-s stream open all day and 30 % for replies:
        # 1,400 connections spread over the show, chat live about half the time
        (480, 10.0, 1400, 0.30, 0.486),
    ],
)
def test_a_streamed_show_fits_the_day_or_says_what_it_gets(
    minutes: float, lifetime: float | None, connections: int, reply_share: float, coverage: float
) -> None:
    plan = stream_plan(QuotaSettings(), minutes, lifetime)
    assert plan.connections == connections
    assert plan.read_units + plan.reply_units == 10_000
    assert plan.reply_share == pytest.approx(reply_share, abs=0.005)
    assert plan.reply_share >= 0.30  # the floor a streamed show keeps for replies
    assert plan.coverage == pytest.approx(coverage, abs=0.001)
    if coverage < 1:
        assert plan.longest_gap == pytest.approx(480 * 60 / 1400 - 10)
        assert "chat is live 49% of the time" in plan.note()
        assert plan.full_minutes == pytest.approx(1400 * 10 / 60)


def test_a_stream_keeps_at_least_thirty_percent_for_replies() -> None:
    assert stream_quota(QuotaSettings()).reply_reserve == 3000
    assert stream_quota(QuotaSettings(reply_reserve=4000)).reply_reserve == 4000
