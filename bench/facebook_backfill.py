"""Facebook flash drop: comments lost, duplicated and delayed when the stream samples and drops.

Run: ``python -m bench.facebook_backfill`` (about 30 s). Three scenarios against the local
Graph emulator, each read by the production connector the way the app's supervisor does
(re-entering ``events()`` after a TransientError, 0.5 s later):

* ``burst``: N comments at once (the stream delivers at most 100/s, the rest must be backfilled);
* ``burst+drop``: the same with an abrupt network drop half-way through;
* ``steady``: 200 comments/s for 10 s (above ``ten_per_second``, below ``one_hundred``).

Printed per scenario: comments injected, received, lost, duplicated, how many the stream
delivered (the rest came from backfill), and the latency from injection to ``events()``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from contextlib import suppress

from pydantic import SecretStr

from connectors.backoff import Backoff
from connectors.errors import TransientError
from connectors.events import ChatMessage
from connectors.facebook import FacebookConfig, FacebookConnector, FacebookCredentials
from sandbox.facebook import FacebookEmulator

BURST = 3000
STEADY_RATE = 200
STEADY_SECONDS = 10


class _Collector:
    def __init__(self, conn: FacebookConnector) -> None:
        self.conn = conn
        self.got: dict[str, float] = {}
        self.duplicates = 0
        self.reconnects = 0
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                async for event in self.conn.events():
                    if isinstance(event, ChatMessage):
                        if event.message_id in self.got:
                            self.duplicates += 1
                        self.got[event.message_id] = time.monotonic()
                        self.changed.set()
            except TransientError:
                self.reconnects += 1
                await asyncio.sleep(0.5)  # the supervisor's backoff

    async def wait(self, count: int, limit: float) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(limit):
                while len(self.got) < count:
                    self.changed.clear()
                    await self.changed.wait()

    async def stop(self) -> None:
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task


def _connector(emu: FacebookEmulator, rate: str) -> FacebookConnector:
    config = FacebookConfig(
        enabled=True,
        graph_url=emu.graph_url,
        streaming_url=emu.streaming_url,
        comment_rate=rate,
        backfill_interval_seconds=2.0,
    )
    creds = FacebookCredentials(page_token=SecretStr(emu.page_token))
    return FacebookConnector(config, credentials=creds, backoff=Backoff(base=0.2, cap=2.0))


async def _scenario(name: str, rate: str, *, drop: bool = False, steady: bool = False) -> None:
    async with FacebookEmulator() as emu, _connector(emu, rate) as conn:
        collector = _Collector(conn)
        await emu.hub.wait_opened(1)
        injected: dict[str, float] = {}
        started = time.monotonic()
        if steady:
            per_tick = STEADY_RATE // 20
            for tick in range(STEADY_SECONDS * 20):
                for i in range(per_tick):
                    n = tick * per_tick + i
                    injected[emu.inject_message(f"SOLD {n}", author_id=f"u{n}")] = time.monotonic()
                await asyncio.sleep(0.05)
        else:
            for i in range(BURST):
                if drop and i == BURST // 2:
                    emu.disconnect_streams(clean=False)
                injected[emu.inject_message(f"SOLD {i} M", author_id=f"u{i}")] = time.monotonic()
        await collector.wait(len(injected), limit=30)
        elapsed = time.monotonic() - started
        await collector.stop()
    lost = len(set(injected) - set(collector.got))
    latencies = sorted(collector.got[i] - injected[i] for i in injected if i in collector.got)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    print(
        f"{name:<12} rate={rate:<22} injected={len(injected):>5} received={len(collector.got):>5} "
        f"lost={lost} duplicates={collector.duplicates} via_stream={emu.hub.delivered:>5} "
        f"dropped_by_stream={emu.hub.dropped:>5} reconnects={collector.reconnects} "
        f"all_in={elapsed:5.2f}s latency_p50={p50 * 1000:6.0f}ms p95={p95 * 1000:6.0f}ms"
    )


async def main() -> None:
    """Run the scenarios and print one line each."""
    await _scenario("burst", "one_hundred_per_second")
    await _scenario("burst+drop", "one_hundred_per_second", drop=True)
    await _scenario("steady", "ten_per_second", steady=True)
    await _scenario("steady", "one_hundred_per_second", steady=True)


if __name__ == "__main__":
    asyncio.run(main())
