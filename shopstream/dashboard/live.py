"""The live hub: what the running show tells the dashboard and the overlay, pushed in batches.

Interface (for the dashboard, the OBS overlay and the landing page):

Publishing (any thread, never blocks, O(1)): ``hub.publish(fact)`` with one of the frozen
facts below. The show's pipeline calls it from its worker thread after a batch committed;
the web routes and scheduled jobs from the event loop.

- :class:`ClaimSeen` a claim's outcome (time, platform, viewer, product, variant, qty,
  outcome: ``held``, ``waitlisted``, ``sold_out``, ``asked``, ...), keyed by ``claim``
  (``"platform:message_id"``, public in the chat already).
- :class:`ClaimUpdate` the link of a claim was opened / its order paid.
- :class:`ChatSeen` a chat message (or the show's own announcement) and what the bot
  understood it as (``understood``: the intent name, ``""`` for chatter) and did (``outcome``).
- :class:`ConnectorSeen` a connector's status changed (raw :class:`connectors.status.Status`
  value; :mod:`shopstream.dashboard.health` says it in plain words).
- :class:`ShowSeen` the show state: featured product, paused, closed, open drops with
  their end time (countdown).
- :class:`StockSeen` one variant's stock: sellable, held, sold, waitlist.
- :class:`FiguresSeen` revenue, orders, conversion so far (from the ledger/report) and
  sell-through per product.
- :class:`HoldsSeen` the unpaid holds with their expiry (host only; not for the overlay).

Facts carry display names only: ``viewer`` as the chat shows it, and
:func:`short_name` (first name or handle) for the overlay. They never carry tokens, page
ids, viewer ids, or a buyer's link code or URL.

Receiving (event loop): ``hub.snapshot()`` the whole current view (JSON-able dict) for the
first paint; ``async with hub.subscribe() as sub: async for batch in sub: ...`` yields
JSON-able batches ``{"type": "batch", "claims": [...], "updates": [...], "chat": [...],
"connectors": {...}, "show": {...} | None, "stock": {...}, "figures": {...} | None,
"holds": [...] | None, "per_minute": {"YYYY-MM-DDTHH:MM": n}, "outcomes": {...},
"missed": n}`` at most every ``interval`` seconds (claims and chat appended in order, the
rest: last value wins). A subscriber that falls ``max_queued`` batches behind gets its
queue replaced by one ``{"type": "snapshot", ...}`` (so it never slows the show nor grows
memory). ``overlay_view(batch_or_snapshot)`` keeps only what the overlay may show (short
names, featured, drops, stock; no chat text).

Running: ``await hub.run(stop)`` in the show's task group flushes every ``interval`` and
closes every subscription when it ends (their ``async for`` stops); tests call
``hub.flush()`` (event loop thread) instead of waiting.

In a show: ``ShowRunner.hub`` (the hub), ``ShowRunner.access``
(:class:`shopstream.dashboard.access.DashboardAccess`: ``overlay_allows(token)``,
``overlay_path()``), ``ShowRunner.dashboard`` (:class:`shopstream.dashboard.service.
DashboardService`); the web app's routers are put together in ``ShowRunner._web_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from shopstream.dashboard.health import plain_health

FEED_SIZE = 200  # claims and chat lines a first paint shows
MINUTES_KEPT = 60  # the claims-per-minute chart's span
_NAME_CHARS = 24


def short_name(name: str | None) -> str:
    """A viewer's first name or handle, for the overlay: the first word, at most 24 chars."""
    words = (name or "").strip().lstrip("@").split()
    return words[0][:_NAME_CHARS] if words else "someone"


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat(timespec="seconds") if at else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimSeen:
    """One claim and what the hold book decided."""

    at: datetime
    claim: str
    platform: str
    viewer: str
    product: str
    variant: str
    qty: int
    outcome: str

    def to_json(self) -> dict[str, object]:
        """The feed row (display names only)."""
        row: dict[str, object] = asdict(self)
        row["at"] = _iso(self.at)
        row["short"] = short_name(self.viewer)
        row["link_opened"] = False
        row["paid"] = False
        return row


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimUpdate:
    """Something happened to claims after their outcome: the link opened, or paid."""

    claims: tuple[str, ...]
    link_opened: bool = False
    paid: bool = False

    def to_json(self) -> dict[str, object]:
        """The update as the page applies it."""
        return {"claims": list(self.claims), "link_opened": self.link_opened, "paid": self.paid}


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatSeen:
    """A chat line and what the bot understood it as (``understood`` ``""``: chatter)."""

    at: datetime
    platform: str
    viewer: str
    text: str
    understood: str = ""
    outcome: str = ""

    def to_json(self) -> dict[str, object]:
        """The chat row."""
        row: dict[str, object] = asdict(self)
        row["at"] = _iso(self.at)
        row["text"] = self.text[:500]
        return row


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorSeen:
    """A connector's health (``status``: a :class:`connectors.status.Status` value)."""

    name: str
    platform: str
    status: str
    last_message_at: datetime | None = None
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        """The health row, with its plain words and advice."""
        words = plain_health(self.status)
        return {
            "name": self.name,
            "platform": self.platform,
            "status": self.status,
            "words": words.words,
            "level": words.level,
            "advice": words.advice,
            "last_message_at": _iso(self.last_message_at),
            "detail": self.detail[:200],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DropSeen:
    """An open drop: units left, per-buyer cap, when it ends (None: until closed)."""

    code: str
    title: str
    remaining: int
    total: int
    cap: int
    ends_at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        """The drop as the page shows it."""
        row: dict[str, object] = asdict(self)
        row["ends_at"] = _iso(self.ends_at)
        return row


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowSeen:
    """The show's state."""

    featured: str | None
    featured_title: str = ""
    featured_price: str = ""
    paused: bool = False
    closed: bool = False
    drops: tuple[DropSeen, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The show state as the page shows it."""
        return {
            "featured": self.featured,
            "featured_title": self.featured_title,
            "featured_price": self.featured_price,
            "paused": self.paused,
            "closed": self.closed,
            "drops": [d.to_json() for d in self.drops],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StockSeen:
    """One variant's stock for the lineup."""

    handle: str
    variant_id: str
    title: str
    sellable: int | None  # None: not tracked (unlimited)
    held: int = 0
    sold: int = 0
    waitlist: int = 0

    @property
    def key(self) -> str:
        """Where the page keeps it."""
        return f"{self.handle}/{self.variant_id}"

    def to_json(self) -> dict[str, object]:
        """The stock row."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class FiguresSeen:
    """The show's figures so far (amounts as text, in the shop's currency)."""

    revenue: str
    orders: int
    claims: int
    conversion: str  # e.g. "42%"
    sell_through: Mapping[str, str] = field(default_factory=dict)  # product title -> "40%"

    def to_json(self) -> dict[str, object]:
        """The figures."""
        return {**asdict(self), "sell_through": dict(self.sell_through)}


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldsSeen:
    """The unpaid holds (host's view: ``hold_id``, platform, viewer, product, variant, qty,
    ``expires_at``); never a link or a viewer id."""

    holds: tuple[Mapping[str, object], ...]

    def to_json(self) -> list[dict[str, object]]:
        """The rows."""
        return [dict(h) for h in self.holds]


Fact = (
    ClaimSeen
    | ClaimUpdate
    | ChatSeen
    | ConnectorSeen
    | ShowSeen
    | StockSeen
    | FiguresSeen
    | HoldsSeen
)


@dataclass(slots=True)
class _Pending:
    """What was published since the last flush (bounded: the oldest stream rows go)."""

    size: int
    claims: deque[ClaimSeen] = field(init=False)
    chat: deque[ChatSeen] = field(init=False)
    updates: list[ClaimUpdate] = field(default_factory=list)
    connectors: dict[str, ConnectorSeen] = field(default_factory=dict)
    stock: dict[str, StockSeen] = field(default_factory=dict)
    show: ShowSeen | None = None
    figures: FiguresSeen | None = None
    holds: HoldsSeen | None = None
    missed: int = 0  # stream rows that did not fit (the page says "and n more")
    # every claim published, listed or not: the chart and the outcome counts are whole
    per_minute: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.claims = deque(maxlen=self.size)
        self.chat = deque(maxlen=self.size)

    def empty(self) -> bool:
        return not (
            self.claims
            or self.chat
            or self.updates
            or self.connectors
            or self.stock
            or self.show
            or self.figures
            or self.holds
            or self.missed
        )


def _make_room(claims: deque[ClaimSeen]) -> None:
    """A batch's feed is full (a flash drop): the oldest row that is not a hold goes, so
    the host sees every winner; only when every row is a hold does the oldest go."""
    for i, row in enumerate(claims):
        if row.outcome != "held":
            del claims[i]
            return
    claims.popleft()


class Subscription:
    """One SSE client's batches; replaced by a snapshot when it falls behind."""

    def __init__(self, hub: LiveHub, max_queued: int) -> None:
        self._hub = hub
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=max_queued)
        self.resets = 0  # how often it fell behind
        self.closed = False

    def close(self) -> None:
        """End the subscription: what waits is dropped, the iteration stops (event loop)."""
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def offer(self, batch: dict[str, Any]) -> None:
        """Queue ``batch``; when full, drop what waits and queue a snapshot (event loop)."""
        if self.closed:
            return
        try:
            self.queue.put_nowait(batch)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.resets += 1
            self.queue.put_nowait(self._hub.snapshot())

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        item = await self.queue.get()
        if item is None:
            raise StopAsyncIteration
        return item


class LiveHub:
    """Collects facts from any thread and pushes coalesced batches to subscribers."""

    def __init__(
        self,
        *,
        interval: float = 0.15,
        feed_size: int = FEED_SIZE,
        max_queued: int = 16,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.interval = interval
        self.feed_size = feed_size
        self.max_queued = max_queued
        self._clock = clock
        self._lock = threading.Lock()
        self._pending = _Pending(feed_size)
        self._subs: set[Subscription] = set()
        # the current view, for a first paint (changed only by flush, in the event loop)
        self._claims: deque[dict[str, object]] = deque(maxlen=feed_size)
        self._by_claim: dict[str, dict[str, object]] = {}
        self._chat: deque[dict[str, object]] = deque(maxlen=feed_size)
        self._connectors: dict[str, dict[str, object]] = {}
        self._stock: dict[str, dict[str, object]] = {}
        self._show: dict[str, object] | None = None
        self._figures: dict[str, object] | None = None
        self._holds: list[dict[str, object]] = []
        self._per_minute: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM" (UTC) -> claims
        self._outcomes: dict[str, int] = {}
        self.published = 0
        self.batches = 0
        self.closed = False

    # -- publishing (any thread) ------------------------------------------------------------

    def publish(self, fact: Fact) -> None:
        """Note ``fact`` for the next batch; never blocks on subscribers."""
        with self._lock:
            p = self._pending
            self.published += 1
            if isinstance(fact, ClaimSeen):
                minute = fact.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
                p.per_minute[minute] = p.per_minute.get(minute, 0) + 1
                p.outcomes[fact.outcome] = p.outcomes.get(fact.outcome, 0) + 1
                if len(p.claims) == p.size:
                    p.missed += 1
                    _make_room(p.claims)
                p.claims.append(fact)
            elif isinstance(fact, ChatSeen):
                if len(p.chat) == p.size:
                    p.missed += 1
                p.chat.append(fact)
            elif isinstance(fact, ClaimUpdate):
                if len(p.updates) < p.size * 4:
                    p.updates.append(fact)
            elif isinstance(fact, ConnectorSeen):
                p.connectors[fact.name] = fact
            elif isinstance(fact, StockSeen):
                p.stock[fact.key] = fact
            elif isinstance(fact, ShowSeen):
                p.show = fact
            elif isinstance(fact, HoldsSeen):
                p.holds = fact
            else:
                p.figures = fact

    # -- flushing (event loop) --------------------------------------------------------------

    def flush(self) -> dict[str, Any] | None:
        """Turn what was published into one batch, apply it to the view, offer it to every
        subscriber; None when nothing was published."""
        with self._lock:
            p = self._pending
            if p.empty():
                return None
            self._pending = _Pending(self.feed_size)
        batch = self._apply(p)
        self.batches += 1
        for sub in list(self._subs):
            sub.offer(batch)
        return batch

    def _apply(self, p: _Pending) -> dict[str, Any]:
        claims = [c.to_json() for c in p.claims]
        for minute, n in p.per_minute.items():
            self._per_minute[minute] = self._per_minute.get(minute, 0) + n
        for outcome, n in p.outcomes.items():
            self._outcomes[outcome] = self._outcomes.get(outcome, 0) + n
        for fact, row in zip(p.claims, claims, strict=True):
            if len(self._claims) == self._claims.maxlen:
                old = self._claims[0]
                self._by_claim.pop(str(old["claim"]), None)
            self._claims.append(row)
            self._by_claim[fact.claim] = row
        while len(self._per_minute) > MINUTES_KEPT:
            del self._per_minute[min(self._per_minute)]
        for update in p.updates:
            for key in update.claims:
                seen = self._by_claim.get(key)
                if seen is not None:
                    seen["link_opened"] = bool(seen["link_opened"]) or update.link_opened
                    seen["paid"] = bool(seen["paid"]) or update.paid
        chat = [c.to_json() for c in p.chat]
        self._chat.extend(chat)
        connectors = {name: c.to_json() for name, c in p.connectors.items()}
        self._connectors.update(connectors)
        stock = {key: s.to_json() for key, s in p.stock.items()}
        self._stock.update(stock)
        show = p.show.to_json() if p.show else None
        if show is not None:
            self._show = show
        figures = p.figures.to_json() if p.figures else None
        if figures is not None:
            self._figures = figures
        holds = p.holds.to_json() if p.holds else None
        if holds is not None:
            self._holds = holds
        return {
            "type": "batch",
            "claims": claims,
            "updates": [u.to_json() for u in p.updates],
            "chat": chat,
            "connectors": connectors,
            "show": show,
            "stock": stock,
            "figures": figures,
            "holds": holds,
            "per_minute": dict(self._per_minute),
            "outcomes": dict(self._outcomes),
            "missed": p.missed,
        }

    def snapshot(self) -> dict[str, Any]:
        """The whole current view (JSON-able) for a first paint or a reset."""
        return {
            "type": "snapshot",
            "at": _iso(self._clock()),
            "claims": [dict(r) for r in self._claims],
            "chat": list(self._chat),
            "connectors": dict(self._connectors),
            "show": self._show,
            "stock": dict(self._stock),
            "figures": self._figures,
            "holds": list(self._holds),
            "per_minute": dict(self._per_minute),
            "outcomes": dict(self._outcomes),
        }

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription for as long as the block runs (one per SSE client)."""
        sub = Subscription(self, self.max_queued)
        if self.closed:
            sub.close()
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        """How many clients listen."""
        return len(self._subs)

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every ``interval`` until ``stop`` (then once more, and close)."""
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)
                self.flush()
        finally:
            self.close()

    def close(self) -> None:
        """End every subscription (the show is over: SSE streams end, the server can stop)."""
        self.closed = True
        for sub in list(self._subs):
            sub.close()


_OVERLAY_CLAIM_KEYS = ("at", "platform", "short", "product", "variant", "qty", "outcome")


def overlay_view(view: Mapping[str, Any]) -> dict[str, Any]:
    """What the overlay may show of a batch or snapshot: short names, featured product,
    drops and stock; no chat text, no full names, no connector details."""
    return {
        "type": view.get("type", "batch"),
        "claims": [
            {k: c.get(k) for k in _OVERLAY_CLAIM_KEYS}
            for c in view.get("claims", [])
            if c.get("outcome") == "held"
        ][-20:],
        "show": view.get("show"),
        "stock": view.get("stock", {}),
    }


__all__ = [
    "ChatSeen",
    "ClaimSeen",
    "ClaimUpdate",
    "ConnectorSeen",
    "DropSeen",
    "Fact",
    "FiguresSeen",
    "HoldsSeen",
    "LiveHub",
    "ShowSeen",
    "StockSeen",
    "Subscription",
    "overlay_view",
    "short_name",
]
