"""The outbox against a scripted connector and a fake clock: order, limits, retries, keys."""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections import deque
from collections.abc import Collection
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import AuthError, FatalError, RateLimited, TransientError
from connectors.events import Priority, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Status
from shopstream.outbox import MemorySentKeys, Outbox, find_violations
from shopstream.show.config import OutboxConfig
from tests.fuzz import examples
from tests.show.fakes import SLOW, TWITCH, YOUTUBE, FakeSender
from tests.support.clock import FakeClock


def make(
    limits: PlatformLimits, config: OutboxConfig | None = None, **kw: object
) -> tuple[Outbox, FakeSender, FakeClock]:
    clock = FakeClock()
    sender = FakeSender(limits=limits, clock=clock)
    outbox = Outbox(
        sender,
        platform="twitch",
        channel="chan",
        config=config,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
        **kw,  # type: ignore[arg-type]
    )
    return outbox, sender, clock


def reply(key: str, text: str | None = None, **kw: object) -> Reply:
    return Reply(platform="twitch", channel="chan", text=text or f"text {key}", key=key, **kw)  # type: ignore[arg-type]


async def test_claims_go_before_answers_before_announcements() -> None:
    outbox, sender, _ = make(TWITCH)
    await outbox.put(reply("a1", priority=Priority.ANNOUNCEMENT))
    await outbox.put(reply("q1", priority=Priority.ANSWER))
    await outbox.put(reply("c1", priority=Priority.CLAIM))
    await outbox.put(reply("q2", priority=Priority.ANSWER))
    await outbox.flush()
    assert [r.key for r in sender.sent] == ["c1", "q1", "q2", "a1"]


async def test_a_burst_never_exceeds_the_window_and_all_are_sent() -> None:
    # answers that may wait an hour never go stale here, so every one of the 70 must go out
    outbox, sender, clock = make(TWITCH, OutboxConfig(stale_answer_seconds=3600.0))
    start = clock.monotonic()
    keys = [f"k{i}" for i in range(70)]
    for key in keys:
        await outbox.put(reply(key, priority=Priority.ANSWER))
    await outbox.flush()
    assert [r.key for r in sender.sent] == keys
    assert outbox.stats.dropped_stale == 0
    assert outbox.violations() == []
    assert outbox.stats.violations == 0
    # 20 per 30 s: the 21st message waited a full window
    assert outbox.log[20].at - outbox.log[0].at >= 30.0
    assert clock.monotonic() > start


def _burst_schedule(
    limits: PlatformLimits, config: OutboxConfig, stale_after: float
) -> list[float]:
    """When a burst of answers queued at 0 goes out, worked out from the limits by hand:
    ``burst_fraction`` of the window's budget at once, the rest of the budget
    ``window / max_messages`` apart; when the window is full, the next one waits for the
    burst to leave it, then one every spacing until an answer is older than ``stale_after``."""
    burst = math.ceil(limits.max_messages * config.burst_fraction)  # Twitch: 10
    spacing = limits.window_seconds / limits.max_messages  # Twitch: 1.5 s
    first_window = [0.0] * burst + [spacing * i for i in range(1, limits.max_messages - burst + 1)]
    later = itertools.takewhile(
        lambda t: t <= stale_after, (limits.window_seconds + spacing * i for i in itertools.count())
    )
    return first_window + list(later)


async def test_a_burst_longer_than_the_stale_limit_sends_what_fits_and_drops_the_rest() -> None:
    config = OutboxConfig()
    outbox, sender, clock = make(TWITCH, config)
    start = clock.monotonic()
    for i in range(70):
        await outbox.put(reply(f"k{i}", priority=Priority.ANSWER))
    await outbox.flush()
    expected = _burst_schedule(TWITCH, config, config.stale_answer_seconds)
    assert len(expected) == 31  # 10 at once + 10 by 15 s + 11 from 30 s to 45 s
    assert [r.at - start for r in outbox.log] == pytest.approx(expected)
    assert [r.key for r in sender.sent] == [f"k{i}" for i in range(31)]
    assert outbox.stats.dropped_stale == 70 - 31
    assert outbox.violations() == []


async def test_min_interval_is_respected() -> None:
    outbox, sender, _ = make(SLOW)
    for i in range(5):
        await outbox.put(reply(f"k{i}"))
    await outbox.flush()
    times = [r.at for r in outbox.log]
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(times))
    assert len(sender.sent) == 5


async def test_identical_texts_are_varied_within_the_duplicate_window() -> None:
    outbox, sender, _ = make(TWITCH)
    for i in range(3):
        await outbox.put(reply(f"k{i}", text="Sold out, sorry!"))
    await outbox.flush()
    texts = [r.text for r in sender.sent]
    assert len(set(texts)) == 3
    assert texts[0] == "Sold out, sorry!"
    assert outbox.stats.varied == 2
    assert outbox.violations() == []


async def test_backlogged_claims_are_coalesced_into_one_message() -> None:
    limits = PlatformLimits(max_messages=1, window_seconds=30.0, max_chars=200)
    outbox, sender, _ = make(limits)
    for i in range(8):
        await outbox.put(
            reply(f"c{i}", priority=Priority.CLAIM, mention=f"v{i}", short=f"tee s.io/{i}")
        )
    await outbox.flush()
    assert outbox.stats.sent_replies == 8
    assert len(sender.sent) < 8
    assert outbox.stats.coalesced_buyers >= 7
    joined = " ".join(r.text for r in sender.sent)
    for i in range(8):
        assert f"@v{i} tee s.io/{i}" in joined
    assert all(len(r.text) <= 200 for r in sender.sent)
    assert outbox.violations() == []


@settings(max_examples=examples(40))
@given(
    kinds=st.lists(
        st.sampled_from(["buyer", "private", "no_short", "answer", "announcement"]),
        min_size=1,
        max_size=40,
    ),
    most=st.integers(2, 6),
)
def test_property_coalesced_buyers_go_out_in_the_order_they_were_queued(
    kinds: list[str], most: int
) -> None:
    """Each coalesced message takes the earliest buyers still queued, whatever else waits."""
    limits = PlatformLimits(max_messages=1, window_seconds=30.0, max_chars=500)
    outbox, sender, _ = make(limits, OutboxConfig(coalesce_max_buyers=most))
    buyers = [i for i, kind in enumerate(kinds) if kind == "buyer"]

    async def scenario() -> None:
        for i, kind in enumerate(kinds):
            if kind == "answer":
                await outbox.put(reply(f"a{i}", priority=Priority.ANSWER))
            elif kind == "announcement":
                await outbox.put(reply(f"n{i}", priority=Priority.ANNOUNCEMENT))
            else:  # a claim outcome; only a public one with a short form can share a message
                await outbox.put(
                    reply(
                        f"c{i}",
                        f"T{i}X",
                        priority=Priority.CLAIM,
                        mention=f"v{i}",
                        short=None if kind == "no_short" else f"S{i}X",
                        private=kind == "private",
                    )
                )
        await outbox.flush()

    asyncio.run(scenario())
    stats = outbox.stats
    assert stats.sent_replies + stats.dropped_stale == len(kinds)  # each once (answers age)
    told = [int(n) for r in sender.sent for n in re.findall(r"[ST](\d+)X", r.text)]
    assert [i for i in told if i in buyers] == buyers  # first queued, first told
    assert all(len(re.findall(r"S\d+X", r.text)) <= most for r in sender.sent)


async def test_no_coalescing_where_the_platform_forbids_it() -> None:
    limits = PlatformLimits(max_messages=1, window_seconds=30.0, max_chars=200, coalesce=False)
    outbox, sender, _ = make(limits)
    for i in range(3):
        await outbox.put(reply(f"c{i}", priority=Priority.CLAIM, mention=f"v{i}", short="s"))
    await outbox.flush()
    assert len(sender.sent) == 3
    assert outbox.stats.coalesced_buyers == 0


async def test_stale_answers_are_dropped_but_claims_never() -> None:
    outbox, sender, clock = make(
        TWITCH, OutboxConfig(stale_answer_seconds=10, stale_announcement_seconds=30)
    )
    old = clock() - timedelta(seconds=60)
    await outbox.put(reply("q-old", priority=Priority.ANSWER, created_at=old))
    await outbox.put(reply("a-old", priority=Priority.ANNOUNCEMENT, created_at=old))
    await outbox.put(reply("c-old", priority=Priority.CLAIM, created_at=old))
    await outbox.put(reply("q-new", priority=Priority.ANSWER, created_at=clock()))
    await outbox.flush()
    assert [r.key for r in sender.sent] == ["c-old", "q-new"]
    assert outbox.stats.dropped_stale == 2


async def test_answers_queued_too_long_go_stale_without_created_at() -> None:
    limits = PlatformLimits(max_messages=1, window_seconds=30.0, max_chars=200)
    outbox, sender, _ = make(limits, OutboxConfig(stale_answer_seconds=40))
    for i in range(4):
        await outbox.put(reply(f"q{i}", priority=Priority.ANSWER))
    await outbox.flush()
    # q0 at t, q1 at t+30, q2 would be at t+60 (> 40 s old): dropped, and so is q3
    assert [r.key for r in sender.sent] == ["q0", "q1"]
    assert outbox.stats.dropped_stale == 2


async def test_rate_limited_waits_retry_after_and_sends_once() -> None:
    outbox, sender, clock = make(YOUTUBE)
    sender.script = deque([RateLimited("slow down", retry_after=7.5)])
    t0 = clock.monotonic()
    await outbox.put(reply("k1", priority=Priority.CLAIM))
    await outbox.flush()
    assert [r.key for r in sender.sent] == ["k1"]
    assert sender.calls == 2
    assert outbox.stats.retries == 1
    assert outbox.log[1].at - t0 >= 7.5
    assert outbox.violations() == []


async def test_transient_errors_give_up_after_max_attempts() -> None:
    store = MemorySentKeys()
    outbox, sender, _ = make(YOUTUBE, OutboxConfig(max_attempts=3), store=store)
    sender.script = deque([TransientError("503")] * 3)
    await outbox.put(reply("k1"))
    await outbox.flush()
    assert sender.calls == 3
    assert sender.sent == []
    assert outbox.stats.failed == 1
    assert outbox.stats.retries == 2
    assert store.status["k1"] == "failed"
    await outbox.put(reply("k1"))
    await outbox.flush()
    assert sender.calls == 3


async def test_auth_error_and_refusal_are_not_retried() -> None:
    outbox, sender, _ = make(YOUTUBE)
    sender.script = deque([AuthError("401"), SendResult(sent=False, drop_reason="one_only")])
    await outbox.put(reply("k1"))
    await outbox.put(reply("k2"))
    await outbox.flush()
    assert sender.calls == 2
    assert outbox.stats.failed == 2
    assert outbox.stats.retries == 0


class _Health:
    def __init__(self, status: Status) -> None:
        self.status = status


async def test_a_crashing_connector_does_not_stop_the_outbox() -> None:
    outbox, sender, _ = make(YOUTUBE)
    sender.health = _Health(Status.OK)  # type: ignore[attr-defined]  # open: a real bug
    sender.script = deque([ValueError("bug")])
    await outbox.put(reply("k1"))
    await outbox.put(reply("k2"))
    await outbox.flush()
    assert [r.key for r in sender.sent] == ["k2"]
    assert outbox.stats.not_ready_retries == 0


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("use 'async with YouTubeConnector(...)' before reading or sending"),
        FatalError("Helix is not configured or not open", platform="twitch"),
    ],
)
async def test_a_send_while_the_connector_restarts_waits_for_it(error: Exception) -> None:
    outbox, sender, _ = make(YOUTUBE, patience=60.0)
    health = _Health(Status.RECONNECTING)
    sender.health = health  # type: ignore[attr-defined]
    sender.script = deque([error, error])
    await outbox.put(reply("k1", priority=Priority.CLAIM))
    await outbox.flush()
    assert [r.key for r in sender.sent] == ["k1"]  # not dropped: sent once it was back
    assert outbox.stats.not_ready_retries == 2 and outbox.stats.failed == 0
    assert outbox.stats.untold == 0


async def test_a_claim_reply_given_up_is_counted_untold() -> None:
    outbox, sender, _ = make(YOUTUBE, patience=5.0)
    sender.health = _Health(Status.CANNOT_CONNECT)  # type: ignore[attr-defined]
    sender.script = deque([FatalError("not open", platform="twitch")] * 50)
    await outbox.put(reply("k1", priority=Priority.CLAIM))
    await outbox.flush()
    assert sender.sent == []
    assert outbox.stats.untold == 1 and outbox.stats.failed == 1


async def test_same_key_is_queued_once() -> None:
    outbox, sender, _ = make(TWITCH)
    await outbox.put(reply("k1"))
    await outbox.put(reply("k1", text="again"))
    await outbox.flush()
    await outbox.put(reply("k1"))
    await outbox.flush()
    assert len(sender.sent) == 1
    assert outbox.stats.duplicates_skipped == 2


async def test_long_replies_are_split_without_cutting_the_link() -> None:
    outbox, sender, _ = make(YOUTUBE)
    link = "https://shop.example/cart/12345:1?ref=" + "a" * 60
    text = ("Your hoodie in navy XL is held for ten minutes. " * 3) + link + " enjoy!"
    await outbox.put(reply("k1", text=text, mention="Ana"))
    await outbox.flush()
    assert len(sender.sent) >= 2
    assert all(len(r.text) <= 200 for r in sender.sent)
    assert sender.sent[0].text.startswith("@Ana ")
    assert any(link in r.text.split(" ") for r in sender.sent)
    assert outbox.stats.sent_replies == 1
    assert outbox.violations() == []


async def test_mention_is_not_written_when_the_reply_threads() -> None:
    outbox, sender, _ = make(TWITCH)
    await outbox.put(reply("k1", text="held!", mention="bo", reply_to_id="m1"))
    await outbox.put(reply("k2", text="held!!", mention="cy"))
    await outbox.flush()
    assert sender.sent[0].text == "held!"
    assert sender.sent[0].mention == "bo"
    assert sender.sent[1].text == "@cy held!!"


async def test_a_link_too_long_for_the_platform_is_dropped_not_cut() -> None:
    outbox, sender, _ = make(YOUTUBE)
    await outbox.put(reply("k1", text="https://x.example/" + "a" * 300))
    await outbox.flush()
    assert sender.sent == []
    assert outbox.stats.failed == 1


async def test_run_sends_what_is_put_while_running() -> None:
    outbox, sender, _ = make(TWITCH)
    task = asyncio.create_task(outbox.run())
    await outbox.put(reply("k1"))
    await asyncio.wait_for(sender.got_one.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r.key for r in sender.sent] == ["k1"]


@settings(max_examples=examples(40))
@given(
    max_messages=st.integers(1, 25),
    window=st.floats(1.0, 40.0),
    interval=st.sampled_from([0.0, 0.5, 2.0]),
    plan=st.lists(
        st.tuples(st.floats(0, 20), st.sampled_from(list(Priority)), st.booleans()),
        min_size=1,
        max_size=60,
    ),
)
def test_property_no_violations_whatever_arrives(
    max_messages: int,
    window: float,
    interval: float,
    plan: list[tuple[float, Priority, bool]],
) -> None:
    limits = PlatformLimits(
        max_messages=max_messages,
        window_seconds=window,
        max_chars=80,
        duplicate_window_seconds=30.0,
        min_interval_seconds=interval,
    )

    async def scenario() -> Outbox:
        outbox, _sender, clock = make(
            limits, OutboxConfig(stale_answer_seconds=1e6, stale_announcement_seconds=1e6)
        )
        for i, (gap, prio, same) in enumerate(plan):
            clock.advance(gap)
            await outbox.put(
                reply(
                    f"k{i}",
                    text="same text" if same else f"text {i}",
                    priority=prio,
                    mention=f"v{i}",
                    short=f"s{i}",
                )
            )
            if i % 7 == 0:
                await outbox.flush()
        await outbox.flush()
        assert outbox.stats.sent_replies == len(plan)
        return outbox

    outbox = asyncio.run(scenario())
    assert find_violations(outbox.log, limits) == []


async def test_drained_waits_until_run_has_sent_everything() -> None:
    outbox, sender, _ = make(TWITCH)
    task = asyncio.create_task(outbox.run())
    for i in range(30):
        await outbox.put(reply(f"k{i}"))
    await asyncio.wait_for(outbox.drained(), 5)
    assert len(sender.sent) == 30
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    ("text", "mention", "sent"),
    [
        ("@ana your tee is held", "ana", "@ana your tee is held"),
        ("thanks @ANA!", "ana", "thanks @ANA!"),
        ("@anabel got one too", "ana", "@ana @anabel got one too"),
    ],
)
async def test_mention_written_once(text: str, mention: str, sent: str) -> None:
    outbox, sender, _ = make(YOUTUBE)
    await outbox.put(reply("k", text=text, mention=mention))
    await outbox.flush()
    assert sender.sent[0].text == sent


class BrokenStore(MemorySentKeys):
    """A database down for the first ``fails`` takes, then back."""

    def __init__(self, fails: int) -> None:
        super().__init__()
        self.fails = fails

    async def take(self, keys: Collection[str], *, platform: str, channel: str) -> set[str]:
        if self.fails:
            self.fails -= 1
            raise OSError("database is down")
        return await super().take(keys, platform=platform, channel=channel)


async def test_a_store_failure_costs_a_pause_not_the_reply() -> None:
    outbox, sender, _ = make(TWITCH, store=BrokenStore(fails=2))
    task = asyncio.create_task(outbox.run())
    await outbox.put(reply("k1"))
    await asyncio.wait_for(outbox.drained(), 5)
    assert not task.done()
    assert outbox.stats.failed == 0 and outbox.stats.requeued == 2
    assert [r.key for r in sender.sent] == ["k1"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_combined_reply_is_not_dropped_whole_on_one_failing_step() -> None:
    store = BrokenStore(fails=1)
    outbox, sender, _ = make(replace(TWITCH, coalesce=True), store=store)
    for i in range(4):
        await outbox.put(
            reply(f"c{i}", text="held", short="held", mention=f"b{i}", priority=Priority.CLAIM)
        )
    await outbox.flush()
    assert outbox.stats.requeued == 4  # every buyer of the combined message went back
    assert outbox.stats.failed == 0
    assert store.status == dict.fromkeys(("c0", "c1", "c2", "c3"), "sent")
    assert len(sender.sent) == 1 and outbox.stats.coalesced_buyers == 4


async def test_slow_mode_switched_on_mid_show_is_followed() -> None:
    outbox, sender, _ = make(TWITCH)
    for i in range(5):
        await outbox.put(reply(f"a{i}"))
    await outbox.flush()
    sender.limits = replace(TWITCH, min_interval_seconds=10.0)  # ROOMSTATE slow=10
    for i in range(5):
        await outbox.put(reply(f"b{i}"))
    await outbox.flush()
    times = [r.at for r in outbox.log]
    assert all(b - a >= 10.0 for a, b in itertools.pairwise(times[4:]))
    assert outbox.violations() == []
    assert outbox.limits.min_interval_seconds == 10.0


async def test_messages_sent_before_a_tighter_limit_count_against_it() -> None:
    loose = PlatformLimits(max_messages=10, window_seconds=30.0, max_chars=200)
    outbox, sender, clock = make(loose)
    for i in range(8):
        await outbox.put(reply(f"a{i}"))
    await outbox.flush()
    t_switch = clock.monotonic()
    sender.limits = replace(loose, max_messages=4)
    await outbox.put(reply("b0"))
    await outbox.flush()
    assert outbox.log[-1].at - outbox.log[0].at >= 30.0
    assert outbox.log[-1].at > t_switch
    assert outbox.violations() == []


async def test_one_private_reply_per_comment_then_public() -> None:
    limits = replace(YOUTUBE, private_replies=True, threads=True)
    outbox, sender, _ = make(limits)
    await outbox.put(reply("k1", text="your link", private=True, reply_to_id="c1"))
    await outbox.put(reply("k2", text="reminder", private=True, reply_to_id="c1"))
    await outbox.put(reply("k3", text="other", private=True, reply_to_id="c2"))
    await outbox.flush()
    assert [(r.key, r.private) for r in sender.sent] == [
        ("k1", True),
        ("k2", False),
        ("k3", True),
    ]


async def test_private_where_unsupported_goes_public() -> None:
    outbox, sender, _ = make(YOUTUBE)
    await outbox.put(reply("k1", text="x", private=True, reply_to_id="c1", mention="bo"))
    await outbox.flush()
    assert sender.sent[0].private is False
    assert sender.sent[0].text == "@bo x"


async def test_unfittable_reply_is_recorded_as_failed() -> None:
    store = MemorySentKeys()
    outbox, _, _ = make(YOUTUBE, store=store)
    await outbox.put(reply("k1", text="https://x.example/" + "a" * 300))
    await outbox.flush()
    assert store.status == {"k1": "failed"}
