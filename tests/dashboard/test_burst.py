"""During a flash drop the dashboard's store reads wait (bounded), so they never compete with
claim handling for the database (bench.dashboard_bench measured what they cost)."""

from __future__ import annotations

from datetime import UTC, datetime

from shopstream.dashboard.live import ClaimSeen, LiveHub
from shopstream.dashboard.service import DashboardService
from tests.dashboard.live_show import LiveShow

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


async def _nothing(*_: object) -> None:
    return None


async def test_store_reads_wait_while_a_drop_pours_in_but_not_forever(show: LiveShow) -> None:
    hub = LiveHub()
    service = DashboardService(
        show.core, hub, announce=_nothing, notify=_nothing, status=list, refresh=2.0
    )
    reads: list[float] = []
    now = [100.0]
    service.refresh_store_view = lambda: reads.append(now[0])  # type: ignore[method-assign]

    async def tick(seconds: float, facts: int) -> None:
        for n in range(facts):
            hub.publish(
                ClaimSeen(
                    at=T0,
                    claim=f"twitch:{now[0]}:{n}",
                    platform="twitch",
                    viewer="v",
                    product="Glow Serum",
                    variant="",
                    qty=1,
                    outcome="held",
                )
            )
        now[0] += seconds
        await service.step(now[0])

    async with hub.subscribe():  # a page watches: a read every 2 s
        await tick(0.5, 0)  # the first read, at once
        await tick(0.5, 0)
        for _ in range(30):  # 15 s of a drop at 1,000 facts a second
            await tick(0.5, 500)
        await tick(0.5, 0)  # quiet again: reads at their interval
        await tick(10.5, 0)
    # during the drop one read, once the view was 10 s stale; not one every 2 s
    assert reads == [100.5, 110.5, 116.5, 127.0]
