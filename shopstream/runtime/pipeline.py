"""The command pipeline: dedupe, order fairly, handle in a worker thread, hand replies to outboxes.

Invariant 2 (one outcome per message) is enforced by :meth:`Records.take_message` before
anything else. Invariant 3 (first come, first served across platforms) by the fairness gate
(:mod:`shopstream.runtime.fairness`) when ``fairness_horizon`` > 0: an event waits until every
other healthy connector's delivery watermark has passed its platform timestamp, or at most
``fairness_horizon`` seconds, and events are handled in platform-timestamp order. With a
horizon of 0 only a short reordering window applies: events that arrive within
``fairness_window`` seconds of each other are handled in the order of the platforms' own
timestamps (the window runs from the first one's arrival, so a backlog is not delayed
further). Handling runs in a worker thread (the database and the parser are synchronous),
so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Protocol

from connectors.events import ChatEnded, ChatMessage, Reply
from shopstream.runtime.fairness import FairnessGate, Watermarks, order_key
from shopstream.runtime.supervisor import Envelope
from shopstream.storage.errors import is_transient

_LOGGER = logging.getLogger(__name__)

BROADCAST = "*"
"""A reply whose platform is ``*`` is an announcement for every connector of the show."""


class Handler(Protocol):
    """Turns (deduplicated) events into replies; synchronous, runs in a worker thread."""

    def handle_many(self, envelopes: Sequence[Envelope]) -> list[Sequence[Reply] | Exception]:
        """Act on events in order; return each one's replies, or the error it raised."""
        ...


class MessageLedger(Protocol):
    """Where messages are taken once and bookkeeping is batched (``Records`` fits)."""

    def unit(self) -> AbstractContextManager[object]:
        """One transaction for everything a batch writes (none of it stays if it fails)."""
        ...

    def take_messages(self, msgs: Sequence[ChatMessage]) -> set[tuple[str, str]]:
        """Take messages not taken before; return the (platform, message_id) taken now."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Group the bookkeeping writes made while handling one batch."""
        ...


class ReplyQueue(Protocol):
    """Where the replies a batch made are stored, in the batch's unit (the outbox rows)."""

    def queue(self, replies: Sequence[tuple[str, Reply]]) -> None:
        """Store ``(connector, reply)`` pairs to send (a key already stored is kept)."""
        ...


class ReplySink(Protocol):
    """Where replies for one connector go (its outbox)."""

    async def put(self, reply: Reply) -> None:
        """Queue ``reply`` for sending."""
        ...


@dataclass(slots=True)
class PipelineStats:
    """Counters the dashboard and the demo summary show."""

    events: int = 0
    duplicates: int = 0
    replies: int = 0
    failures: int = 0
    batches: int = 0
    storage_retries: int = 0  # batches tried again because the database failed them
    busy_seconds: float = 0.0  # time spent handling batches (capacity = events / busy)
    ended: set[str] = field(default_factory=set)
    # With the fairness gate on: how long each envelope was held (seconds, in release order;
    # the latest 100,000, so a long show keeps a bounded record), how many were held at all
    # and the longest wait, and how many were let through by the horizon rather than by the
    # watermarks (a platform fell behind).
    gate_wait_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))
    # the same waits by the platform of the held event (whose proof it waited for is the
    # slowest other platform's; the bench reports both)
    gate_wait_by_platform: dict[str, deque[float]] = field(default_factory=dict)
    gate_held: int = 0
    gate_wait_max: float = 0.0
    gate_expired: int = 0


class Pipeline:
    """Consume envelopes from ``queue`` until cancelled (or until ``stop()`` and drained)."""

    def __init__(
        self,
        queue: asyncio.Queue[Envelope],
        handler: Handler,
        sinks: Mapping[str, ReplySink],
        *,
        ledger: MessageLedger,
        fairness_window: float = 0.02,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_batch: int = 512,
        on_event: Callable[[Envelope, Sequence[Reply]], None] | None = None,
        targets: Mapping[str, tuple[str, str]] | None = None,
        fairness_horizon: float = 0.0,
        watermarks: Watermarks | None = None,
        clock: Callable[[], float] = time.monotonic,
        recheck: float = 0.005,
        needs_order: Callable[[Envelope], bool] | None = None,
        retry_wait: tuple[float, float] = (0.5, 10.0),
        replies: ReplyQueue | None = None,
        on_done: Callable[[Sequence[Envelope]], None] | None = None,
        on_storage: Callable[[BaseException | None], None] | None = None,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.sinks = sinks
        self.stats = PipelineStats()
        self._ledger = ledger
        self._window = fairness_window
        self._sleep = sleep
        self._max_batch = max_batch
        self._on_event = on_event
        self._targets = dict(targets or {})
        self._recheck = recheck
        self._needs_order = needs_order
        self._retry_wait = retry_wait
        self._replies = replies
        self._on_done = on_done  # told of envelopes committed or given up (read positions)
        self._on_storage = on_storage  # told of each transient failure and each commit
        self.gate: FairnessGate | None = None
        if fairness_horizon > 0:
            self.gate = FairnessGate(fairness_horizon, watermarks or dict, clock=clock)

    async def run(self) -> None:
        """Handle batches forever."""
        if self.gate is not None:
            await self._run_gated(self.gate)
        while True:
            first = await self.queue.get()
            # the window runs from the first envelope's arrival: a backlog waits no more
            remaining = self._window - (time.perf_counter() - first.received)
            if remaining > 0:
                await self._sleep(remaining)
            batch = [first]
            while not self.queue.empty() and len(batch) < self._max_batch:
                batch.append(self.queue.get_nowait())
            batch.sort(key=order_key)
            await self._process(batch)

    async def _run_gated(self, gate: FairnessGate) -> None:
        """Move queued envelopes into the gate; handle what it lets through, in its order.

        With ``needs_order``, only the events it names wait at the gate (claims, cancels,
        moderator commands: what changes stock or show state); questions and chatter are
        handled at once, after what the gate let through in the same round.
        """
        direct: list[Envelope] = []
        while True:
            if not gate and not direct:
                self._admit(await self.queue.get(), gate, direct)
            while not self.queue.empty():
                self._admit(self.queue.get_nowait(), gate, direct)
            released = gate.release()
            if not released and not direct:
                await self._sleep(self._recheck)  # watermarks move on their own; look again
                continue
            stats = self.stats
            expired = 0
            for item in released:
                stats.gate_wait_seconds.append(item.waited)
                platform = getattr(item.envelope.event, "platform", "?")
                waits = stats.gate_wait_by_platform.get(platform)
                if waits is None:
                    waits = stats.gate_wait_by_platform[platform] = deque(maxlen=100_000)
                waits.append(item.waited)
                expired += item.expired
                if item.waited > 0:
                    stats.gate_held += 1
                    stats.gate_wait_max = max(stats.gate_wait_max, item.waited)
            if expired:  # a failure of first come, first served, not a tuning detail
                stats.gate_expired += expired
                _LOGGER.warning(
                    "fairness: %d events let through by the %.2f s horizon before every"
                    " platform proved delivery (%d so far)",
                    expired,
                    gate.horizon,
                    stats.gate_expired,
                )
            at = time.perf_counter()
            batch = [replace(item.envelope, released=at) for item in released] + direct
            direct = []
            for start in range(0, len(batch), self._max_batch):
                await self._process(batch[start : start + self._max_batch])

    def _admit(self, envelope: Envelope, gate: FairnessGate, direct: list[Envelope]) -> None:
        if self._needs_order is None or self._ordered(envelope):
            gate.add(envelope)
        else:
            direct.append(envelope)

    def _ordered(self, envelope: Envelope) -> bool:
        assert self._needs_order is not None
        try:
            return self._needs_order(envelope)
        except Exception:  # when in doubt, keep the order
            _LOGGER.exception("classifying %r failed", envelope.event)
            return True

    async def _process(self, batch: list[Envelope]) -> None:
        """Handle ``batch`` (already in order), route the replies, mark the envelopes done.

        A batch is one unit of work: the messages taken, the claims and holds, the
        bookkeeping, the short links and the replies to send commit together or not at
        all (see :mod:`shopstream.storage.unit`). When the database fails it for a passing
        reason (a restart, a lost connection, a lock held too long), none of it stays: it
        is tried again, with a growing pause, until the database is back, and the messages
        behind it wait in the queue. Any other failure would only repeat, so the batch is
        split and each event tried alone: one bad event costs only itself (logged and
        counted). A retry finds nothing of the failed try (not the take, not a moderator
        command's effect), so it is the first try again.
        """
        wait, longest = self._retry_wait
        tries = 0
        while True:
            tries += 1
            started = time.perf_counter()
            try:
                results = await asyncio.to_thread(self._handle_batch, batch)
            except Exception as error:
                self.stats.busy_seconds += time.perf_counter() - started
                if not is_transient(error):
                    await self._give_up_or_split(batch)
                    return
                self.stats.storage_retries += 1
                if self._on_storage is not None:
                    self._on_storage(error)
                _LOGGER.exception(
                    "storing a batch of %d events failed; trying again in %.1f s", len(batch), wait
                )
                await self._sleep(wait)
                wait = min(longest, wait * 2)
                continue
            self.stats.busy_seconds += time.perf_counter() - started
            if self._on_storage is not None:
                self._on_storage(None)
            break
        self._done(batch)
        for connector, reply in results.routed:
            await self.sinks[connector].put(reply)
        if tries > 1 and results.duplicates:
            await self._recover()
        for _ in batch:
            self.queue.task_done()

    async def _recover(self) -> None:
        """A retry found messages already taken: a try whose commit failed to answer had
        committed after all. Its replies are stored; the outboxes fetch them now."""
        for name, sink in self.sinks.items():
            recover = getattr(sink, "recover", None)
            if recover is None:
                continue
            try:
                await recover()
            except Exception:  # they are stored: the next start sends them
                _LOGGER.exception("outbox %s could not fetch the stored replies", name)

    def _done(self, batch: Sequence[Envelope]) -> None:
        if self._on_done is None:
            return
        try:
            self._on_done(batch)
        except Exception:  # the read positions wait for the next batch; the show goes on
            _LOGGER.exception("reporting %d handled events failed", len(batch))

    async def _give_up_or_split(self, batch: list[Envelope]) -> None:
        """After a failure that would repeat: each event alone, or, if alone, let it go."""
        if len(batch) > 1:
            _LOGGER.exception("handling a batch of %d events failed; one by one now", len(batch))
            for envelope in batch:
                await self._process([envelope])
            return
        _LOGGER.exception("handling %r failed for good; it gets no reply", batch[0].event)
        self.stats.failures += 1
        self._done(batch)  # it costs itself only: the read position moves past it
        self.queue.task_done()

    def _targets_of(self, connector: str, reply: Reply) -> list[tuple[str, Reply]]:
        """Where ``reply`` goes: its connector's outbox, or every one for a broadcast."""
        if reply.platform == BROADCAST:
            out = []
            for name in self.sinks:
                platform, channel = self._targets.get(name, (name, name))
                key = f"{reply.key}:{name}"
                out.append((name, replace(reply, platform=platform, channel=channel, key=key)))
            return out
        if connector not in self.sinks:
            _LOGGER.error("no outbox for %s; reply dropped", connector)
            return []
        return [(connector, reply)]

    def _count(self, batch: list[Envelope], done: _Done) -> None:
        """The figures of a committed batch (a failed try counts nothing)."""
        stats = self.stats
        stats.batches += 1
        stats.events += len(batch)
        stats.duplicates += done.duplicates
        stats.replies += len(done.routed)
        for envelope in batch:
            if isinstance(envelope.event, ChatEnded):
                stats.ended.add(envelope.connector)
        for envelope, result in done.results:
            replies: Sequence[Reply] = ()
            if isinstance(result, Exception):
                stats.failures += 1
            else:
                replies = result
            if self._on_event is not None:
                self._on_event(envelope, replies)

    def _handle_batch(self, batch: list[Envelope]) -> _Done:
        """One unit of work: take, handle, store the replies; commit (in a worker thread)."""
        with self._ledger.unit():
            messages = [e.event for e in batch if isinstance(e.event, ChatMessage)]
            taken = self._ledger.take_messages(messages)
            fresh: list[Envelope] = []
            seen: set[tuple[str, str]] = set()  # a second copy in the batch is a duplicate too
            duplicates = 0
            for envelope in batch:
                event = envelope.event
                if isinstance(event, ChatMessage):
                    key = (event.platform, event.message_id)
                    if key in seen or key not in taken:
                        duplicates += 1
                        _LOGGER.info("duplicate %s message %s ignored", *key)
                        continue
                    seen.add(key)
                fresh.append(envelope)
            with self._ledger.batch():
                # a bug in the handler as a whole fails the unit: the batch is split and
                # each event tried alone (one message's own error is its result)
                results = self.handler.handle_many(fresh)
            done = _Done(list(zip(fresh, results, strict=True)), duplicates)
            for envelope, result in done.results:
                if not isinstance(result, Exception):
                    for reply in result:
                        done.routed.extend(self._targets_of(envelope.connector, reply))
            if self._replies is not None and done.routed:
                self._replies.queue(done.routed)
        self._count(batch, done)  # committed: the outcomes stand (still in the worker thread)
        return done


@dataclass(slots=True)
class _Done:
    """A committed batch: each fresh event's result, the duplicates, the replies to route."""

    results: list[tuple[Envelope, Sequence[Reply] | Exception]]
    duplicates: int
    routed: list[tuple[str, Reply]] = field(default_factory=list)
