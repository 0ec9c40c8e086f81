"""The fairness gate: hold an event until no other platform can still deliver an earlier one.

Invariant 3 orders buyers across platforms by the platforms' own timestamps, but the
platforms deliver at different speeds: Twitch pushes within milliseconds, YouTube is polled
(seconds late), Facebook's live stream is sampled and only a ``/comments`` backfill recovers
what it dropped. Each connector therefore reports a delivery *watermark*
(:meth:`connectors.status.Health.watermark`): the platform time up to which it has handed
over everything it ever will.

:class:`FairnessGate` holds envelopes and releases, in platform-timestamp order, the longest
run of the earliest held events that are *ready*: an event is ready when its timestamp is at
or before the watermark of every *other* connector that is ``ok`` and has one (a connector
that is down, or that reports no watermark, holds nothing back). An event that has waited
``horizon`` seconds is released regardless, together with every earlier one still held, so
nothing is ever held longer than the horizon (plus one re-check) and what is released comes
out in timestamp order.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from connectors.events import ChatMessage
from connectors.status import Status
from shopstream.runtime.supervisor import Envelope

Watermarks = Callable[[], Mapping[str, tuple[Status, datetime | None]]]
"""Connector name -> (its status, its delivery watermark or None)."""


def platform_time(envelope: Envelope) -> datetime:
    """The platform time an event is ordered by (a message's ``order_time``, else ``at``)."""
    event = envelope.event
    return event.order_time if isinstance(event, ChatMessage) else event.at


def order_key(envelope: Envelope) -> tuple[datetime, int]:
    """Platform time; at equal times a message before the deletion or ban about it."""
    return (platform_time(envelope), 0 if isinstance(envelope.event, ChatMessage) else 1)


@dataclass(slots=True)
class Released:
    """One envelope let through, with how long the gate held it."""

    envelope: Envelope
    waited: float  # seconds on the gate's clock
    expired: bool  # let through by the horizon, not by the watermarks


@dataclass(order=True, slots=True)
class _Held:
    key: tuple[datetime, int]
    seq: int
    arrived: float = field(compare=False)
    envelope: Envelope = field(compare=False)
    gone: bool = field(default=False, compare=False)


class FairnessGate:
    """Buffers envelopes and lets them through in fair order (see the module docstring).

    ``clock`` is monotonic seconds (injected in tests); ``watermarks`` is read at every
    :meth:`release`. Held events sit in a heap by platform time and in a queue by arrival, so
    a release costs what it lets through, not what is held (a flash drop holds thousands and
    the pipeline looks every few milliseconds).
    """

    def __init__(
        self,
        horizon: float,
        watermarks: Watermarks,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if horizon < 0:
            raise ValueError("horizon must be >= 0")
        self.horizon = horizon
        self._watermarks = watermarks
        self._clock = clock
        self._heap: list[_Held] = []  # by (platform time, seq)
        self._arrivals: deque[_Held] = deque()  # by arrival (the clock only moves forward)
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, envelope: Envelope) -> None:
        """Hold ``envelope`` from now on."""
        self._seq += 1
        held = _Held(order_key(envelope), self._seq, self._clock(), envelope)
        heapq.heappush(self._heap, held)
        self._arrivals.append(held)

    def release(self) -> list[Released]:
        """Let through what is ready now, earliest platform time first."""
        if not self._heap:
            return []
        now = self._clock()
        last_expired: _Held | None = None  # the latest (in platform time) event out of time
        arrivals = self._arrivals
        while arrivals and (arrivals[0].gone or now - arrivals[0].arrived >= self.horizon):
            held = arrivals.popleft()
            if not held.gone and (last_expired is None or last_expired < held):
                last_expired = held
        bounds = self._bounds()
        out: list[Released] = []
        heap = self._heap
        while heap:
            first = heap[0]
            ready = self._is_ready(first, bounds)
            forced = last_expired is not None and not last_expired < first
            if not (ready or forced):
                break
            heapq.heappop(heap)
            first.gone = True
            out.append(Released(first.envelope, now - first.arrived, forced and not ready))
        return out

    def release_all(self) -> list[Released]:
        """Let everything through (the show is ending), in order."""
        now = self._clock()
        out = sorted(self._heap)
        self._heap, self._arrivals = [], deque()
        return [Released(h.envelope, now - h.arrived, False) for h in out]

    def _bounds(self) -> dict[str, datetime]:
        return {
            name: mark
            for name, (status, mark) in self._watermarks().items()
            if status == Status.OK and mark is not None
        }

    @staticmethod
    def _is_ready(held: _Held, bounds: Mapping[str, datetime]) -> bool:
        at = held.key[0]
        own = held.envelope.connector
        return all(at <= mark for name, mark in bounds.items() if name != own)


__all__ = ["FairnessGate", "Released", "Watermarks", "order_key", "platform_time"]


HORIZON_MARGIN = 0.5  # seconds past the slowest proof interval before the gate gives up


def derived_horizon(
    intervals: Mapping[str, float | None], *, cap: float, margin: float = HORIZON_MARGIN
) -> float:
    """The horizon the connectors' delivery-proof intervals call for: the slowest one plus
    ``margin``, at most ``cap``; ``margin`` alone when none declares an interval."""
    slowest = max((i for i in intervals.values() if i is not None and i >= 0), default=0.0)
    return min(cap, slowest + margin)
