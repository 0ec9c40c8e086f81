"""The YouTube connector's saved place, held back until the pipeline committed what it covers."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from connectors.events import ChatEvent, ChatMessage
from connectors.youtube.connector import YouTubeConnector
from connectors.youtube.cursor import MemoryCursorStore
from sandbox.youtube import YouTubeEmulator
from shopstream.runtime.cursors import DurableCursors, TrackedQueue
from shopstream.runtime.supervisor import Envelope
from tests.connectors.youtube.youtube_helpers import TIMEOUT, ConnectorFactory


async def _hand_over(conn: YouTubeConnector, queue: TrackedQueue, count: int) -> list[Envelope]:
    """Read ``count`` events, each put on the queue as it comes (as the supervisor does)."""
    out: list[Envelope] = []
    async with asyncio.timeout(TIMEOUT), aclosing(conn.events()) as stream:
        async for event in stream:
            envelope = Envelope("yt", event)
            queue.put_nowait(envelope)
            out.append(envelope)
            if len(out) >= count:
                break
    return out


def _texts(events: list[ChatEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, ChatMessage)]


async def test_a_crash_rereads_what_was_handed_over_but_not_committed(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    durable = MemoryCursorStore()  # what survives the crash: the database
    cursors = DurableCursors(durable)
    queue = TrackedQueue(cursors)
    store = cursors.store_for("yt")
    async with make_connector(store=store, skip_backlog=False) as first:  # type: ignore[arg-type]
        emu.inject_message("one")
        [one] = await _hand_over(first, queue, 1)
        cursors.done([one])  # its batch committed
        await cursors.drained()
        emu.inject_messages([{"text": "two"}, {"text": "three"}])
        waiting = await _hand_over(first, queue, 2)  # still in the queue or the gate
        assert cursors.pending("yt") >= 1  # the save past them is held back
    await cursors.drained()
    # kill -9 here: the pipeline never committed "two" and "three"
    async with make_connector(store=durable, skip_backlog=False) as second:
        again = await _hand_over(second, TrackedQueue(DurableCursors(durable)), 2)
    assert _texts([e.event for e in again]) == ["two", "three"]  # re-read, not lost
    cursors.done(waiting)
    assert cursors.pending("yt") == 0  # once committed, the save is written
    cursors.close()
