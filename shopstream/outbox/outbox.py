"""One outbox per connector and channel: priority, platform limits, coalescing, retries."""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from connectors.backoff import Backoff
from connectors.errors import ConnectorError, RateLimited, TransientError
from connectors.events import Priority, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Status
from connectors.text import TextTooLong, normalise_spaces, split_text
from shopstream.outbox.budget import BudgetPolicy, Need, plan
from shopstream.outbox.coalesce import can_coalesce, can_digest, pack
from shopstream.outbox.pacing import Pacer, SendRecord, find_violations, same_text_key
from shopstream.outbox.store import MemorySentKeys, SentKeyStore
from shopstream.outbox.text import vary
from shopstream.show.config import OutboxConfig

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class SentLookup(Protocol):
    """A sender that can tell whether the platform has a message that is ``reply``
    (its own earlier send, found by its text in the channel or thread)."""

    async def find_sent(self, reply: Reply) -> str | None:
        """The platform's id of the message that is ``reply``, or None if it has none.

        Raises when it cannot tell (then the reply stays in doubt).
        """
        ...


class ReplySender(Protocol):
    """The part of a connector the outbox uses (``connectors.base.Connector`` fits)."""

    @property
    def limits(self) -> PlatformLimits:
        """The platform's limits now."""
        ...

    async def send(self, reply: Reply) -> SendResult:
        """Send one reply already fitted to ``limits``."""
        ...


def _earliest(heap: list[_Entry], keep: Callable[[_Entry], bool], limit: int) -> list[_Entry]:
    """The first ``limit`` entries of ``heap`` that ``keep`` accepts, in heap order.

    Walks the heap's tree best first, so it visits about as many entries as it returns
    when those come first (claim replies at the head of the queue), not the whole heap.
    """
    out: list[_Entry] = []
    frontier: list[tuple[_Entry, int]] = [(heap[0], 0)] if heap and limit > 0 else []
    while frontier and len(out) < limit:
        entry, at = heapq.heappop(frontier)
        if keep(entry):
            out.append(entry)
        for child in (2 * at + 1, 2 * at + 2):
            if child < len(heap):
                heapq.heappush(frontier, (heap[child], child))
    return out


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _pacing(limits: PlatformLimits) -> PlatformLimits:
    """The limits without the send budget (it moves with every send; read it afresh)."""
    return limits if limits.sends_left is None else replace(limits, sends_left=None)


@dataclass(slots=True)
class OutboxStats:
    """Counters of one outbox (``violations`` is recomputed from the send log).

    With a send budget (``limits.sends_left``): ``budget_skipped`` counts answers and
    announcements dropped because the budget could not cover them, ``budget_waits`` the
    times nothing could be sent because it was spent, ``sends_left`` its last reading.
    """

    queued: int = 0
    sent_messages: int = 0
    sent_replies: int = 0
    coalesced_messages: int = 0
    coalesced_buyers: int = 0
    dropped_stale: int = 0
    duplicates_skipped: int = 0
    retries: int = 0
    failed: int = 0
    varied: int = 0
    split_messages: int = 0
    violations: int = 0
    budget_skipped: int = 0
    budget_waits: int = 0
    sends_left: int | None = None
    # the transactional outbox: replies found stored at start (a crash, a restart), keys
    # found taken but never marked (the platform may or may not have them: in doubt), claim
    # replies that could not be sent for good (buyers never told), sends retried while the
    # connector was not ready (restarting) and steps put back after an error
    resumed: int = 0
    in_doubt: int = 0
    untold: int = 0
    not_ready_retries: int = 0
    requeued: int = 0
    # keys in doubt settled by looking the message up on the platform: found (marked sent)
    # or not found (sent now)
    doubts_sent: int = 0
    doubts_requeued: int = 0
    # where the platform forbids combined replies: identical claim replies told by one
    # top-level message (``digest_messages`` messages for ``digest_buyers`` buyers)
    digest_messages: int = 0
    digest_buyers: int = 0
    private_sent: int = 0


@dataclass(slots=True)
class _Item:
    reply: Reply
    seq: int
    enqueued_at: float


_Entry = tuple[int, int, _Item]  # (priority, seq, item): the outbox heap's order


class Outbox:
    """Send one channel's replies in priority order without breaking the platform's limits.

    Claim outcomes go before answers before announcements; within a priority, private replies
    on a platform whose private replies have limits of their own (Facebook's Send API) go
    first, paced by those limits, then first in first out. Where a platform forbids combined
    replies but allows a digest (Facebook), ``config.digest_min_buyers`` or more queued claim
    replies with the same text (a sold-out notice) go out as one top-level message.

    Every message respects the sliding-window count, minimum interval, length and duplicate
    rules of ``limits`` (a private one those of ``limits.private_lane``); each handed-over
    message is logged in :attr:`log` so :meth:`violations` can check the limits
    independently. A reply key is taken in
    ``store`` before its message is sent, so no key is ever sent twice, across restarts
    and processes. Time is injected: ``clock`` is monotonic seconds, ``sleep`` waits.

    When the sender declares a send budget (``sender.limits.sends_left``, e.g. YouTube's
    daily quota) no message is handed over that the budget cannot cover; when sends are
    scarce, answers and announcements the budget cannot cover are dropped (claims only
    wait) and claims wait a moment for more buyers to share a message (see
    :mod:`shopstream.outbox.budget`).

    Args:
        sender: The connector (``send(reply)`` and ``limits``).
        platform: Platform name, recorded with the keys.
        channel: Channel id, recorded with the keys.
        config: Staleness, retry and coalescing settings.
        store: Where taken keys persist (default: in memory).
        limits: Overrides ``sender.limits`` (pacing only; the budget is always the sender's).
        budget: How a declared send budget is spent.
        clock: Monotonic time in seconds.
        sleep: Async sleep taking seconds.
        wall: Current UTC time (to age replies by ``created_at``).
        name: The connector's name in the reply rows (``store.queued(name)``): when given,
            :meth:`run` first sends what an earlier run stored and never sent.
        patience: How long (seconds) a send may keep failing because the connector is not
            ready (restarting) before the reply is given up.
    """

    def __init__(
        self,
        sender: ReplySender,
        *,
        platform: str,
        channel: str,
        config: OutboxConfig | None = None,
        store: SentKeyStore | None = None,
        limits: PlatformLimits | None = None,
        budget: BudgetPolicy | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall: Callable[[], datetime] = _utc_now,
        name: str | None = None,
        patience: float = 300.0,
    ) -> None:
        self.sender = sender
        self.name = name
        self._patience = patience
        self._inflight: list[Reply] = []  # popped by the step running now
        self._resumed = False  # the stored replies were read (run() does it once)
        self.platform = platform
        self.channel = channel
        self.config = config or OutboxConfig()
        self.limits = _pacing(limits or sender.limits)
        self.budget = budget or BudgetPolicy()
        self._follow = limits is None
        self._appended = 0  # records ever appended to the log
        self._epochs: list[tuple[int, PlatformLimits]] = [(0, self.limits)]
        self.store: SentKeyStore = store if store is not None else MemorySentKeys()
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._pacer = self._new_pacer(self.limits)
        self._private_pacer = self._new_private_pacer(self.limits)
        self._heap: list[_Entry] = []
        self._seq = 0
        self._known: dict[str, None] = {}  # insertion-ordered, bounded
        self._wake = asyncio.Event()
        self._private_put = asyncio.Event()  # a private reply joined the queue
        self._idle = asyncio.Event()
        self._idle.set()
        self._stats = OutboxStats()
        self.log: deque[SendRecord] = deque(maxlen=self.config.log_size)
        self._backoff = Backoff(
            base=self.config.retry_base_seconds, cap=self.config.retry_cap_seconds, jitter=0.0
        )

    # --- public API ----------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Replies waiting to be sent."""
        return len(self._heap)

    @property
    def stats(self) -> OutboxStats:
        """A snapshot of the counters, with ``violations`` checked from the send log and
        ``sends_left`` read from the sender now."""
        snap = replace(self._stats)
        snap.violations = len(self.violations())
        snap.sends_left = self.sender.limits.sends_left
        return snap

    def violations(self) -> list[str]:
        """Check the send log against the limits in force at each send; one line per problem."""
        records = list(self.log)
        lane = self.limits.private_lane
        problems: list[str] = []
        if lane is not None:  # private replies are checked against their own limits
            private = [r for r in records if r.private]
            problems += [f"private {line}" for line in find_violations(private, lane)]
        base = self._appended - len(records)  # log index of records[0]
        for i, (start, limits) in enumerate(self._epochs):
            end = self._epochs[i + 1][0] if i + 1 < len(self._epochs) else self._appended
            first, last = max(start, base) - base, end - base
            if last <= first:
                continue
            reach = max(
                limits.window_seconds,
                limits.duplicate_window_seconds,
                limits.min_interval_seconds,
            )
            lead = first
            while lead > 0 and records[first].at - records[lead - 1].at < reach:
                lead -= 1
            segment, context = records[lead:last], first - lead
            if limits.private_lane is not None:
                context = sum(1 for r in records[lead:first] if not r.private)
                segment = [r for r in segment if not r.private]
            problems += find_violations(segment, limits, context=context)
        return problems

    def update_limits(self, limits: PlatformLimits) -> None:
        """Apply new limits from now on (slow mode switched on, moderator status changed).

        Messages already sent count against the new limits, so tightening never breaks
        them. The outbox calls this itself when ``sender.limits`` changes, unless limits
        were given to the constructor.
        """
        limits = _pacing(limits)
        if limits == self.limits:
            return
        _LOGGER.info("outbox %s: limits now %s", self.channel, limits)
        pacer = self._new_pacer(limits)
        private = self._new_private_pacer(limits)
        for record in self.log:
            (private if record.private and private is not None else pacer).record(
                record.at, record.text
            )
        pacer.block_until(self._pacer.blocked_until)
        if private is not None and self._private_pacer is not None:
            private.block_until(self._private_pacer.blocked_until)
        self._pacer = pacer
        self._private_pacer = private
        self.limits = limits
        self._epochs.append((self._appended, limits))

    async def put(self, reply: Reply) -> None:
        """Queue ``reply`` unless this outbox saw its key recently (then it is skipped).

        Keys sent before a restart or by another process are skipped when their turn comes
        (the store refuses to give them out twice), so ``put`` does no database work.
        """
        if reply.key in self._known:
            self._stats.duplicates_skipped += 1
            _LOGGER.debug("outbox %s: skip repeated key %s", self.channel, reply.key)
            return
        self._known[reply.key] = None
        if len(self._known) > self.config.remember_keys:
            del self._known[next(iter(self._known))]
        self._seq += 1
        item = _Item(reply=reply, seq=self._seq, enqueued_at=self._clock())
        heapq.heappush(self._heap, (self._rank(reply), self._seq, item))
        self._stats.queued += 1
        self._idle.clear()
        self._wake.set()
        if self._in_private_lane(reply):
            self._private_put.set()

    async def resume(self) -> int:
        """Queue the replies an earlier run stored for this connector and never sent.

        Returns how many. Keys taken but never marked (the process died between asking the
        platform and recording its answer) are counted in ``stats.in_doubt``: they are not
        sent again (at most once per key).
        """
        if self.name is None:
            return 0
        self._resumed = True
        await self._settle_doubts()
        counts = await self.store.counts(self.name)
        self._stats.in_doubt = counts.get("sending", 0)
        found = await self.recover()
        if found or self._stats.in_doubt:
            _LOGGER.warning(
                "outbox %s: %d stored replies resumed, %d in doubt (taken, never marked)",
                self.channel,
                found,
                self._stats.in_doubt,
            )
        return found

    async def _settle_doubts(self) -> None:
        """Close the crash window where the platform lets us look a sent message up.

        A key taken but never marked was perhaps sent: where the sender implements
        :class:`SentLookup`, a reply it finds is marked sent (with the platform's id) and
        one it does not find is queued again. A combined claim message cannot be matched by
        one buyer's text, so coalescible replies stay in doubt (never sent twice).
        """
        lookup = getattr(self.sender, "find_sent", None)
        if lookup is None or self.name is None:
            return
        for reply in await self.store.in_doubt(self.name):
            if self.limits.coalesce and can_coalesce(reply):
                continue
            if self.limits.digest and can_digest(reply):
                continue  # perhaps told by a digest, whose text is not its own
            try:
                found = await self._look_up(lookup, reply)
            except Exception:
                _LOGGER.exception("outbox %s: could not look %s up", self.channel, reply.key)
                continue  # stays in doubt: never sent twice
            if found is not None:
                await self.store.finish(
                    [reply.key], status="sent", message_key=reply.key, platform_message_id=found
                )
                self._stats.doubts_sent += 1
            else:
                await self.store.requeue([reply.key])
                self._stats.doubts_requeued += 1

    async def _look_up(
        self, lookup: Callable[[Reply], Awaitable[str | None]], reply: Reply
    ) -> str | None:
        """Ask the platform, waiting (up to ``patience``) while the connector is not open."""
        since = self._clock()
        while True:
            try:
                return await lookup(reply)
            except Exception as exc:
                if not self._not_ready(exc) or self._clock() - since >= self._patience:
                    raise
                await self._sleep(self._backoff.next_delay())

    async def recover(self) -> int:
        """Queue this connector's stored replies not yet taken (those already queued here
        are left as they are): after a start, or after a batch whose commit went through
        unacknowledged. Returns how many were queued now."""
        if self.name is None:
            return 0
        found = [r for r in await self.store.queued(self.name) if r.key not in self._known]
        for reply in found:
            await self.put(reply)
        self._stats.resumed += len(found)
        return len(found)

    async def run(self) -> None:
        """Send stored, then queued, replies forever (cancel the task to stop)."""
        while not self._resumed:
            try:
                await self.resume()
                break
            except Exception:  # the database is down: try again, the show goes on
                _LOGGER.exception("outbox %s: could not read the stored replies", self.channel)
                await self._sleep(self._backoff.next_delay())
        self._backoff.reset()
        while True:
            if not self._heap:
                self._wake.clear()
                self._idle.set()
                await self._wake.wait()
                continue
            if not await self._guarded_step():
                await self._sleep(self.budget.recheck_seconds)  # the send budget is spent

    async def drained(self) -> None:
        """Wait until :meth:`run` has handled everything queued so far."""
        await self._idle.wait()

    async def flush(self) -> None:
        """Send until the queue is empty or what is left waits for the send budget."""
        while self._heap:
            if not await self._guarded_step():
                return
        self._idle.set()

    async def _guarded_step(self) -> bool:
        """Run one step; a failure (say, the database is down) costs a pause, not the replies.

        What the step had taken off the queue goes back on it (each reply of a combined
        message, not the message as a whole); a key the store already gave out is refused
        when its turn comes again, so nothing is sent twice. Returns False when nothing
        could be sent because the send budget is spent.
        """
        try:
            return await self._step()
        except Exception:
            back, self._inflight = self._inflight, []
            for reply in back:
                self._requeue(reply)
            self._stats.requeued += len(back)
            wait = self._backoff.next_delay()
            _LOGGER.exception(
                "outbox %s: a step failed; %d replies back in the queue, next try in %.1f s",
                self.channel,
                len(back),
                wait,
            )
            await self._sleep(wait)
            return True
        finally:
            self._inflight = []

    def _requeue(self, reply: Reply) -> None:
        self._seq += 1
        item = _Item(reply=reply, seq=self._seq, enqueued_at=self._clock())
        heapq.heappush(self._heap, (self._rank(reply), self._seq, item))

    def _rank(self, reply: Reply) -> int:
        """Heap order: priority, and within it a private reply with a lane of its own first."""
        lane = 0 if self._in_private_lane(reply) else 1
        return 2 * int(reply.priority) + lane

    def _in_private_lane(self, reply: Reply) -> bool:
        return reply.private and self.limits.private_lane is not None

    def _pacer_for(self, private: bool) -> Pacer:
        """The pacer of the lane a message goes by."""
        if private and self._private_pacer is not None:
            return self._private_pacer
        return self._pacer

    # --- one step ------------------------------------------------------------------------

    def _new_pacer(self, limits: PlatformLimits) -> Pacer:
        burst = math.ceil(limits.max_messages * self.config.burst_fraction)
        return Pacer(limits, burst=burst)

    @staticmethod
    def _new_private_pacer(limits: PlatformLimits) -> Pacer | None:
        lane = limits.private_lane
        return Pacer(lane) if lane is not None else None

    async def _wait_for_slot(self, *, private: bool = False) -> None:
        if self._follow and (limits := _pacing(self.sender.limits)) != self.limits:
            self.update_limits(limits)
        while (wait := self._pacer_for(private).wait_time(self._clock())) > 0:
            await self._sleep(wait)

    async def _public_slot_unless_private(self) -> bool:
        """Wait for the public pace, unless a private reply is queued meanwhile (its own
        lane need not wait for the public one). Returns whether the public slot came."""
        while True:
            if self._follow and (limits := _pacing(self.sender.limits)) != self.limits:
                self.update_limits(limits)
            wait = self._pacer.wait_time(self._clock())
            if wait <= 0:
                return True
            self._private_put.clear()
            sleeping = asyncio.ensure_future(self._sleep(wait))
            arrived = asyncio.ensure_future(self._private_put.wait())
            try:
                await asyncio.wait((sleeping, arrived), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeping, arrived):
                    task.cancel()
                await asyncio.gather(sleeping, arrived, return_exceptions=True)
            if arrived.done() and not arrived.cancelled():
                return False

    def _is_stale(self, item: _Item) -> bool:
        reply = item.reply
        if reply.priority is Priority.CLAIM:
            return False
        limit = (
            self.config.stale_answer_seconds
            if reply.priority is Priority.ANSWER
            else self.config.stale_announcement_seconds
        )
        if reply.created_at is not None:
            age = (self._wall() - reply.created_at).total_seconds()
        else:
            age = self._clock() - item.enqueued_at
        return age > limit

    async def _step(self) -> bool:
        head = self._heap[0][2].reply if self._heap else None
        private = head is not None and self._in_private_lane(head)
        if not private and self._private_pacer is not None:
            if not await self._public_slot_unless_private():
                return True  # a private reply came: it goes first, look again
        else:
            await self._wait_for_slot(private=private)
        if not self._heap:
            return True
        left = self._sends_left()
        if left is not None:
            scarce = self._ration(left)
            if not self._heap:
                return True
            if left < 1:
                self._stats.budget_waits += 1
                return False
            if scarce and await self._gather():
                return True
        _, _, item = heapq.heappop(self._heap)
        self._inflight = [item.reply]
        if self._is_stale(item):
            self._stats.dropped_stale += 1
            _LOGGER.info("outbox %s: dropped stale reply %s", self.channel, item.reply.key)
            return True
        if self.limits.coalesce and can_coalesce(item.reply):
            batch = self._take_coalescible(item)
            if len(batch) > 1:
                await self._send_coalesced(batch)
                return True
        if self.limits.digest and not self.limits.coalesce and can_digest(item.reply):
            batch = self._take_digest(item)
            if len(batch) > 1:
                await self._send_digest(batch)
                return True
        if self._in_private_lane(item.reply) and self.config.private_concurrency > 1:
            await self._send_private_lane(item)
            return True
        await self._send_single(item.reply)
        return True

    # --- the send budget -----------------------------------------------------------------

    def _sends_left(self) -> int | None:
        """Read the sender's send budget now (None: it declares none)."""
        left = self.sender.limits.sends_left
        self._stats.sends_left = left
        return left

    def _parts(self, reply: Reply) -> int:
        text, _ = self._compose(reply)
        try:
            parts = len(split_text(text, self.limits.length_rule))
        except TextTooLong:
            parts = 1  # it will be dropped as too long; it costs no more than one send
        return max(1, min(parts, self.config.max_parts))

    def _needs(self) -> list[Need]:
        """What the queue needs, in send order; coalescible claims packed as they would be."""
        entries = sorted(self._heap, key=lambda e: (e[0], e[1]))
        group = [e[2].reply for e in entries if self.limits.coalesce and can_coalesce(e[2].reply)]
        needs: list[Need] = []
        i, most = 0, self.config.coalesce_max_buyers
        while i < len(group):
            _, n = pack(group[i : i + most], self.limits.length_rule, most)
            needs.append(Need(group[i].key, Priority.CLAIM, 1 if n else self._parts(group[i])))
            i += max(1, n)
        grouped = {r.key for r in group}
        for _, _, item in entries:
            if item.reply.key not in grouped:
                reply = item.reply
                needs.append(Need(reply.key, reply.priority, self._parts(reply)))
        return needs

    def _ration(self, left: int) -> bool:
        """Drop what the budget cannot cover (never claims); return whether sends are scarce."""
        reserve = self.budget.claim_reserve
        if left > reserve and left >= len(self._heap) * self.config.max_parts + reserve:
            return False  # covers everything queued, whatever the texts
        decision = plan(left, self._needs(), claim_reserve=reserve)
        if decision.shed:
            shed = set(decision.shed)
            self._heap = [e for e in self._heap if e[2].reply.key not in shed]
            heapq.heapify(self._heap)
            self._stats.budget_skipped += len(shed)
            _LOGGER.info(
                "outbox %s: %d sends left; dropped %d lower-priority replies",
                self.channel,
                left,
                len(shed),
            )
        return decision.scarce

    async def _gather(self) -> bool:
        """Let a claim message that still has room wait briefly for more buyers.

        Returns True if it waited (the caller looks at the queue again).
        """
        head = self._heap[0][2]
        if not (self.limits.coalesce and can_coalesce(head.reply)):
            return False
        group = sorted((e for e in self._heap if can_coalesce(e[2].reply)), key=lambda e: e[1])
        most = self.config.coalesce_max_buyers
        _, n = pack([e[2].reply for e in group[:most]], self.limits.length_rule, most)
        if n < min(len(group), most) or n >= most:
            return False  # the message is full: send it now
        wait = min(e[2].enqueued_at for e in group) + self.budget.gather_seconds - self._clock()
        if wait <= 0:
            return False
        await self._sleep(wait)
        return True

    async def _wait_for_budget(self) -> int | None:
        """Wait until the budget covers one more message; return what it declares."""
        while (left := self._sends_left()) is not None and left < 1:
            self._stats.budget_waits += 1
            await self._sleep(self.budget.recheck_seconds)
        return left

    def _take_coalescible(self, first: _Item) -> list[Reply]:
        # only the earliest few can share the message: read them off the heap, not the whole
        # queue sorted (a flash drop queues thousands; this runs before every send)
        most = self.config.coalesce_max_buyers
        others = _earliest(self._heap, lambda e: can_coalesce(e[2].reply), max(0, most - 1))
        if not others:
            return [first.reply]
        candidates = [first.reply] + [e[2].reply for e in others]
        _, n = pack(candidates, self.limits.length_rule, self.config.coalesce_max_buyers)
        if n <= 1:
            return [first.reply]
        taken_seqs = {e[1] for e in others[: n - 1]}
        self._heap = [e for e in self._heap if e[1] not in taken_seqs]
        heapq.heapify(self._heap)
        self._inflight = candidates[:n]
        return candidates[:n]

    async def _send_private_lane(self, first: _Item) -> None:
        """Send ``first`` and the private replies queued behind it at once, up to
        ``config.private_concurrency``: their lane takes many a second, more than one
        round trip at a time allows. Each is its own reply, key and pace slot."""
        batch = [first.reply]
        while len(batch) < self.config.private_concurrency and self._heap:
            head = self._heap[0][2]
            if not self._in_private_lane(head.reply) or self._is_stale(head):
                break
            heapq.heappop(self._heap)
            batch.append(head.reply)
        self._inflight = batch
        results = await asyncio.gather(
            *(self._send_single(reply) for reply in batch), return_exceptions=True
        )
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed  # the step puts the batch back; keys already taken are not resent

    def _take_digest(self, first: _Item) -> list[Reply]:
        """Take ``first`` and every queued claim reply with its text, when there are at
        least ``config.digest_min_buyers`` of them (else only ``first``)."""
        key = same_text_key(first.reply.text)
        same = [
            e
            for e in self._heap
            if can_digest(e[2].reply) and same_text_key(e[2].reply.text) == key
        ]
        if 1 + len(same) < self.config.digest_min_buyers:
            return [first.reply]
        taken = {e[1] for e in same}
        self._heap = [e for e in self._heap if e[1] not in taken]
        heapq.heapify(self._heap)
        batch = [first.reply] + [e[2].reply for e in sorted(same, key=lambda e: e[1])]
        self._inflight = batch
        return batch

    async def _send_digest(self, batch: list[Reply]) -> None:
        """Tell every buyer of ``batch`` (one text) with one top-level message."""
        won = await self.store.take(
            [r.key for r in batch], platform=self.platform, channel=self.channel
        )
        replies = [r for r in batch if r.key in won]
        self._stats.duplicates_skipped += len(batch) - len(replies)
        if not replies:
            return
        first = replies[0]
        message = Reply(
            platform=first.platform,
            channel=first.channel,
            text=normalise_spaces(first.text),
            key=f"digest:{first.key}+{len(replies) - 1}",
            priority=Priority.CLAIM,
            created_at=first.created_at,
        )  # no reply_to_id: a top-level message (on Facebook, a comment on the live video)
        keys = [r.key for r in replies]
        result = await self._deliver(message, tuple(keys))
        await self._finish(message.key, keys, result, claim=True)
        if result is not None and result.sent:
            self._stats.digest_messages += 1
            self._stats.digest_buyers += len(replies)

    async def _send_coalesced(self, batch: list[Reply]) -> None:
        won = await self.store.take(
            [r.key for r in batch], platform=self.platform, channel=self.channel
        )
        replies = [r for r in batch if r.key in won]
        self._stats.duplicates_skipped += len(batch) - len(replies)
        if not replies:
            return
        text, n = pack(replies, self.limits.length_rule, self.config.coalesce_max_buyers)
        first = replies[0]
        message = Reply(
            platform=first.platform,
            channel=first.channel,
            text=text,
            key=f"{first.key}+{n - 1}",
            priority=Priority.CLAIM,
            created_at=first.created_at,
        )
        result = await self._deliver(message, tuple(r.key for r in replies))
        await self._finish(message.key, [r.key for r in replies], result, claim=True)
        if result is not None and result.sent and n > 1:
            self._stats.coalesced_messages += 1
            self._stats.coalesced_buyers += n

    def _compose(self, reply: Reply) -> tuple[str, bool]:
        """Return the text to send and whether the mention was written into it."""
        text = normalise_spaces(reply.text)
        threaded = self.limits.threads and reply.reply_to_id is not None
        if not reply.mention or threaded or reply.private:
            return text, False
        tag = f"@{reply.mention}"
        if re.search(rf"(?<!\w){re.escape(tag)}(?!\w)", text, re.IGNORECASE):
            return text, True
        return f"{tag} {text}", True

    async def _private_route(self, reply: Reply) -> Reply:
        """Keep ``private`` only where the platform allows one more private reply.

        A comment gets at most one private reply (Facebook's rule); any later private
        reply to it, or one on a platform without private replies, goes out publicly.
        """
        if not reply.private:
            return reply
        if self.limits.private_replies and reply.reply_to_id:
            route = f"private:{self.platform}:{reply.reply_to_id}"
            won = await self.store.take([route], platform=self.platform, channel=self.channel)
            if route in won:
                await self.store.finish([route], status="sent", message_key=reply.key)
                return reply
        _LOGGER.info("outbox %s: reply %s goes public", self.channel, reply.key)
        return replace(reply, private=False)

    async def _send_single(self, reply: Reply) -> None:
        won = await self.store.take([reply.key], platform=self.platform, channel=self.channel)
        if reply.key not in won:
            self._stats.duplicates_skipped += 1
            return
        reply = await self._private_route(reply)
        text, inlined = self._compose(reply)
        try:
            parts = split_text(text, self.limits.length_rule)
        except TextTooLong as exc:
            _LOGGER.warning("outbox %s: reply %s cannot fit (%s)", self.channel, reply.key, exc)
            parts = []
        if len(parts) > self.config.max_parts:
            _LOGGER.warning(
                "outbox %s: reply %s needs %d messages; sending the first %d",
                self.channel,
                reply.key,
                len(parts),
                self.config.max_parts,
            )
            parts = parts[: self.config.max_parts]
        if not parts:
            _LOGGER.warning("outbox %s: reply %s cannot fit; dropped", self.channel, reply.key)
            await self._finish(
                reply.key,
                [reply.key],
                SendResult(sent=False, drop_reason="too_long"),
                claim=reply.priority is Priority.CLAIM,
            )
            return
        left = self._sends_left()
        if left is not None and 0 < left < len(parts):
            _LOGGER.info(
                "outbox %s: reply %s sends %d of %d parts (send budget)",
                self.channel,
                reply.key,
                left,
                len(parts),
            )
            parts = parts[:left]
        if len(parts) > 1:
            self._stats.split_messages += 1
        result: SendResult | None = None
        for i, part in enumerate(parts):
            message = replace(
                reply,
                text=part,
                key=reply.key if i == 0 else f"{reply.key}#{i + 1}",
                mention=None if inlined else reply.mention,
            )
            result = await self._deliver(message, (reply.key,))
            if result is None or not result.sent:
                break
            if i + 1 < len(parts):
                await self._wait_for_slot()
        await self._finish(reply.key, [reply.key], result, claim=reply.priority is Priority.CLAIM)

    async def _finish(
        self,
        message_key: str,
        keys: list[str],
        result: SendResult | None,
        *,
        claim: bool = False,
    ) -> None:
        if result is not None and result.sent:
            self._stats.sent_replies += len(keys)
            await self.store.finish(
                keys,
                status="sent",
                message_key=message_key,
                platform_message_id=result.platform_message_id,
            )
            return
        self._stats.failed += len(keys)
        if claim:
            self._stats.untold += len(keys)
            _LOGGER.warning("outbox %s: claim replies %s never told", self.channel, keys)
        detail = result.drop_reason if result is not None else "send_failed"
        await self.store.finish(keys, status="failed", message_key=message_key, detail=detail)

    async def _deliver(self, message: Reply, keys: tuple[str, ...]) -> SendResult | None:
        """Hand one message to the connector, retrying transient errors; None if given up."""
        attempts = 0
        text = message.text
        not_ready_since: float | None = None
        private = self._in_private_lane(message)
        pacer = self._pacer_for(private)
        while True:
            await self._wait_for_slot(private=private)
            left = await self._wait_for_budget()
            now = self._clock()
            variant = 1
            while pacer.is_repeat(text, now):
                variant += 1
                text = vary(message.text, variant, self.limits.length_rule)
            if variant > 1:
                self._stats.varied += 1
            pacer.record(now, text)
            self.log.append(
                SendRecord(at=now, text=text, keys=keys, sends_left=left, private=private)
            )
            self._appended += 1
            attempts += 1
            try:
                result = await self.sender.send(replace(message, text=text))
            except RateLimited as exc:
                delay = exc.retry_after if exc.retry_after is not None else None
                if not self._retry(message, attempts, exc, delay):
                    return None
                continue
            except TransientError as exc:
                if not self._retry(message, attempts, exc, None):
                    return None
                continue
            except Exception as exc:
                if self._not_ready(exc):  # restarting: the reply waits for it, not dropped
                    not_ready_since = self._clock() if not_ready_since is None else not_ready_since
                    if self._clock() - not_ready_since < self._patience:
                        attempts -= 1  # a connector restart is not the message's fault
                        self._stats.not_ready_retries += 1
                        self._wait_a_moment(message, exc)
                        continue
                if isinstance(exc, ConnectorError):
                    _LOGGER.error("outbox %s: %s not sent: %s", self.channel, message.key, exc.key)
                else:
                    _LOGGER.exception(
                        "outbox %s: connector failed sending %s", self.channel, message.key
                    )
                return None
            self._backoff.reset()
            if result.sent:
                self._stats.sent_messages += 1
                self._stats.private_sent += private
            else:
                _LOGGER.info(
                    "outbox %s: platform refused %s (%s)",
                    self.channel,
                    message.key,
                    result.drop_reason,
                )
            return result

    def _not_ready(self, exc: Exception) -> bool:
        """Whether a send failed because the connector is not open now (it is restarting):
        its status says it is not ok (a closed connector raises whatever its API does:
        YouTube a RuntimeError, Twitch a FatalError "not open"). Without a status, any
        error that is not the connector's own verdict counts as not ready."""
        status = getattr(getattr(self.sender, "health", None), "status", None)
        if status is None:
            return not isinstance(exc, ConnectorError)
        return status not in {Status.OK, Status.RATE_LIMITED}

    def _wait_a_moment(self, message: Reply, exc: Exception) -> None:
        wait = self._backoff.next_delay()
        self._pacer_for(self._in_private_lane(message)).block_until(self._clock() + wait)
        _LOGGER.info(
            "outbox %s: connector not ready (%s) for %s; retrying in %.1f s",
            self.channel,
            type(exc).__name__,
            message.key,
            wait,
        )

    def _retry(
        self, message: Reply, attempts: int, exc: ConnectorError, delay: float | None
    ) -> bool:
        if attempts >= self.config.max_attempts:
            _LOGGER.warning(
                "outbox %s: giving up on %s after %d attempts (%s)",
                self.channel,
                message.key,
                attempts,
                exc.key,
            )
            return False
        wait = delay if delay is not None else self._backoff.next_delay()
        self._stats.retries += 1
        self._pacer_for(self._in_private_lane(message)).block_until(self._clock() + wait)
        _LOGGER.info(
            "outbox %s: %s on %s; retrying in %.1f s", self.channel, exc.key, message.key, wait
        )
        return True
