"""Facebook's delivery watermark follows completed backfills; a capped stream backfills soon."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.backoff import Backoff
from connectors.facebook import FacebookConnector
from connectors.facebook.config import COMMENT_RATE_CAPS, FacebookConfig
from connectors.facebook.session import CapWatch, CommentSession, SessionState
from connectors.facebook.translate import backfill_watermark, comment_to_message, read_past
from connectors.status import Health, utc_now
from sandbox.facebook import FacebookEmulator
from sandbox.facebook.graph_routes import handle
from sandbox.facebook.state import PageState
from tests.support.clock import FakeClock
from tests.support.reader import Reader

Build = Callable[..., FacebookConnector]
Step = Callable[[], None]


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


class _PagedGraph:
    """The emulated Graph in this process, called directly; ``around[n]`` are what happens
    just before and just after Graph answers the ``n``-th page (time passing, comments)."""

    def __init__(self, state: PageState, around: list[tuple[Step, Step]]) -> None:
        self.state = state
        self.around = around
        self.usage: dict[str, int] = {}
        self.pages = 0

    async def get_connections(self, object_id: str, edge: str, **args: str) -> dict[str, object]:
        before, after = self.around[self.pages]
        self.pages += 1
        before()
        page = handle(self.state, "GET", [object_id, edge], args, "page", "http://graph.test/")
        after()
        return page


async def test_a_query_read_past_its_start_proves_no_more_than_its_last_page_was_asked() -> None:
    clock = FakeClock(T + timedelta(milliseconds=100))
    state = PageState(clock=clock)
    state.add_video(live_video_id="lv1", video_id="v1", title="drop", status="LIVE")

    def comment(text: str) -> None:
        state.add_comment("lv1", text, author_id=f"u-{text}", author_name="V")

    def at(*steps: tuple[float, str | None]) -> Step:
        def step() -> None:
            for seconds, text in steps:
                clock.now = T + timedelta(seconds=seconds)
                if text is not None:
                    comment(text)

        return step

    for text in ("a", "b", "c"):  # second 05, before the query starts at 05.1
        comment(text)
    graph = _PagedGraph(
        state,
        [
            (at(), at((1.9, None))),  # a, b; the next page is asked for at 06.9
            # c and d: past the start's second, and the last page; e is written at 06.95,
            # just after Graph answered, and the answer is handed over in second 07
            (at((1.9, "d")), at((1.95, "e"), (2.02, None))),
        ],
    )
    health = Health("facebook", clock=clock)
    async with httpx.AsyncClient() as http:  # the stream's; a backfill does not use it
        handed = await _backfill(graph, http, state, health, clock)
    mark = health.delivered_until
    assert graph.pages == 2 and len(handed) == 4
    # the last page was asked for at 06.9: what was written in second 06 may come later (e)
    assert mark == backfill_watermark(T + timedelta(seconds=1.9))
    # a proof: every comment ordered at or before the watermark has been handed over
    for stored in state.comments["lv1"]:
        message = comment_to_message(
            stored.to_graph(with_from=True), channel="v1", page_id=None, received_at=clock.now
        )
        assert message.order_time > mark or message.message_id in handed, stored.message


async def _backfill(
    graph: _PagedGraph, http: httpx.AsyncClient, state: PageState, health: Health, clock: FakeClock
) -> set[str]:
    config = FacebookConfig(backfill_page_limit=2, startup_lookback_seconds=5)
    session = _session(graph, http, state, health, clock, config)
    return {m.message_id async for m in session.backfill()}


def _session(
    graph: _PagedGraph,
    http: httpx.AsyncClient,
    state: PageState,
    health: Health,
    clock: FakeClock,
    config: FacebookConfig,
) -> CommentSession:
    return CommentSession(
        config=config,
        graph=graph,  # type: ignore[arg-type]
        http=http,
        token="emu-page-token",
        video_id="lv1",
        channel="v1",
        page_id=state.page_id,
        health=health,
        state=SessionState(backoff=Backoff(jitter=0.0)),
        clock=clock,
        sleep=clock.sleep,
    )


async def test_a_new_session_holds_the_gate_back_until_its_first_backfill_proves_more() -> None:
    # Without a watermark the fairness gate does not wait for a connector at all: a drop
    # opening as Facebook connected was decided on the other platforms alone.
    clock = FakeClock(T + timedelta(milliseconds=400))
    state = PageState(clock=clock)
    state.add_video(live_video_id="lv1", video_id="v1", title="drop", status="LIVE")
    health = Health("facebook", clock=clock)
    config = FacebookConfig(startup_lookback_seconds=5, backfill_overlap_seconds=1)
    async with httpx.AsyncClient() as http:
        _session(_PagedGraph(state, []), http, state, health, clock, config)
    # the first query asks from 6 s back (lookback and overlap), whole seconds: only what
    # was written before that second is proven (it will never be read)
    assert health.watermark() == T - timedelta(seconds=6, microseconds=1)
    # an earlier watermark (a reconnect) is kept as it is
    kept = Health("facebook", clock=clock)
    kept.delivered(T)
    async with httpx.AsyncClient() as http:
        _session(_PagedGraph(state, []), http, state, kept, clock, FacebookConfig())
    assert kept.watermark() == T
