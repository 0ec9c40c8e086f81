"""Facebook flash drop: comments lost, duplicated and delayed when the stream samples and drops.

Run: ``python -m bench.facebook_backfill`` (about 30 s). Three scenarios against the local
Graph emulator, each read by the production connector the way the app's supervisor does
(re-entering ``events()`` after a TransientError, 0.5 s later):

* ``burst``: N comments at once (the stream delivers at most 100/s, the rest must be backfilled);
* ``burst+drop``: the same with an abrupt network drop half-way through;
* ``steady``: 200 comments/s for 10 s (above ``ten_per_second``, below ``one_hundred``).

Printed per scenario: comments injected, received, lost, duplicated, how many the stream
delivered (the rest came from backfill), the latency from injection to ``events()``, and the
*proof lag*: how far Facebook's delivery watermark runs behind the clock, sampled every 10 ms
from the first injection until everything is in (what the fairness gate makes every other
platform wait for Facebook), with the Graph calls the connector made per second.
``--interval`` sets ``backfill_interval_seconds`` (default: the connector's own).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from contextlib import suppress

from pydantic import SecretStr

from connectors.backoff import Backoff
from connectors.errors import TransientError
from connectors.events import ChatMessage
from connectors.facebook import FacebookConfig, FacebookConnector, FacebookCredentials
from connectors.status import utc_now
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


class _ProofLag:
    """Sample ``now - watermark`` every 10 ms while running."""

    def __init__(self, conn: FacebookConnector) -> None:
        self.conn = conn
        self.lags: list[float] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            mark = self.conn.health.watermark()
            if mark is not None:
                self.lags.append((utc_now() - mark).total_seconds())
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task


def _connector(emu: FacebookEmulator, rate: str, interval: float | None) -> FacebookConnector:
    config = FacebookConfig(
        enabled=True,
        graph_url=emu.graph_url,
        streaming_url=emu.streaming_url,
        comment_rate=rate,
        **({} if interval is None else {"backfill_interval_seconds": interval}),
    )
    creds = FacebookCredentials(page_token=SecretStr(emu.page_token))
    return FacebookConnector(config, credentials=creds, backoff=Backoff(base=0.2, cap=2.0))


async def _scenario(
    name: str, rate: str, interval: float | None, *, drop: bool = False, steady: bool = False
) -> None:
    async with FacebookEmulator() as emu, _connector(emu, rate, interval) as conn:
        collector = _Collector(conn)
        await emu.hub.wait_opened(1)
        await asyncio.sleep(1.5)  # past the opening backfill
        injected: dict[str, float] = {}
        calls_before = emu.state.meter.calls_made
        proof = _ProofLag(conn)
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
        await asyncio.sleep(1.5)  # the watermark passes the last of them
        await proof.stop()
        calls = emu.state.meter.calls_made - calls_before
        await collector.stop()
    lost = len(set(injected) - set(collector.got))
    latencies = sorted(collector.got[i] - injected[i] for i in injected if i in collector.got)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    print(
        f"{name:<12} rate={rate:<22} injected={len(injected):>5} received={len(collector.got):>5} "
        f"lost={lost} duplicates={collector.duplicates} via_stream={emu.hub.delivered:>5} "
        f"dropped_by_stream={emu.hub.dropped:>5} reconnects={collector.reconnects} "
        f"all_in={elapsed:5.2f}s latency_p50={p50 * 1000:6.0f}ms p95={p95 * 1000:6.0f}ms "
        f"proof_lag_p50={_pct(proof.lags, 0.5) * 1000:5.0f}ms "
        f"p99={_pct(proof.lags, 0.99) * 1000:5.0f}ms max={max(proof.lags) * 1000:5.0f}ms "
        f"graph_calls/s={calls / (time.monotonic() - started):4.1f}"
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def main(interval: float | None) -> None:
    """Run the scenarios and print one line each."""
    await _scenario("burst", "one_hundred_per_second", interval)
    await _scenario("burst+drop", "one_hundred_per_second", interval, drop=True)
    await _scenario("steady", "ten_per_second", interval, steady=True)
    await _scenario("steady", "one_hundred_per_second", interval, steady=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=None, help="backfill interval, s")
    asyncio.run(main(parser.parse_args().interval))
