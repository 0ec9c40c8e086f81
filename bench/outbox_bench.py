"""Outbox under a flash drop: messages per platform, buyers per message, latency, violations.

Run: ``python -m bench.outbox_bench [--claims 3000] [--speed 50] [--sqlite] [--sends 100]
[--old-limits] [--send-ms 200]``.

Two flash drops a minute apart: N buyers on three platforms claim within a few seconds; the
first 100 claims of a drop are held, the next 1,000 waitlisted, the rest sold out (the mix
``bench.flash_drop`` records), each with the reply the buying handler sends (held buyers' on
Facebook private, as in production), and some viewers ask questions (ANSWER replies). Each
platform's outbox runs on a scaled clock (``--speed`` virtual seconds per real second), so a
minute of show takes about a second; the limits are each connector's production ones
(``--old-limits`` also runs Facebook without its private lane and digest, and the bench's
earlier assumptions, for comparison). Printed per platform: reply latency p50/p99, claims
p99, held buyers' p99 and losers' p99 (from queued to told, by their own reply or a
digest). Violations are counted from the send log by
:func:`shopstream.outbox.find_violations`, independently of the pacer.

Then the YouTube share of the drop against a *send budget* (``--sends`` inserts, by default
what the 2,000-unit reply reserve buys at 20 units each): messages used, buyers per message,
claims answered or held for the reset, answers and announcements dropped, sends refused.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlmodel import SQLModel

from connectors.errors import RateLimited
from connectors.events import Priority, Reply, SendResult
from connectors.facebook.connector import FACEBOOK_LIMITS
from connectors.limits import PlatformLimits
from connectors.twitch.sendlimits import TWITCH_LIMITS
from connectors.youtube.connector import YOUTUBE_LIMITS
from shopstream.outbox import MemorySentKeys, Outbox, OutboxSentReply, SqlSentKeys
from shopstream.outbox.store import SentKeyStore
from shopstream.show.config import OutboxConfig
from shopstream.storage.engine import make_engine

# Each platform's production limits, as its connector declares them (Facebook never coalesces:
# one reply per comment, threaded; YouTube paces at one send a second; Twitch at its normal
# rate, the tier a bot without the moderator or verified badge gets).
LIMITS = {"twitch": TWITCH_LIMITS, "youtube": YOUTUBE_LIMITS, "facebook": FACEBOOK_LIMITS}
# Facebook as it was before its private lane and digest: private replies at the public pace,
# in arrival order, and one threaded reply per loser (``--old-limits`` prints it too).
ONE_LANE_LIMITS = {
    **LIMITS,
    "facebook": replace(FACEBOOK_LIMITS, private_max_messages=None, digest=False),
}
# What this bench assumed before issue 17 (Facebook coalescing, YouTube without its pause):
# kept only to print the comparison with ``--old-limits``.
OLD_LIMITS = {
    "twitch": PlatformLimits(
        max_messages=20, window_seconds=30, max_chars=500, duplicate_window_seconds=30,
        threads=True,
    ),
    "youtube": PlatformLimits(max_messages=20, window_seconds=30, max_chars=200),
    "facebook": PlatformLimits(
        max_messages=60, window_seconds=60, max_chars=2000, min_interval_seconds=0.5,
        threads=True,
    ),
}  # fmt: skip


class ScaledClock:
    """Virtual seconds that run ``speed`` times faster than real time."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._t0 = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


@dataclass
class Sink:
    """A connector that accepts everything (the bench measures the outbox, not a platform),
    each send taking ``latency`` virtual seconds (a round trip) on ``clock``."""

    limits: PlatformLimits
    clock: ScaledClock | None = None
    latency: float = 0.0
    sent: int = 0
    chars: list[int] = field(default_factory=list)

    async def send(self, reply: Reply) -> SendResult:
        self.sent += 1
        self.chars.append(len(reply.text))
        if self.clock is not None and self.latency > 0:
            await self.clock.sleep(self.latency)
        else:
            await asyncio.sleep(0)
        return SendResult(sent=True, platform_message_id=str(self.sent))


class QuotaSink:
    """A connector that refuses a send past its budget (as YouTube's does for quota).

    ``declare``: whether it tells the outbox its budget (``limits.sends_left``); without it the
    outbox learns about the quota only from the refusal, as before send budgets existed.
    """

    def __init__(self, limits: PlatformLimits, sends: int | None, *, declare: bool) -> None:
        self._limits = limits
        self.left = sends
        self.declare = declare
        self.sent = 0
        self.refused = 0

    @property
    def limits(self) -> PlatformLimits:
        return replace(self._limits, sends_left=self.left) if self.declare else self._limits

    async def send(self, reply: Reply) -> SendResult:
        if self.left is not None:
            if self.left < 1:
                self.refused += 1
                raise RateLimited("quota", retry_after=3600.0, platform="youtube")
            self.left -= 1
        self.sent += 1
        await asyncio.sleep(0)
        return SendResult(sent=True, platform_message_id=str(self.sent))


def _drop_reply(i: int, rng: random.Random) -> Reply:
    roll = rng.random()
    priority = Priority.CLAIM
    if roll < 0.12:
        priority = Priority.ANNOUNCEMENT if roll < 0.02 else Priority.ANSWER
    link = f"https://s.shop/{i:05x}"
    claim = priority is Priority.CLAIM
    return Reply(
        platform="youtube", channel="show", key=f"yt:{i}", mention=f"viewer{i:05d}",
        text=f"Classic Tee (M / Navy) is yours for 10 min: {link}" if claim
        else "Classic Tee: 3 left in M, L is sold out",
        short=f"M {link}" if claim else None, priority=priority,
    )  # fmt: skip


async def quota_drop(replies: int, speed: float, sends: int | None, *, declare: bool) -> None:
    """One YouTube channel's share of the drop against a send budget; print one row."""
    clock = ScaledClock(speed)
    sink = QuotaSink(LIMITS["youtube"], sends, declare=declare)
    store = MemorySentKeys()
    box = Outbox(
        sink, platform="youtube", channel="show", clock=clock, sleep=clock.sleep, store=store,
        config=OutboxConfig(stale_answer_seconds=45, stale_announcement_seconds=90),
    )  # fmt: skip
    runner = asyncio.create_task(box.run())
    rng = random.Random(11)
    kinds: dict[str, Priority] = {}
    for i in range(replies):
        if (ahead := 3.0 * i / replies - clock()) > 0:
            await clock.sleep(ahead)
        reply = _drop_reply(i, rng)
        kinds[reply.key] = reply.priority
        await box.put(reply)
    # until all is sent, or the budget is spent (planned) or was hit (unplanned)
    while box.pending and not (sink.left == 0 and (declare or sink.refused)):
        await clock.sleep(1.0)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    st = box.stats
    sent = {k for k, status in store.status.items() if status == "sent"}
    mix = {
        p: f"{sum(1 for k in sent if kinds[k] is p)}/{sum(1 for v in kinds.values() if v is p)}"
        for p in Priority
    }
    label = (
        "no budget"
        if sends is None
        else f"{sends} sends, " + ("planned" if declare else "unplanned")
    )
    print(
        f"  {label:<22} msgs {sink.sent:>4}  buyers/msg "
        f"{st.sent_replies / max(1, st.sent_messages):4.1f}  claims {mix[Priority.CLAIM]:>9}  "
        f"answers {mix[Priority.ANSWER]:>6}  announcements {mix[Priority.ANNOUNCEMENT]:>5}  "
        f"budget_skipped {st.budget_skipped:>3}  refused {sink.refused}  "
        f"violations {st.violations}"
    )


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


PRIVATE_LINKS = frozenset({"facebook"})  # as production: ``ShowServices.private_link_platforms``


def _claim_reply(platform: str, i: int, drop: int, outcome: str, place: int) -> Reply:
    """A claim outcome's reply as the buying handler words it (templates ``en.toml``)."""
    name, key = f"viewer{i:05d}", f"{platform}:{drop}:{i}"
    product = ("Classic Tee", "Glow Serum")[drop % 2]
    if outcome == "held":
        link = f"https://s.shop/{drop}{i:05x}"
        text, short = f"{product} (M / Navy) is yours for 10 min: {link}", f"M {link}"
    elif outcome == "waitlisted":
        text = f"{product} (M / Navy) is sold out; you are #{place} on the waitlist."
        short = f"M sold out, waitlist #{place}"
    else:
        text, short = f"Sorry, {product} (M / Navy) is sold out.", "M sold out"
    return Reply(
        platform=platform, channel="show", key=key, text=text, mention=name,
        reply_to_id=f"m{drop}-{i}", short=short, priority=Priority.CLAIM,
        private=outcome == "held" and platform in PRIVATE_LINKS,
    )  # fmt: skip


async def flash_drop(
    claims: int,
    speed: float,
    db: Path | None,
    limits_of: dict[str, PlatformLimits] = LIMITS,
    *,
    drops: int = 2,
    units: int = 100,
    send_ms: float = 0.0,
) -> None:
    """``drops`` flash drops a minute apart, each ``claims`` claims (10 % questions) over
    3 virtual seconds: the first ``units`` claims held, the next ``10 * units`` waitlisted,
    the rest sold out (the mix ``bench.flash_drop`` records)."""
    clock = ScaledClock(speed)
    config = OutboxConfig(stale_answer_seconds=45, stale_announcement_seconds=90)
    engine = None
    if db is not None:
        engine = make_engine(f"sqlite:///{db}")
        SQLModel.metadata.create_all(engine, tables=[OutboxSentReply.__table__])  # type: ignore[attr-defined]
    boxes: dict[str, Outbox] = {}
    sinks: dict[str, Sink] = {}
    for platform, limits in limits_of.items():
        store: SentKeyStore = SqlSentKeys(engine) if engine is not None else MemorySentKeys()
        sinks[platform] = Sink(limits=limits, clock=clock, latency=send_ms / 1000)
        boxes[platform] = Outbox(
            sinks[platform], platform=platform, channel="show", config=config, store=store,
            clock=clock, sleep=clock.sleep,
        )  # fmt: skip
    runners = [asyncio.create_task(box.run()) for box in boxes.values()]
    rng = random.Random(7)
    put_at: dict[str, float] = {}
    kinds: dict[str, str] = {}
    platforms = list(limits_of)
    spread, gap = 3.0, 60.0  # virtual seconds over which a drop's claims arrive; between drops
    put_seconds = 0.0
    for drop in range(drops):
        decided = 0
        for i in range(claims):
            target = drop * gap + spread * i / claims
            if (ahead := target - clock()) > 0:
                await clock.sleep(ahead)
            platform = rng.choice(platforms)
            if rng.random() < 0.1:
                kind = "question"
                reply = Reply(
                    platform=platform, channel="show", key=f"{platform}:{drop}:{i}",
                    text="Classic Tee: 3 left in M, L is sold out", mention=f"viewer{i:05d}",
                    reply_to_id=f"m{drop}-{i}", priority=Priority.ANSWER,
                )  # fmt: skip
            else:
                kind = (
                    "held" if decided < units
                    else "waitlisted" if decided < 11 * units
                    else "sold_out"
                )  # fmt: skip
                reply = _claim_reply(platform, i, drop, kind, decided - units + 1)
                decided += 1
            t = time.perf_counter()
            await boxes[platform].put(reply)
            put_seconds += time.perf_counter() - t
            put_at[reply.key] = clock()
            kinds[reply.key] = kind
    wall0 = time.perf_counter()
    await asyncio.gather(*(box.drained() for box in boxes.values()))
    for task in runners:
        task.cancel()
    await asyncio.gather(*runners, return_exceptions=True)
    drain_wall = time.perf_counter() - wall0

    print(
        f"flash drop: {drops} drops {gap:.0f} virtual s apart, each {claims} claims+questions "
        f"over {spread:.0f} virtual s ({units} held), a send {send_ms:g} ms, speed x{speed:g}"
    )
    print(f"  put(): {drops * claims / put_seconds:,.0f} replies/s (real time)")
    print(
        f"{'platform':<9} {'replies':>7} {'msgs':>5} {'buyers/msg':>10} {'digests':>7} "
        f"{'stale':>6} {'p50 s':>7} {'p99 s':>7} {'claim p99':>9} {'held p99':>8} "
        f"{'losers p99':>10} {'violations':>10}"
    )
    total_msgs = total_replies = total_viol = 0
    for platform, box in boxes.items():
        first_sent: dict[str, float] = {}
        for rec in box.log:
            for key in rec.keys:
                first_sent.setdefault(key, rec.at)

        def lat(*wanted: str, told: dict[str, float] = first_sent) -> list[float]:
            return [told[k] - put_at[k] for k in told if kinds.get(k) in wanted]

        st = box.stats
        per_msg = st.sent_replies / st.sent_messages if st.sent_messages else 0.0
        total_msgs += st.sent_messages
        total_replies += st.sent_replies
        total_viol += st.violations
        every = lat("held", "waitlisted", "sold_out", "question")
        print(
            f"{platform:<9} {st.sent_replies:>7} {st.sent_messages:>5} {per_msg:>10.1f} "
            f"{st.digest_messages:>7} {st.dropped_stale:>6} {_pct(every, 0.5):>7.2f} "
            f"{_pct(every, 0.99):>7.2f} {_pct(lat('held', 'waitlisted', 'sold_out'), 0.99):>9.2f} "
            f"{_pct(lat('held'), 0.99):>8.2f} {_pct(lat('waitlisted', 'sold_out'), 0.99):>10.2f} "
            f"{st.violations:>10}"
        )
        if sinks[platform].chars:
            assert max(sinks[platform].chars) <= limits_of[platform].max_chars
    print(
        f"total: {total_replies} replies in {total_msgs} messages "
        f"({total_replies / max(1, total_msgs):.1f} buyers served per message), "
        f"violations {total_viol}, drain {drain_wall:.2f} s real"
    )
    if engine is not None:
        engine.dispose()


def bench_pacer(n: int = 200_000) -> None:
    """Raw cost of the pure parts: pacing decisions and the independent checker."""
    from shopstream.outbox.pacing import Pacer, SendRecord, find_violations

    limits = LIMITS["twitch"]
    pacer = Pacer(limits)
    now = 0.0
    start = time.perf_counter()
    records = []
    for i in range(n):
        now += pacer.wait_time(now)
        text = f"msg {i % 50}"
        if pacer.is_repeat(text, now):
            text += f" ({i})"
        pacer.record(now, text)
        records.append(SendRecord(at=now, text=text, keys=(str(i),)))
    elapsed = time.perf_counter() - start
    t = time.perf_counter()
    problems = find_violations(records, limits)
    check = time.perf_counter() - t
    print(
        f"pacer: {n / elapsed:,.0f} decisions/s; checker: {n / check:,.0f} records/s; "
        f"violations {len(problems)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=3000)
    parser.add_argument("--speed", type=float, default=50.0)
    parser.add_argument("--sqlite", action="store_true", help="persist sent keys in SQLite")
    parser.add_argument("--sends", type=int, default=100, help="YouTube send budget")
    parser.add_argument(
        "--old-limits", action="store_true", help="also run with the limits assumed before"
    )
    parser.add_argument(
        "--send-ms", type=float, default=0.0, help="each send's round trip (virtual ms)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "outbox.db" if args.sqlite else None
        print("production limits (each connector's own):")
        asyncio.run(flash_drop(args.claims, args.speed, db, send_ms=args.send_ms))
    if args.old_limits:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "outbox.db" if args.sqlite else None
            print("facebook before its private lane and digest (one pace, one reply each):")
            limits = ONE_LANE_LIMITS
            asyncio.run(flash_drop(args.claims, args.speed, db, limits, send_ms=args.send_ms))
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "outbox.db" if args.sqlite else None
            print("the limits this bench assumed before (Facebook coalescing; not production):")
            asyncio.run(flash_drop(args.claims, args.speed, db, OLD_LIMITS, send_ms=args.send_ms))
    youtube = args.claims // 3
    print(f"youtube send budget: {youtube} replies over 3 virtual s (88% claims, sent/queued)")
    asyncio.run(quota_drop(youtube, args.speed, None, declare=False))
    for declare in (False, True):
        asyncio.run(quota_drop(youtube, args.speed, args.sends, declare=declare))
    # last: its 200,000 records leave the collector work that would stall the scaled clocks
    bench_pacer()


if __name__ == "__main__":
    main()
