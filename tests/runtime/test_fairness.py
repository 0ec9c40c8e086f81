"""The fairness gate: release in platform order once no other platform can deliver earlier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from connectors.events import ChatEvent, ChatMessage, MessageDeleted, UserBanned
from connectors.status import Status
from shopstream.runtime.fairness import FairnessGate, Released
from shopstream.runtime.supervisor import Envelope

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
OK, DOWN = Status.OK, Status.RECONNECTING


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def msg(connector: str, mid: str, seconds: float, precision: float = 0.0) -> Envelope:
    event = ChatMessage(
        platform=connector,
        channel="c",
        message_id=mid,
        author_id=mid,
        author_name=mid,
        text="!buy 1",
        sent_at=at(seconds),
        sent_at_precision=precision,
    )
    return Envelope(connector, event)


def whole_second(connector: str, mid: str, seconds: float) -> Envelope:
    """A message from a platform whose clock counts whole seconds (Facebook)."""
    return msg(connector, mid, seconds, precision=1.0)


def deletion(connector: str, mid: str, seconds: float) -> Envelope:
    event: ChatEvent = MessageDeleted(
        platform=connector, channel="c", message_id=mid, at=at(seconds)
    )
    return Envelope(connector, event)


def ids(released: list[Released]) -> list[str]:
    out = []
    for r in released:
        event = r.envelope.event
        assert isinstance(event, ChatMessage | MessageDeleted)
        prefix = "" if isinstance(event, ChatMessage) else "del:"
        out.append(prefix + event.message_id)
    return out


@dataclass
class World:
    """A monotonic clock and the connectors' watermarks, both set by the test."""

    now: float = 100.0
    marks: dict[str, tuple[Status, datetime | None]] = field(default_factory=dict)

    def clock(self) -> float:
        return self.now

    def watermarks(self) -> Mapping[str, tuple[Status, datetime | None]]:
        return self.marks

    def gate(self, horizon: float = 2.0) -> FairnessGate:
        return FairnessGate(horizon, self.watermarks, clock=self.clock)


def marks(**given: tuple[Status, float | None]) -> dict[str, tuple[Status, datetime | None]]:
    return {name: (status, None if s is None else at(s)) for name, (status, s) in given.items()}


# (held envelopes, watermarks, ids released now)
CASES = [
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(yt=(OK, 4.0)),
        [],
        id="youtube-not-yet-past-the-twitch-message",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(yt=(OK, 5.0)),
        ["t1"],
        id="equal-watermark-is-enough",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(yt=(OK, 6.0), fb=(OK, 4.9)),
        [],
        id="the-minimum-over-others-counts",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(yt=(OK, 6.0), fb=(OK, 5.5)),
        ["t1"],
        id="all-others-past",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(tw=(OK, 1.0), yt=(OK, 6.0)),
        ["t1"],
        id="own-watermark-does-not-hold-back",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(yt=(DOWN, 1.0)),
        ["t1"],
        id="a-down-connector-does-not-hold-back",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(yt=(Status.STARTING, 1.0), fb=(Status.STREAM_OFFLINE, 1.0)),
        ["t1"],
        id="only-ok-connectors-count",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        marks(console=(OK, None)),
        ["t1"],
        id="no-watermark-does-not-hold-back",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0)],
        {},
        ["t1"],
        id="no-connectors",
    ),
    pytest.param(
        [msg("tw", "t2", 6.0), msg("yt", "y1", 5.0), msg("tw", "t0", 4.0)],
        marks(tw=(OK, 10.0), yt=(OK, 10.0)),
        ["t0", "y1", "t2"],
        id="released-in-platform-order",
    ),
    pytest.param(
        [msg("yt", "y1", 5.0), msg("tw", "t2", 6.0)],
        marks(tw=(OK, 4.0), yt=(OK, 10.0)),
        [],
        id="a-ready-later-event-waits-for-an-earlier-held-one",
    ),
    pytest.param(
        [msg("tw", "t1", 5.0), msg("yt", "y2", 7.0), msg("tw", "t3", 9.0)],
        marks(tw=(OK, 10.0), yt=(OK, 8.0)),
        ["t1", "y2"],
        id="the-ready-prefix-goes",
    ),
    pytest.param(
        [msg("tw", "b", 5.0), msg("yt", "a", 5.0)],
        marks(tw=(OK, 5.0), yt=(OK, 5.0)),
        ["b", "a"],
        id="equal-timestamps-keep-arrival-order",
    ),
    pytest.param(
        [deletion("tw", "m", 5.0), msg("tw", "m", 5.0)],
        marks(yt=(OK, 5.0)),
        ["m", "del:m"],
        id="a-message-before-its-deletion-at-the-same-time",
    ),
    pytest.param(
        [deletion("tw", "m", 5.0)],
        marks(yt=(OK, 4.0)),
        [],
        id="other-events-are-gated-by-their-at",
    ),
    pytest.param(
        [whole_second("fb", "f", 5.0), msg("tw", "early", 5.3), msg("tw", "late", 5.7)],
        marks(),
        ["early", "f", "late"],
        id="a-whole-second-stamp-stands-in-the-middle-of-its-second",
    ),
    pytest.param(
        [msg("tw", "early", 5.3), msg("tw", "late", 5.7)],
        marks(fb=(OK, 5.4999)),  # a backfill that started at 5.2: 5 s comments may follow
        ["early"],
        id="whole-second-watermark-covers-the-first-half",
    ),
]


@pytest.mark.parametrize(("held", "watermarks", "expected"), CASES)
def test_release_by_watermarks(
    held: list[Envelope],
    watermarks: dict[str, tuple[Status, datetime | None]],
    expected: list[str],
) -> None:
    world = World(marks=watermarks)
    gate = world.gate()
    for envelope in held:
        gate.add(envelope)
    released = gate.release()
    assert ids(released) == expected
    assert len(gate) == len(held) - len(expected)
    assert all(r.waited == 0.0 and not r.expired for r in released)


def test_a_ban_is_gated_by_its_time() -> None:
    world = World(marks=marks(yt=(OK, 4.0)))
    gate = world.gate()
    ban = UserBanned(platform="tw", channel="c", author_id="x", at=at(5.0))
    gate.add(Envelope("tw", ban))
    assert gate.release() == []
    world.marks = marks(yt=(OK, 5.0))
    assert [r.envelope.event for r in gate.release()] == [ban]


@pytest.mark.parametrize(
    ("elapsed", "expected", "expired"),
    [
        (0.0, [], []),
        (1.999, [], []),
        (2.0, ["y1"], [True]),
        (5.0, ["y1"], [True]),
    ],
)
def test_the_horizon_lets_a_stalled_event_through(
    elapsed: float, expected: list[str], expired: list[bool]
) -> None:
    world = World(marks=marks(tw=(OK, 1.0)))  # twitch stalled at 1 s, but still "ok"
    gate = world.gate(horizon=2.0)
    gate.add(msg("yt", "y1", 5.0))
    world.now += elapsed
    released = gate.release()
    assert ids(released) == expected
    assert [r.expired for r in released] == expired
    assert all(r.waited == elapsed for r in released)


def test_an_expired_event_takes_the_earlier_held_ones_along_in_order() -> None:
    world = World(marks=marks(tw=(OK, 1.0), yt=(OK, 1.0)))
    gate = world.gate(horizon=2.0)
    gate.add(msg("yt", "y3", 3.0))
    world.now += 1.5
    gate.add(msg("tw", "t2", 2.0))  # arrived later, sent earlier
    gate.add(msg("tw", "t9", 9.0))
    world.now += 0.5  # y3 has waited 2 s, t2 only 0.5 s
    released = gate.release()
    assert ids(released) == ["t2", "y3"]
    assert [r.waited for r in released] == [0.5, 2.0]
    assert ids(gate.release_all()) == ["t9"]
    assert len(gate) == 0


def test_watermarks_moving_on_release_what_they_cover() -> None:
    world = World(marks=marks(tw=(OK, 0.0), yt=(OK, 0.0), fb=(OK, 0.0)))
    gate = world.gate(horizon=10.0)
    for envelope in (msg("tw", "t1", 1.0), msg("yt", "y2", 2.0), msg("fb", "f3", 3.0)):
        gate.add(envelope)
    assert gate.release() == []
    world.marks = marks(tw=(OK, 3.0), yt=(OK, 1.5), fb=(OK, 1.8))
    assert ids(gate.release()) == ["t1"]  # y2 waits for facebook
    world.marks = marks(tw=(OK, 3.0), yt=(OK, 1.5), fb=(DOWN, 1.8))
    assert ids(gate.release()) == ["y2"]  # facebook went down; f3 waits for youtube
    world.marks = marks(tw=(OK, 3.0), yt=(OK, 3.0), fb=(DOWN, 0.0))
    assert ids(gate.release()) == ["f3"]


def test_a_negative_horizon_is_refused() -> None:
    with pytest.raises(ValueError, match="horizon"):
        FairnessGate(-1.0, dict)


def _reference_release(
    held: list[tuple[tuple[datetime, int], int, float, Envelope]],
    now: float,
    horizon: float,
    bounds: Mapping[str, datetime],
) -> tuple[list[str], list[tuple[tuple[datetime, int], int, float, Envelope]]]:
    """The gate's rule written the slow, obvious way: sort everything held, cut after the
    last event out of time, then go on while events are ready."""
    held = sorted(held, key=lambda h: (h[0], h[1]))

    def ready(h: tuple[tuple[datetime, int], int, float, Envelope]) -> bool:
        return all(h[0][0] <= m for name, m in bounds.items() if name != h[3].connector)

    cut = max((i + 1 for i, h in enumerate(held) if now - h[2] >= horizon), default=0)
    while cut < len(held) and ready(held[cut]):
        cut += 1
    out = held[:cut]
    names = [h[3].event.message_id for h in out if isinstance(h[3].event, ChatMessage)]
    return names, held[cut:]


@pytest.mark.parametrize("seed", range(30))
def test_the_gate_releases_exactly_what_the_slow_rule_releases(seed: int) -> None:
    import random

    from shopstream.runtime.fairness import order_key

    rng = random.Random(seed)
    world = World()
    names = ("twitch", "youtube", "facebook")
    world.marks = {n: (OK, at(0)) for n in names}
    gate = FairnessGate(2.0, world.watermarks, clock=world.clock)
    mirror: list[tuple[tuple[datetime, int], int, float, Envelope]] = []
    seq = 0
    for step in range(120):
        for _ in range(rng.randrange(0, 6)):  # arrivals, platform times a little scrambled
            seq += 1
            name = rng.choice(names)
            envelope = msg(name, f"m{seq}", world.now - 100 + rng.uniform(-1.5, 0.5))
            gate.add(envelope)
            mirror.append((order_key(envelope), seq, world.now, envelope))
        if rng.random() < 0.5:  # a platform's watermark moves on, or it goes down
            name = rng.choice(names)
            status = DOWN if rng.random() < 0.1 else OK
            world.marks[name] = (status, at(world.now - 100 - rng.uniform(0, 1.5)))
        bounds = {n: m for n, (s, m) in world.marks.items() if s is OK and m is not None}
        expected, mirror = _reference_release(mirror, world.now, 2.0, bounds)
        assert ids(gate.release()) == expected, f"step {step}"
        world.now += rng.uniform(0.0, 0.4)
    assert len(gate) == len(mirror)
