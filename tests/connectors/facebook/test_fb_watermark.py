"""Facebook's delivery watermark follows completed backfills; a capped stream backfills soon."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from connectors.facebook import FacebookConnector
from connectors.facebook.config import COMMENT_RATE_CAPS
from connectors.facebook.session import CapWatch
from connectors.facebook.translate import backfill_watermark, comment_to_message, read_past
from connectors.status import utc_now
from sandbox.facebook import FacebookEmulator
from tests.support.reader import Reader

Build = Callable[..., FacebookConnector]


async def test_watermark_is_the_start_of_the_last_completed_backfill(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    opened_at = utc_now()
    async with make_connector(backfill_interval_seconds=60) as conn:
        assert conn.health.delivered_until is None
        reader = Reader(conn, resume=True)
        try:
            async with asyncio.timeout(10):
                await emu.hub.wait_opened(1)
            emu.inject_message("first", author_id="u0")
            await reader.wait_for(1)  # read after the opening backfill, or by it
            opening = conn.health.delivered_until
            assert opening is not None
            assert backfill_watermark(opened_at) <= opening <= backfill_watermark(utc_now())
            emu.inject_message("second", author_id="u1")  # on the stream: proves nothing
            await reader.wait_for(2)
            assert conn.health.delivered_until == opening
        finally:
            await reader.stop()


async def test_a_stream_at_its_cap_is_backfilled_soon(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    # the periodic round is a minute away: only the burst backfill can recover the drops
    async with make_connector(
        comment_rate="ten_per_second", backfill_interval_seconds=60, burst_backfill_seconds=0.2
    ) as conn:
        reader = Reader(conn, resume=True)
        try:
            async with asyncio.timeout(10):
                await emu.hub.wait_opened(1)
            emu.inject_message("first", author_id="u0")
            await reader.wait_for(1)
            injected_at = utc_now()
            ids = emu.inject_many([(f"SOLD {i}", f"u{i}", "V") for i in range(1, 31)])
            messages = await reader.wait_for(31, limit_s=10)
            mark = conn.health.delivered_until
        finally:
            await reader.stop()
    assert emu.hub.dropped > 0  # the stream really sampled the burst
    assert set(ids) <= {m.message_id for m in messages}
    # a backfill after the burst completed (created_time counts whole seconds)
    assert mark is not None and mark >= backfill_watermark(injected_at)


@pytest.mark.parametrize(
    ("rate", "arrivals", "expected"),
    [
        ("ten_per_second", [0.0], [False]),
        ("ten_per_second", [i * 0.01 for i in range(8)], [False] * 7 + [True]),
        ("ten_per_second", [i * 0.2 for i in range(10)], [False] * 10),  # 5/s: under the cap
        ("ten_per_second", [0.0] * 7 + [1.0, 1.0], [False] * 9),  # the old ones left the window
        ("one_per_two_seconds", [0.0], [True]),  # any comment at 1/2 s is the cap
        ("one_hundred_per_second", [i * 0.001 for i in range(80)], [False] * 79 + [True]),
    ],
)
def test_cap_watch(rate: str, arrivals: list[float], expected: list[bool]) -> None:
    watch = CapWatch(*COMMENT_RATE_CAPS[rate])
    assert [watch.note(t) for t in arrivals] == expected


T = datetime(2026, 11, 24, 12, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        # comments still to come are stamped 12:00:05 or later: ordered from 05.5 on
        (T, T + timedelta(milliseconds=500, microseconds=-1)),
        (T + timedelta(milliseconds=200), T + timedelta(milliseconds=500, microseconds=-1)),
        (T + timedelta(milliseconds=999), T + timedelta(milliseconds=500, microseconds=-1)),
        (T + timedelta(seconds=1), T + timedelta(milliseconds=1500, microseconds=-1)),
    ],
)
def test_backfill_watermark_reads_created_time_at_its_resolution(
    started: datetime, expected: datetime
) -> None:
    assert backfill_watermark(started) == expected
    # nothing the next backfill can bring is ordered at or before it
    later = comment_to_message(
        {
            "id": "v_1",
            "message": "sold",
            "created_time": started.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        },
        channel="v",
        page_id=None,
        received_at=started,
    )
    assert later is not None and later.order_time > backfill_watermark(started)


@pytest.mark.parametrize(
    ("newest", "expected"),
    [
        (T - timedelta(seconds=1), False),  # still before the start
        (T, False),  # the start's own second may have more comments to come
        (T + timedelta(seconds=1), True),  # a comment from the next second: all before is read
        (T + timedelta(seconds=7), True),
    ],
)
def test_a_page_past_the_start_second_proves_the_query_read_all_before_it(
    newest: datetime, expected: bool
) -> None:
    started = T + timedelta(milliseconds=400)
    assert read_past(newest, started) is expected
