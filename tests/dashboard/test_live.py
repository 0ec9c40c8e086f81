"""The live hub: coalesced batches, bounded memory, slow subscribers reset, short names."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from connectors.status import Status
from shopstream.dashboard.health import HEALTH, plain_health
from shopstream.dashboard.live import (
    ChatSeen,
    ClaimSeen,
    ClaimUpdate,
    ConnectorSeen,
    LiveHub,
    ShowSeen,
    StockSeen,
    overlay_view,
    short_name,
)

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


def claim(
    n: int, outcome: str = "held", at: datetime = T0, viewer: str = "Ada Lovelace"
) -> ClaimSeen:
    return ClaimSeen(
        at=at,
        claim=f"youtube:m{n}",
        platform="youtube",
        viewer=viewer,
        product="Blue Mug",
        variant="Large",
        qty=1,
        outcome=outcome,
    )


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Ada Lovelace", "Ada"),
        ("@streamfan99", "streamfan99"),
        ("  bob ", "bob"),
        ("", "someone"),
        (None, "someone"),
        ("x" * 40, "x" * 24),
        ("<script>alert(1)</script> z", "<script>alert(1)</script>"[:24]),
    ],
)
def test_short_name(name: str | None, short: str) -> None:
    assert short_name(name) == short


@pytest.mark.parametrize(
    ("status", "words", "level"),
    [
        (Status.OK, "ok", "ok"),
        (Status.RECONNECTING, "reconnecting", "warn"),
        (Status.RATE_LIMITED, "rate limited", "warn"),
        (Status.STREAM_OFFLINE, "offline", "bad"),
        (Status.CANNOT_CONNECT, "offline", "bad"),
        (Status.INVALID_AUTH, "auth failed", "bad"),
        ("untold", "untold", "warn"),
        ("in_doubt", "in doubt", "warn"),
    ],
)
def test_plain_health(status: str, words: str, level: str) -> None:
    said = plain_health(status)
    assert (said.words, said.level) == (words, level)


def test_every_status_has_plain_words() -> None:
    assert set(HEALTH) == set(Status)
    assert all(h.level == "ok" or h.advice for h in HEALTH.values())


async def test_facts_coalesce_into_one_batch_and_the_snapshot_keeps_them() -> None:
    hub = LiveHub(feed_size=50)
    async with hub.subscribe() as sub:
        for n in range(3):
            hub.publish(claim(n))
        hub.publish(ConnectorSeen(name="yt", platform="youtube", status="reconnecting"))
        hub.publish(ConnectorSeen(name="yt", platform="youtube", status="ok"))
        hub.publish(ShowSeen(featured="101", paused=True))
        hub.publish(StockSeen(handle="mug", variant_id="v1", title="Large", sellable=3, held=2))
        hub.publish(ChatSeen(at=T0, platform="twitch", viewer="bo", text="hi", understood=""))
        hub.publish(ClaimUpdate(claims=("youtube:m1",), paid=True))
        batch = hub.flush()
        assert batch is not None
        assert await asyncio.wait_for(sub.__anext__(), 1) is batch
        assert hub.flush() is None  # nothing new: nothing sent
    assert [c["claim"] for c in batch["claims"]] == ["youtube:m0", "youtube:m1", "youtube:m2"]
    assert batch["connectors"]["yt"]["words"] == "ok"  # the last value wins
    assert batch["per_minute"] == {"2026-12-04T20:00": 3}
    snap = hub.snapshot()
    assert [c["paid"] for c in snap["claims"]] == [False, True, False]
    assert snap["show"]["paused"] is True
    assert snap["stock"]["mug/v1"]["held"] == 2
    assert snap["chat"][0]["text"] == "hi"
    assert hub.subscribers == 0


async def test_pending_stream_rows_are_bounded_and_counted() -> None:
    hub = LiveHub(feed_size=10)
    for n in range(25):
        hub.publish(claim(n))
    batch = hub.flush()
    assert batch is not None
    assert len(batch["claims"]) == 10 and batch["missed"] == 15
    assert batch["claims"][-1]["claim"] == "youtube:m24"  # the newest are kept
    assert len(hub.snapshot()["claims"]) == 10


async def test_a_flood_of_losers_never_pushes_a_winner_out_of_the_feed() -> None:
    # a flash drop: a few holds among many sold-out claims, faster than one batch lists
    hub = LiveHub(feed_size=10)
    winners = {3, 17, 29}
    for n in range(40):
        hub.publish(claim(n, outcome="held" if n in winners else "sold_out"))
    batch = hub.flush()
    assert batch is not None
    listed = [c["claim"] for c in batch["claims"]]
    assert {f"youtube:m{n}" for n in winners} <= set(listed)
    assert len(listed) == 10 and batch["missed"] == 30
    assert listed[-1] == "youtube:m39"  # otherwise the newest are kept, in order
    assert listed == sorted(listed, key=lambda k: int(k.split("m")[-1]))
    # the chart and the outcome counts count every claim, listed or not
    assert batch["per_minute"] == {"2026-12-04T20:00": 40}
    assert batch["outcomes"] == {"held": 3, "sold_out": 37}


async def test_a_slow_subscriber_gets_a_snapshot_instead_of_a_growing_queue() -> None:
    hub = LiveHub(max_queued=3)
    async with hub.subscribe() as slow:
        for n in range(10):
            hub.publish(claim(n))
            hub.flush()
        assert slow.queue.qsize() <= 3
        assert slow.resets >= 1
        first = slow.queue.get_nowait()
    assert first is not None and first["type"] == "snapshot"
    assert len(first["claims"]) >= 1


async def test_publishing_from_threads_loses_nothing() -> None:
    hub = LiveHub(feed_size=10_000)

    def burst(t: int) -> None:
        for n in range(500):
            hub.publish(claim(t * 1000 + n, at=T0 + timedelta(minutes=t)))

    threads = [threading.Thread(target=burst, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    batch = hub.flush()
    assert batch is not None and len(batch["claims"]) == 2000 and hub.published == 2000
    assert sorted(batch["per_minute"].values()) == [500, 500, 500, 500]


async def test_run_flushes_until_stopped() -> None:
    hub = LiveHub(interval=0.01)
    stop = asyncio.Event()
    async with hub.subscribe() as sub:
        task = asyncio.create_task(hub.run(stop))
        hub.publish(claim(1))
        batch = await asyncio.wait_for(sub.__anext__(), 2)
        stop.set()
        await asyncio.wait_for(task, 2)
    assert batch["claims"][0]["claim"] == "youtube:m1"


def test_overlay_view_keeps_short_names_and_held_claims_only() -> None:
    hub = LiveHub()
    hub.publish(claim(1, viewer="Ada Lovelace"))
    hub.publish(claim(2, outcome="sold_out", viewer="Grace Hopper"))
    hub.publish(ChatSeen(at=T0, platform="twitch", viewer="bo", text="secret-ish chat"))
    hub.publish(ConnectorSeen(name="yt", platform="youtube", status="ok", detail="page=123"))
    batch = hub.flush()
    assert batch is not None
    view = overlay_view(batch)
    assert [c["short"] for c in view["claims"]] == ["Ada"]
    text = repr(view)
    assert "Lovelace" not in text and "chat" not in text and "page=123" not in text


async def test_closing_the_hub_ends_every_subscription() -> None:
    hub = LiveHub()
    async with hub.subscribe() as sub:
        hub.publish(claim(1))
        hub.flush()
        hub.close()
        got = [batch async for batch in sub]
    assert got == []  # what waited is dropped: the show is over
    async with hub.subscribe() as late:
        assert [b async for b in late] == []
