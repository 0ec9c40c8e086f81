"""YouTube quota per hour of show (planned vs naive polling) and chat messages handled per second.

Run: ``python -m bench.youtube_quota`` (about 25 s; ``--help`` for the knobs). Everything
goes through the production connector and google-api-python-client against the local emulator,
whose meter counts the units; show time is simulated by a fake clock shared by the emulator,
the viewers and the connector, so an hour of show takes seconds.

1. **Quota per hour of show** at a chat rate: viewers type ``--rate`` messages a minute,
   ``--buy-share`` of them are buys answered with one chat message each. The *planned*
   connector uses the default budget (10,000 units/day, 2,000 kept for replies, a planned show
   of ``--show-minutes``); the *naive* loop is the same connector with the planner out of the
   way, so it reads at every ``pollingIntervalMillis``. Printed: units per hour (reads and
   replies), how long a 10,000-unit day lasts, and the largest read delay.
2. **Messages per second handled**: ``--burst`` messages waiting in the chat are read through
   ``liveChatMessages.list`` pages of 2,000 (JSON decoding, translation, dedupe) and yielded.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.errors import RateLimited
from connectors.events import ChatMessage, Reply
from connectors.youtube.config import QuotaSettings, YouTubeConfig, YouTubeSecrets
from connectors.youtube.connector import YouTubeConnector
from connectors.youtube.quota import stream_plan
from sandbox.youtube import YouTubeEmulator

DAY_BUDGET = 10_000


class ShowClock:
    """Simulated show time; ``sleep`` advances it and lets the viewers type meanwhile."""

    def __init__(self, emu_ref: list[YouTubeEmulator], rate_per_minute: float, seed: int) -> None:
        self.now = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 10:00 PST
        self.start = self.now
        self._emu = emu_ref
        self._rate = rate_per_minute / 60.0
        self._rand = random.Random(seed)
        self._due = 0.0
        self.typed = 0
        self.max_sleep = 0.0

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.max_sleep = max(self.max_sleep, seconds)
        self._due += seconds * self._rate
        emu = self._emu[0]
        while self._due >= 1.0:
            self._due -= 1.0
            buy = self._rand.random() < BUY_SHARE[0]
            text = f"!buy {self._rand.randint(101, 112)} M" if buy else "love this!"
            emu.inject_message(text, author_name=f"viewer{self.typed % 500}", at=self.now)
            self.typed += 1
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    @property
    def elapsed(self) -> float:
        return (self.now - self.start).total_seconds()


BUY_SHARE = [0.1]


@dataclass
class Outcome:
    label: str
    reads: int
    inserts: int
    units: int
    hours: float
    typed: int
    read: int
    max_wait: float

    @property
    def per_hour(self) -> float:
        return self.units / self.hours


async def run_show(
    *, naive: bool, hours: float, rate: float, interval_ms: int, show_minutes: float
) -> Outcome:
    """Simulate ``hours`` of show and return what the emulator's meter counted."""
    ref: list[YouTubeEmulator] = []
    clock = ShowClock(ref, rate, seed=7)
    async with YouTubeEmulator(
        clock=clock, polling_interval_ms=interval_ms, daily_quota=10**9
    ) as emu:
        ref.append(emu)
        quota = QuotaSettings(planned_show_minutes=show_minutes, min_interval_seconds=0.0)
        if naive:
            quota = QuotaSettings(daily_budget=10**9, min_interval_seconds=0.0)
        client_id, secret, refresh = emu.oauth_client
        conn = YouTubeConnector(
            YouTubeConfig.for_emulator(emu.base_url, video_id=emu.video_id, quota=quota),
            secrets=YouTubeSecrets(
                client_id=client_id, client_secret=secret, refresh_token=refresh
            ),
            clock=clock,
            sleep=clock.sleep,
        )
        read = 0
        async with conn:
            stream = conn.events()
            try:
                async for event in stream:
                    if isinstance(event, ChatMessage):
                        read += 1
                        if event.text.startswith("!buy"):
                            answer = (
                                f"{event.author_name}: held for 10 min https://shop.example/c/1"
                            )
                            key = f"claim:{event.message_id}"
                            await conn.send(
                                Reply(
                                    platform="youtube", channel=conn.channel, text=answer, key=key
                                )
                            )
                    if clock.elapsed >= hours * 3600:
                        break
            except RateLimited:
                pass  # the planner stopped reading to keep the reply reserve
            finally:
                await stream.aclose()
        return Outcome(
            label="naive (every pollingIntervalMillis)" if naive else "planned (quota planner)",
            reads=emu.calls("list"),
            inserts=emu.calls("insert"),
            units=emu.quota_used,
            hours=clock.elapsed / 3600,
            typed=clock.typed,
            read=read,
            max_wait=clock.max_sleep,
        )


async def throughput(burst: int) -> tuple[float, int, int]:
    """Read ``burst`` waiting messages; return (messages per second, delivered, pages)."""
    async with YouTubeEmulator(polling_interval_ms=0, backlog=burst, daily_quota=10**9) as emu:
        client_id, secret, refresh = emu.oauth_client
        config = YouTubeConfig.for_emulator(
            emu.base_url,
            video_id=emu.video_id,
            max_results=2000,
            skip_backlog=False,
            quota=QuotaSettings(daily_budget=10**9, min_interval_seconds=0.0),
        )
        emu.inject_messages(
            {"text": f"!buy {101 + i % 12} M", "author_name": f"v{i % 997}"} for i in range(burst)
        )

        async def no_wait(_: float) -> None:
            await asyncio.sleep(0)

        conn = YouTubeConnector(
            config,
            secrets=YouTubeSecrets(
                client_id=client_id, client_secret=secret, refresh_token=refresh
            ),
            sleep=no_wait,
        )
        got = 0
        async with conn:
            started = time.perf_counter()
            stream = conn.events()
            async for event in stream:
                if isinstance(event, ChatMessage):
                    got += 1
                    if got >= burst:
                        break
            await stream.aclose()
            elapsed = time.perf_counter() - started
        return got / elapsed, got, emu.calls("list")


def report(outcome: Outcome) -> None:
    lasts = DAY_BUDGET / outcome.per_hour * 60
    print(
        f"  {outcome.label:38s} {outcome.per_hour:8.0f} units/h  "
        f"(reads {outcome.reads:5d}, replies {outcome.inserts:4d})  "
        f"10k units last {lasts:6.0f} min   max read delay {outcome.max_wait:5.1f} s   "
        f"read {outcome.read}/{outcome.typed}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0, help="chat messages per minute")
    parser.add_argument("--buy-share", type=float, default=0.1, help="share of messages that buy")
    parser.add_argument("--interval-ms", type=int, default=2000, help="pollingIntervalMillis")
    parser.add_argument("--hours", type=float, default=2.0, help="simulated show hours")
    parser.add_argument("--show-minutes", type=float, default=120.0, help="planned show length")
    parser.add_argument("--burst", type=int, default=20_000, help="messages for the throughput")
    args = parser.parse_args()
    BUY_SHARE[0] = args.buy_share
    print(
        f"YouTube quota per hour of show: {args.rate:g} msgs/min, {args.buy_share:.0%} buys "
        f"answered, pollingIntervalMillis={args.interval_ms}, planned show "
        f"{args.show_minutes:g} min, simulated {args.hours:g} h"
    )
    for naive in (True, False):
        started = time.perf_counter()
        outcome = await run_show(
            naive=naive,
            hours=args.hours,
            rate=args.rate,
            interval_ms=args.interval_ms,
            show_minutes=args.show_minutes,
        )
        report(outcome)
        print(f"    ({time.perf_counter() - started:.1f} s wall)")
    rate, got, pages = await throughput(args.burst)
    print(f"Messages handled: {got} waiting messages in {pages} pages -> {rate:,.0f} msgs/s")
    print("streamList plans (one day's 10,000 units, at least 30 % kept for replies):")
    for minutes in (90.0, 480.0):
        for lifetime in (None, 10.0):
            plan = stream_plan(QuotaSettings(), minutes, lifetime)
            print(f"  {minutes:5.0f} min show, {plan.note()}")


if __name__ == "__main__":
    asyncio.run(main())
