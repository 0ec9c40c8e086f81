"""Run one show: web app, connectors under the supervisor, the pipeline, outboxes, scheduler."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from connectors.base import Connector
from connectors.events import ChatMessage, Reply
from connectors.status import Status
from shop_sync.webhooks import webhook_router
from shopstream.core import Core
from shopstream.dashboard.access import DashboardAccess
from shopstream.dashboard.live import LiveHub
from shopstream.dashboard.overlay import link_opened, overlay_router
from shopstream.dashboard.service import DashboardService
from shopstream.dashboard.web import dashboard_router
from shopstream.handlers.hold_notices import expire_holds, offer_waitlist, remind_holds
from shopstream.outbox.outbox import Outbox
from shopstream.outbox.store import SqlSentKeys
from shopstream.runtime.cursors import DurableCursors, TrackedQueue
from shopstream.runtime.fairness import derived_horizon
from shopstream.runtime.pipeline import Pipeline
from shopstream.runtime.receipts import Receipts
from shopstream.runtime.storage_watch import StorageWatch, select_one
from shopstream.runtime.supervisor import Envelope, Supervisor
from shopstream.runtime.webserver import serve_asgi
from shopstream.show.commands import open_drop
from shopstream.show.run_of_show import ScheduledDrop
from shopstream.show.scheduler import ChatActivity, ShowJobs, build_scheduler
from shopstream.storage.records import Records
from shopstream.storage.unit import unit_of_work
from shopstream.web import create_web_app

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class ShowResult:
    """What a show did, for the closing summary and the benchmarks."""

    web_url: str = ""
    events: int = 0
    duplicates: int = 0
    failures: int = 0
    storage_retries: int = 0  # batches the database failed and the pipeline tried again
    replies_queued: int = 0
    messages_sent: dict[str, int] = field(default_factory=dict)
    violations: dict[str, list[str]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    connector_status: dict[str, str] = field(default_factory=dict)
    connector_errors: list[str] = field(default_factory=list)
    unsent: int = 0
    # the transactional outbox: claim replies that could not be sent for good (buyers never
    # told), and keys taken but never marked after a crash (the platform may have them)
    untold: int = 0
    in_doubt: int = 0
    # the fairness gate: messages it held, their median and longest wait, how many the
    # horizon let go (a platform fell behind); None when the gate was off
    gate_held: int | None = None
    gate_wait_p50_ms: float = 0.0
    gate_wait_max_ms: float = 0.0
    gate_expired: int = 0
    shared_chat: int = 0  # messages typed in a Shared Chat partner's channel (never claims)


def _connector_labels(connectors: Sequence[Connector]) -> dict[str, str]:
    """What the dashboard calls each connector: its platform (a second one numbered), never
    its channel (a Facebook page id)."""
    labels: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for c in connectors:
        seen[c.platform] += 1
        n = seen[c.platform]
        labels[c.health.name] = c.platform if n == 1 else f"{c.platform} {n}"
    return labels


class ShowRunner:
    """One running show over a built :class:`Core` and a set of connectors."""

    def __init__(
        self,
        core: Core,
        connectors: Sequence[Connector],
        *,
        fairness_window: float = 0.02,
        fairness_horizon: float | None = None,
        on_event: Callable[[Envelope, Sequence[Reply]], None] | None = None,
        on_web_ready: Callable[[str], Awaitable[None] | None] | None = None,
        on_announce: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        drain_timeout: float = 30.0,
        access: DashboardAccess | None = None,
    ) -> None:
        self.core = core
        self.drain_timeout = drain_timeout
        self.connectors = list(connectors)
        # read positions are saved only once what they cover is committed
        self.cursors = DurableCursors(core.records)
        once: list[str] = []  # connectors that cannot read again (Twitch): receipts instead
        for c in self.connectors:
            if isinstance(getattr(c, "cursor_store", None), Records):
                c.cursor_store = self.cursors.store_for(c.name)  # type: ignore[attr-defined]
            else:
                once.append(c.name)
        self.receipts = Receipts(core.engine, once, clock=clock)
        self.queue: asyncio.Queue[Envelope] = TrackedQueue(self.cursors, self.receipts)
        self.activity = ChatActivity()
        self._clock = clock
        self._on_event = on_event
        self._on_web_ready = on_web_ready
        self._on_announce = on_announce  # drops and timers, for a live view
        self.result = ShowResult()
        self._stop = asyncio.Event()
        self.routes: dict[str, str] = {c.platform: c.name for c in self.connectors}
        self.store = store = SqlSentKeys(core.engine)
        self.outboxes = {
            c.name: Outbox(
                c,
                platform=c.platform,
                channel=c.channel,  # type: ignore[attr-defined]
                config=core.settings.outbox,
                store=store,
                name=c.name,  # its stored replies: what a crash left unsent goes out first
            )
            for c in self.connectors
        }
        self.supervisor = Supervisor(self.connectors, self.queue)
        # the ``storage`` status row (and the connections the database dropped under it)
        self.storage = StorageWatch(select_one(core.engine), engine=core.engine)
        self.pipeline = Pipeline(
            self.queue,
            core.handler,
            self.outboxes,
            ledger=core.records,
            fairness_window=fairness_window,
            fairness_horizon=(self._horizon() if fairness_horizon is None else fairness_horizon),
            watermarks=self.watermarks,
            needs_order=core.handler.needs_order,
            on_storage=self.storage.batch_result,
            on_event=self._seen,
            replies=store,  # the replies are rows of the batch's own transaction
            on_done=self._done,
            targets={
                c.name: (c.platform, c.channel)  # type: ignore[attr-defined]
                for c in self.connectors
            },
        )
        # the live dashboard: facts from the pipeline, pushed to the page; the host's access
        self.hub = LiveHub()
        self.access = access or DashboardAccess.from_env(
            audit=lambda kind, **detail: core.records.audit(kind, **detail)
        )
        # ends the overlay's event streams once the show is over (the web server then stops)
        self._web_closing = asyncio.Event()
        self.dashboard = DashboardService(
            core,
            self.hub,
            announce=self.announce,
            notify=self._notify,
            status=self.status,
            labels=lambda: _connector_labels(self.connectors),
            clock=clock,
        )

    def _done(self, batch: Sequence[Envelope]) -> None:
        """A batch committed (or was given up): its read positions and receipts may go."""
        self.cursors.done(batch)
        self.receipts.done(batch)

    async def _replay_receipts(self) -> None:
        # what the last run had received and not committed when it stopped (kill -9)
        try:
            for envelope in await asyncio.to_thread(self.receipts.replay):
                self.queue.put_nowait(envelope)
        except Exception:
            _LOGGER.exception("could not read the chat receipts of the last run")

    def proof_intervals(self) -> dict[str, float | None]:
        """Each connector's declared delivery-proof interval (seconds; None: it declares none)."""
        return {c.name: getattr(c, "proof_interval", None) for c in self.connectors}

    def _horizon(self) -> float:
        show = self.core.settings.show
        if show.fairness_horizon_ms is not None:
            return show.fairness_horizon_ms / 1000
        horizon = derived_horizon(self.proof_intervals(), cap=show.fairness_horizon_cap_ms / 1000)
        _LOGGER.info("fairness horizon %.2f s (from %s)", horizon, self.proof_intervals())
        return horizon

    def _seen(self, envelope: Envelope, replies: Sequence[Reply]) -> None:
        event = envelope.event
        if isinstance(event, ChatMessage):
            self.routes[event.platform] = envelope.connector
            self.activity.note()
        self.dashboard.on_event(envelope, replies)
        if self._on_event is not None:
            self._on_event(envelope, replies)

    def watermarks(self) -> dict[str, tuple[Status, datetime | None]]:
        """Each connector's status and delivery watermark (the pipeline's fairness gate),
        by the name its envelopes carry (the name it had when registered)."""
        return {
            run.key: (run.connector.health.status, run.connector.health.watermark())
            for run in self.supervisor.runs.values()
        }

    def stop(self) -> None:
        """End the show: connectors close, queued work drains, outboxes finish."""
        self._stop.set()

    def status(self) -> list[dict[str, str | None]]:
        """Each connector's health, the webhook inbox's, the store's (its API version),
        the database's and the replies', for the dashboard."""
        return [c.health.snapshot() for c in self.connectors] + [
            self.core.inbox.status().snapshot(),
            self.core.reconciler.client.version_status(),
            self.storage.health.snapshot(),
            self.replies_status(),
        ]

    def public_status(self) -> list[dict[str, str | None]]:
        """:meth:`status` for ``/status`` (no sign-in): each connector named by its platform
        and its channel (a Facebook page id, a channel login) blanked out of every field."""
        labels = _connector_labels(self.connectors)
        channels = []
        for c in self.connectors:
            channel = str(getattr(c, "channel", "") or "")
            if len(channel) >= 3 and channel != c.platform:
                channels.append(channel)
        rows = []
        for row in self.status():
            out: dict[str, str | None] = {}
            for key, value in row.items():
                if isinstance(value, str):
                    for channel in channels:
                        value = value.replace(channel, "…")
                out[key] = value
            out["name"] = labels.get(str(row.get("name")), out.get("name"))
            rows.append(out)
        return rows

    def replies_status(self) -> dict[str, str | None]:
        """The outboxes: replies waiting, claim replies never told, keys in doubt."""
        stats = [o.stats for o in self.outboxes.values()]
        untold = sum(s.untold for s in stats)
        in_doubt = sum(s.in_doubt for s in stats)
        pending = sum(o.pending for o in self.outboxes.values())
        return {
            "name": "replies",
            "status": "untold" if untold else "ok",
            "detail": f"{pending} waiting, {untold} claim replies never told, {in_doubt} in doubt",
            "untold": str(untold),
            "in_doubt": str(in_doubt),
        }

    async def _start_inbox(self) -> None:
        # what an earlier run recorded and answered but did not apply (a crash, a blip)
        try:
            await asyncio.to_thread(self.core.inbox.start_up)
        except Exception:
            _LOGGER.exception("could not apply the pending webhooks at start-up; the job retries")

    def _notices(self, make: Callable[[], list[Reply]]) -> list[tuple[str, Reply]]:
        """Make hold notices and store them in one unit of work (the hold changes and the
        notices that tell of them commit together)."""
        with unit_of_work(self.core.engine):
            routed: list[tuple[str, Reply]] = []
            for reply in make():
                name = self.routes.get(reply.platform)
                outbox = self.outboxes.get(name) if name else None
                if name is None or outbox is None:
                    _LOGGER.warning(
                        "no connector for %s; notice %s not sent", reply.platform, reply.key
                    )
                    continue
                channel = outbox.channel
                routed.append((name, replace(reply, platform=outbox.platform, channel=channel)))
            self.store.queue(routed)
        return routed

    async def _notify(self, make: Callable[[], list[Reply]]) -> int:
        routed = await asyncio.to_thread(self._notices, make)
        for name, reply in routed:
            await self.outboxes[name].put(reply)
        return len(routed)

    async def announce(self, text: str) -> None:
        """Post ``text`` on every connector of the show."""
        now = self._clock()
        self.dashboard.on_announce(text)
        if self._on_announce is not None:
            self._on_announce(text)
        for name, outbox in self.outboxes.items():
            await outbox.put(
                Reply(
                    platform=outbox.platform,
                    channel=outbox.channel,
                    text=text,
                    key=f"announce:{now.isoformat()}:{name}:{hash(text)}",
                    created_at=now,
                )
            )

    async def _open_drop(self, drop: ScheduledDrop) -> None:
        control = self.core.control
        control.replace_state(open_drop(control.state, drop.code, drop.qty, drop.cap))
        product = self.core.catalog.resolve(drop.code)
        title = product.title if product else drop.code
        await self.announce(
            self.core.templates.render(
                "drop_open", None, qty=drop.qty, product=title, cap=drop.cap, code=drop.code
            )
        )

    def _web_app(self) -> Any:
        return create_web_app(
            status=self.public_status,
            counts=lambda: {
                "events": self.pipeline.stats.events,
                "duplicates": self.pipeline.stats.duplicates,
                "replies": self.pipeline.stats.replies,
                "untold": sum(o.stats.untold for o in self.outboxes.values()),
                "released_by_horizon": self.pipeline.stats.gate_expired,
            },
            routers=[
                webhook_router(self.core.receiver),
                self.core.landing_router(
                    on_open=link_opened(self.hub, self.core.holds), clock=self._clock
                ),
                overlay_router(
                    self.hub,
                    self.access,
                    handle_of=self._handle_of,
                    stop=self._web_closing,
                    clock=self._clock,
                ),
            ],
            title=f"shopstream — {self.core.settings.show.title}",
            dashboard=dashboard_router(
                self.access,
                self.hub,
                self.dashboard,
                title=f"shopstream — {self.core.settings.show.title}",
            ),
        )

    def _handle_of(self, code: str) -> str | None:
        product = self.core.catalog.resolve(code)
        return product.handle if product is not None else None

    def login_url(self) -> str:
        """A fresh one-time login link to the dashboard (the web app must be up)."""
        return f"{self.result.web_url}{self.access.login_link()}"

    async def run(self, *, stop: asyncio.Event | None = None) -> ShowResult:
        """Run until every connector has ended (or ``stop``/:meth:`stop`), then drain and report."""
        # What is built now (catalog index, templates, settings) lives for the whole show:
        # move it out of the collector's sight so full collections during a flash drop
        # don't walk it again and again (about a fifth of the handler's time otherwise).
        gc.freeze()
        try:
            return await self._run_show(stop or self._stop)
        finally:
            gc.unfreeze()  # a process that runs several shows (tests) frees each one's
            await asyncio.to_thread(self.cursors.close)  # the last read positions written
            await asyncio.to_thread(self.receipts.close)

    async def _run_show(self, stop: asyncio.Event) -> ShowResult:
        svc = self.core.handler.svc
        web = self.core.settings.web
        async with serve_asgi(self._web_app(), host=web.host, port=web.port) as url:
            self.result.web_url = url
            if self._on_web_ready is not None:
                maybe = self._on_web_ready(url)
                if maybe is not None:
                    await maybe
            jobs = ShowJobs(
                open_drop=self._open_drop,
                announce=self.announce,
                remind=lambda: self._notify(lambda: remind_holds(svc)),
                expire=lambda: self._notify(lambda: expire_holds(svc)),
                offer_waitlist=lambda: self._notify(lambda: offer_waitlist(svc)),
                webhooks=lambda: asyncio.to_thread(self.core.inbox.run_due),
            )
            await self._start_inbox()
            await self._replay_receipts()  # before the connectors start
            scheduler = build_scheduler(
                self.core.run_of_show,
                jobs,
                start=self._clock(),
                activity=self.activity,
                config=self.core.settings.scheduler,
            )
            scheduler.start()
            try:
                await self._run_tasks(stop)
            finally:
                scheduler.shutdown(wait=False)
                self._web_closing.set()
        return self._finish()

    async def _run_tasks(self, stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            workers = [
                group.create_task(o.run(), name=f"outbox:{n}") for n, o in self.outboxes.items()
            ]
            pipe = group.create_task(self.pipeline.run(), name="pipeline")
            sup = group.create_task(self.supervisor.run(), name="supervisor")
            watch = group.create_task(self.storage.run(), name="storage")
            receipts = group.create_task(self.receipts.run(), name="receipts")
            live_stop = asyncio.Event()
            live = [
                group.create_task(self.hub.run(live_stop), name="dashboard:hub"),
                group.create_task(self.dashboard.run(live_stop), name="dashboard:refresh"),
            ]
            stopper = group.create_task(stop.wait(), name="stop")
            await asyncio.wait({sup, stopper}, return_when=asyncio.FIRST_COMPLETED)
            # Connectors stay open while the last messages are handled and answered.
            await self.queue.join()
            await self._notify(lambda: offer_waitlist(self.core.handler.svc))
            try:  # platform pacing may hold replies back; wait a while, not forever
                async with asyncio.timeout(self.drain_timeout):
                    for outbox in self.outboxes.values():
                        await outbox.drained()  # run() finishes its reply; flush() would race
            except TimeoutError:
                left = {n: o.pending for n, o in self.outboxes.items() if o.pending}
                _LOGGER.warning("show ended with replies still queued: %s", left)
                self.result.unsent = sum(left.values())
            await self.receipts.flush()  # the last receipts deleted: a clean stop leaves none
            live_stop.set()  # the last facts go out; then the live view stops
            for task in (sup, stopper, pipe, watch, receipts, *workers):
                task.cancel()
            await asyncio.gather(*live, return_exceptions=True)

    def _finish(self) -> ShowResult:
        r = self.result
        stats = self.pipeline.stats
        r.events, r.duplicates, r.failures = stats.events, stats.duplicates, stats.failures
        r.storage_retries = stats.storage_retries
        r.shared_chat = sum(self.core.handler.shared_chat.values())
        r.replies_queued = stats.replies
        if self.pipeline.gate is not None:
            r.gate_held, r.gate_expired = stats.gate_held, stats.gate_expired
            r.gate_wait_max_ms = round(1000 * stats.gate_wait_max, 1)
            waits = sorted(stats.gate_wait_seconds)
            r.gate_wait_p50_ms = round(1000 * waits[len(waits) // 2], 1) if waits else 0.0
        for name, outbox in self.outboxes.items():
            r.messages_sent[name] = outbox.stats.sent_messages
            problems = outbox.violations()
            if problems:
                r.violations[name] = problems
        r.untold = sum(o.stats.untold for o in self.outboxes.values())
        r.in_doubt = sum(o.stats.in_doubt for o in self.outboxes.values())
        r.connector_status = {c.name: str(c.health.status) for c in self.connectors}
        r.connector_errors = [repr(e) for e in self.supervisor.errors]
        for claim in self.core.records.claims(show_id=self.core.settings.show.id):
            r.outcomes[claim.status] += 1
        return r


__all__ = ["ShowResult", "ShowRunner"]
