"""The dashboard's side of a running show: it turns the pipeline's results into live facts,
runs the buttons through the chat commands' path, and refreshes stock and figures.

Built by :class:`shopstream.runtime.show.ShowRunner` (which owns the outboxes); the web
routes (:mod:`shopstream.dashboard.web`) call :meth:`DashboardService.control`,
:meth:`remind` and :meth:`release`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.events import ChatMessage, Reply
from shopstream.core import Core
from shopstream.dashboard.actions import DASHBOARD, Refused, outcome_message, parse_control
from shopstream.dashboard.live import (
    ChatSeen,
    ClaimSeen,
    ClaimUpdate,
    ConnectorSeen,
    DropSeen,
    HoldsSeen,
    LiveHub,
    ShowSeen,
)
from shopstream.dashboard.views import (
    HoldRow,
    figures_seen,
    free_by_code,
    hold_json,
    hold_rows,
    lineup_variants,
    read_changes,
    read_funnel,
    read_lines,
    read_stock_rows,
    read_unpaid,
    sell_through,
    stock_seen,
)
from shopstream.handlers.asking import show_command
from shopstream.handlers.hold_notices import hold_notice
from shopstream.runtime.supervisor import Envelope
from shopstream.show.commands import OutcomeKind

_LOGGER = logging.getLogger(__name__)

Notify = Callable[[Callable[[], list[Reply]]], Awaitable[int]]
CLAIM_INTENTS = frozenset({"buy", "waitlist"})


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What a button did: whether the show changed, and the sentence for the page."""

    ok: bool
    message: str


class DashboardService:
    """Live facts and show control for one running show."""

    def __init__(
        self,
        core: Core,
        hub: LiveHub,
        *,
        announce: Callable[[str], Awaitable[None]],
        notify: Notify,
        status: Callable[[], Sequence[Mapping[str, str | None]]],
        labels: Callable[[], Mapping[str, str]] = dict,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tick: float = 0.5,
        refresh: float = 2.0,
        burst_facts_per_second: float = 200.0,
        burst_max_stale: float = 10.0,
    ) -> None:
        self.core = core
        self.hub = hub
        self._announce = announce
        self._notify = notify
        self._status = status
        self._labels = labels  # connector name -> what the page calls it (names can change)
        self._clock = clock
        self.tick = tick
        self.refresh = refresh
        self.drop_ends: dict[str, datetime] = {}  # lineup code -> when its drop closes
        self._shown_state: object = None
        self._shown_health: dict[str, tuple[str, str | None]] = {}
        self._last_refresh_at = float("-inf")
        # a flash drop: while facts pour in faster than this, the store reads wait (for at
        # most ``burst_max_stale`` seconds): measured by bench.dashboard_bench, a read every
        # 2 s during a 2,000 claims/s drop took claim handling p99 from ~340 ms to ~810 ms
        self.burst_facts_per_second = burst_facts_per_second
        self.burst_max_stale = burst_max_stale
        self._facts_seen = (0, float("-inf"))  # (hub.published, loop time) at the last tick
        self._since = clock() - timedelta(minutes=1)
        core.handler.keep_marks = True

    # -- from the pipeline (its thread, after the batch committed) --------------------------

    def on_event(self, envelope: Envelope, replies: Sequence[Reply]) -> None:
        """Publish a handled chat message (and its claim outcome) to the hub; never raises
        (the pipeline calls it: the dashboard must not take claim handling down)."""
        try:
            self._publish_event(envelope)
        except Exception:
            _LOGGER.exception("the dashboard could not show %r", envelope.event)

    def _publish_event(self, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, ChatMessage):
            return
        mark = self.core.handler.marks.pop((event.platform, event.message_id), None)
        understood = mark.intent if mark and mark.intent != "none" else ""
        outcome = mark.outcome if mark else ""
        at = event.sent_at or self._clock()
        self.hub.publish(
            ChatSeen(
                at=at,
                platform=event.platform,
                viewer=event.author_name or "?",
                text=event.text,
                understood=understood,
                outcome=outcome,
            )
        )
        if mark is not None and mark.intent in CLAIM_INTENTS:
            self.hub.publish(
                ClaimSeen(
                    at=at,
                    claim=f"{event.platform}:{event.message_id}",
                    platform=event.platform,
                    viewer=event.author_name or "?",
                    product=mark.product,
                    variant=mark.variant,
                    qty=mark.qty,
                    outcome=mark.outcome,
                )
            )

    def on_announce(self, text: str) -> None:
        """The show said ``text`` on every platform."""
        self.hub.publish(
            ChatSeen(
                at=self._clock(), platform="all", viewer="shopstream", text=text, understood=""
            )
        )

    # -- show state, health, stock ----------------------------------------------------------

    def show_seen(self) -> ShowSeen:
        """The show state as the hub carries it (titles, price, drop countdowns)."""
        state = self.core.control.state
        catalog = self.core.catalog
        product = catalog.resolve(state.featured) if state.featured else None
        price = ""
        if product is not None:
            prices = sorted({v.price for v in product.variants})
            if prices:
                price = self.core.templates.price(prices[0], catalog.currency)
        drops = []
        for d in state.drops:
            p = catalog.resolve(d.code)
            drops.append(
                DropSeen(
                    code=d.code,
                    title=p.title if p else d.code,
                    remaining=d.remaining,
                    total=d.total,
                    cap=d.cap,
                    ends_at=self.drop_ends.get(d.code),
                )
            )
        return ShowSeen(
            featured=state.featured,
            featured_title=product.title if product else "",
            featured_price=price,
            paused=state.paused,
            closed=state.closed,
            drops=tuple(drops),
        )

    def publish_show(self) -> None:
        """Publish the show state if it changed since last time."""
        state = self.core.control.state
        key = (state, tuple(sorted(self.drop_ends.items())))
        if key != self._shown_state:
            self._shown_state = key
            self.hub.publish(self.show_seen())

    def publish_health(self) -> None:
        """Publish each status row whose status or last message changed (a connector named
        by its platform: never by its channel, a Facebook page id)."""
        labels = self._labels()
        for row in self._status():
            name = str(row.get("name") or "")
            label = labels.get(name, name)
            status = str(row.get("status") or "")
            last = row.get("last_message_at")
            if self._shown_health.get(label) == (status, last):
                continue
            self._shown_health[label] = (status, last)
            connector = name in labels
            self.hub.publish(
                ConnectorSeen(
                    name=label,
                    platform=label.split(" ")[0] if connector else "",
                    status=status,
                    last_message_at=datetime.fromisoformat(last) if last else None,
                    detail="" if connector else str(row.get("detail") or ""),
                )
            )

    def refresh_store_view(self) -> None:
        """Read stock per variant, figures and sell-through (worker thread) and publish them."""
        core = self.core
        show = core.settings.show.id
        since, self._since = self._since, self._clock()
        opened, paid = read_changes(core.engine, show, since)
        if opened - paid:
            self.hub.publish(ClaimUpdate(claims=tuple(sorted(opened - paid)), link_opened=True))
        if paid:
            self.hub.publish(ClaimUpdate(claims=tuple(sorted(paid)), link_opened=True, paid=True))
        variants = lineup_variants(core.control.state, core.catalog.products)
        rows = read_stock_rows(core.engine, [v[2] for v in variants])
        lines = read_lines(core.engine, show)
        for stock in stock_seen(variants, rows, lines):
            self.hub.publish(stock)
        figures = figures_seen(read_funnel(core.engine, show))
        self.hub.publish(replace(figures, sell_through=sell_through(lines)))
        self.hub.publish(HoldsSeen(holds=tuple(hold_json(h) for h in self.unpaid())))

    def free_stock(self) -> dict[str, int | None]:
        """Units of each lineup code that can still be sold (worker thread)."""
        core = self.core
        variants = lineup_variants(core.control.state, core.catalog.products)
        return free_by_code(variants, read_stock_rows(core.engine, [v[2] for v in variants]))

    def unpaid(self) -> list[HoldRow]:
        """The show's unpaid holds with time left (worker thread)."""
        core = self.core
        holds = read_unpaid(core.engine, core.settings.show.id)
        return hold_rows(holds, core.catalog.products, self._clock())

    # -- buttons ----------------------------------------------------------------------------

    async def control(self, action: str, form: Mapping[str, str]) -> ActionResult:
        """Run one show-control button through the chat commands' path (audited, the
        dashboard the actor); bad values are refused and change nothing."""
        core = self.core
        free = await asyncio.to_thread(self.free_stock)
        parsed = parse_control(
            action,
            form,
            core.control.state,
            free_stock=lambda code: free.get(code, 0),
            max_units=core.settings.control.max_drop_units,
        )
        if isinstance(parsed, Refused):
            await asyncio.to_thread(
                core.records.audit,
                "dashboard_refused",
                platform="dashboard",
                actor="dashboard",
                subject=action,
                detail=parsed.message,
            )
            return ActionResult(False, parsed.message)
        return await self._command(parsed.name, parsed.args, parsed.duration, who="dashboard")

    async def _command(
        self, name: str, args: tuple[str, ...], duration: Any, *, who: str
    ) -> ActionResult:
        svc = self.core.handler.svc
        key = f"announce:dashboard:{uuid.uuid4().hex}"
        outcome, replies = await asyncio.to_thread(
            show_command, svc, self.core.control, name, args, DASHBOARD, who=who, key=key
        )
        for reply in replies:
            await self._announce(reply.text)
        if outcome.kind is OutcomeKind.DROP_OPENED:
            code = outcome.variables.get("code", "")
            if duration is not None:
                self.drop_ends[code] = self._clock() + duration
            else:
                self.drop_ends.pop(code, None)
        elif outcome.kind is OutcomeKind.DROP_CLOSED:
            self.drop_ends.pop(outcome.variables.get("code", ""), None)
        elif outcome.kind is OutcomeKind.SHOW_CLOSED:
            self.drop_ends.clear()
        self.publish_show()
        ok, message = outcome_message(outcome)
        return ActionResult(ok, message)

    async def close_due_drops(self) -> None:
        """Close the drops whose countdown ran out (the same path, the dashboard's timer)."""
        now = self._clock()
        for code, ends in list(self.drop_ends.items()):
            if ends <= now:
                self.drop_ends.pop(code, None)
                if self.core.control.state.drop_for(code) is not None:
                    await self._command("close", (code,), None, who="dashboard timer")

    async def remind(self, hold_id: str) -> ActionResult:
        """Remind the holder of an unpaid hold now (the scheduler's reminder notice)."""
        svc = self.core.handler.svc
        hold = await asyncio.to_thread(svc.holds.hold, hold_id)
        if hold is None or hold.status != "active" or hold.show_id != svc.show_id:
            return ActionResult(False, "That hold is no longer waiting for payment.")
        sent = await self._notify(lambda: [n for n in [hold_notice(svc, hold, "reminder")] if n])
        await asyncio.to_thread(
            svc.records.audit,
            "dashboard_remind",
            platform="dashboard",
            actor="dashboard",
            subject=hold_id,
        )
        return ActionResult(bool(sent), "Reminder sent." if sent else "No reminder could be sent.")

    async def release(self, hold_id: str) -> ActionResult:
        """Release an unpaid hold: its stock returns (waiting buyers are offered it)."""
        svc = self.core.handler.svc
        hold = await asyncio.to_thread(svc.holds.hold, hold_id)
        if hold is None or hold.show_id != svc.show_id:
            return ActionResult(False, "That hold is no longer waiting for payment.")

        def release() -> bool:
            ended = svc.holds.release(hold_id, by="dashboard")
            if ended is None:
                return False
            svc.records.set_claim_status(ended.claim_key, "released")
            svc.records.audit(
                "dashboard_release", platform="dashboard", actor="dashboard", subject=hold_id
            )
            return True

        if not await asyncio.to_thread(release):
            return ActionResult(False, "That hold is no longer waiting for payment.")
        self.stale()  # stock changed: read it at the next tick
        return ActionResult(True, f"Released {hold.quantity} × {hold.sku or hold.product_handle}.")

    def stale(self) -> None:
        """Read stock, figures and holds again at the next tick."""
        self._last_refresh_at = float("-inf")

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Every ``tick``: drops' countdowns, show state, health; every ``refresh`` while a
        page watches (five times as seldom while none does): stock, figures, holds."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                await self.step(loop.time())
            except Exception:  # the dashboard never takes the show down
                _LOGGER.exception("dashboard refresh failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.tick)

    async def step(self, now: float) -> None:
        """One tick of :meth:`run` (``now``: the loop's monotonic time)."""
        await self.close_due_drops()
        self.publish_show()
        self.publish_health()
        # a page watching: every ``refresh``; nobody watching: now and then, for a first paint
        # (the reads compete with claim handling for the database during a flash drop)
        every = self.refresh if self.hub.subscribers else self.refresh * 5
        published, then = self._facts_seen
        self._facts_seen = (self.hub.published, now)
        rate = (self.hub.published - published) / max(now - then, 1e-3)
        waited = now - self._last_refresh_at
        if rate > self.burst_facts_per_second and waited < self.burst_max_stale:
            return  # the drop's units left still move: publish_show reads the show state
        if waited >= every:
            self._last_refresh_at = now
            await asyncio.to_thread(self.refresh_store_view)


__all__ = ["ActionResult", "DashboardService"]
