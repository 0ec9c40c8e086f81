"""The router sends each reply to its platform channel's outbox."""

from __future__ import annotations

import asyncio

import pytest

from connectors.events import Reply
from shopstream.outbox import Outbox, OutboxRouter
from tests.show.fakes import TWITCH, YOUTUBE, FakeSender
from tests.support.clock import FakeClock


def _box(platform: str, sender: FakeSender, clock: FakeClock) -> Outbox:
    return Outbox(sender, platform=platform, channel="c", clock=clock.monotonic, sleep=clock.sleep)


async def test_routes_by_platform_and_channel() -> None:
    clock = FakeClock()
    tw, yt = FakeSender(limits=TWITCH), FakeSender(limits=YOUTUBE)
    router = OutboxRouter()
    router.add(_box("twitch", tw, clock))
    router.add(_box("youtube", yt, clock))
    assert await router.put(Reply(platform="twitch", channel="c", text="a", key="1"))
    assert await router.put(Reply(platform="youtube", channel="c", text="b", key="2"))
    assert not await router.put(Reply(platform="facebook", channel="c", text="c", key="3"))
    await router.flush()
    assert [r.text for r in tw.sent] == ["a"]
    assert [r.text for r in yt.sent] == ["b"]
    assert router.unroutable == 1
    assert router.violations() == {"twitch:c": [], "youtube:c": []}
    assert router.stats()["twitch:c"].sent_messages == 1


async def test_run_drives_every_outbox() -> None:
    clock = FakeClock()
    tw, yt = FakeSender(limits=TWITCH), FakeSender(limits=YOUTUBE)
    router = OutboxRouter()
    router.add(_box("twitch", tw, clock))
    router.add(_box("youtube", yt, clock))
    task = asyncio.create_task(router.run())
    await router.put(Reply(platform="twitch", channel="c", text="a", key="1"))
    await router.put(Reply(platform="youtube", channel="c", text="b", key="2"))
    await asyncio.wait_for(asyncio.gather(tw.got_one.wait(), yt.got_one.wait()), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
