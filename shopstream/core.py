"""Assemble the store side of a show: storage, mirror, holds, catalog, links, handlers.

Everything here is synchronous and built from settings plus a few run-time facts (the
store's URL and credentials), so the same core serves ``run``, ``demo``, ``rehearse``,
``check`` and the benchmarks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from fastapi import APIRouter
from sqlalchemy.engine import Engine

from checkout_links.landing import HeldLine
from checkout_links.ledger import OrderLedger
from checkout_links.service import CheckoutLinks
from checkout_links.shortlinks import Resolution, ShortLinks, signing_key
from checkout_links.strategies import make_strategy
from checkout_links.web import shortlink_router
from shop_sync.client import ShopifyClient
from shop_sync.config import TOKEN_ENV, WEBHOOK_SECRET_ENV
from shop_sync.dedupe import DbDedupe, RedisDedupe
from shop_sync.holds import HoldBook
from shop_sync.inbox import InboxWorker
from shop_sync.mirror import Mirror
from shop_sync.reconcile import Reconciler, SyncReport
from shop_sync.tokens import StaticToken
from shop_sync.webhooks import WebhookReceiver
from shopstream.catalog import LiveCatalog
from shopstream.handlers import ChatHandler, ShowControl, ShowServices
from shopstream.handlers.buying import variant_label
from shopstream.replies.templates import Templates
from shopstream.settings import Settings
from shopstream.show.cooldowns import ClaimThrottle, Cooldowns
from shopstream.show.run_of_show import RunOfShow, load_run_of_show
from shopstream.show.state import LineupItem, ShowState
from shopstream.storage import make_engine
from shopstream.storage.migrate import upgrade
from shopstream.storage.records import Records

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreAccess:
    """Where the store is and how to talk to it (an emulator's URL in sandbox mode)."""

    admin_base_url: str
    token: str
    webhook_secret: str | None
    shop_domain: str  # for checkout links (the emulator's URL in sandbox mode)


def live_store_access(settings: Settings, environ: Mapping[str, str] | None = None) -> StoreAccess:
    """The real store, with credentials from the environment."""
    env = os.environ if environ is None else environ
    shop = settings.shop.shop
    return StoreAccess(
        admin_base_url=settings.shop.admin_base_url or f"https://{shop}",
        token=env.get(TOKEN_ENV, ""),
        webhook_secret=env.get(WEBHOOK_SECRET_ENV) or None,
        shop_domain=settings.links.shop_domain or shop,
    )


@dataclass(slots=True)
class Orders:
    """``orders/create`` / ``orders/paid`` / ``orders/cancelled``: record the order (or bring
    its payment status and cancellation up to date), convert its holds, mark the claims paid."""

    ledger: OrderLedger
    holds: HoldBook
    records: Records
    shortlinks: ShortLinks

    def __call__(self, payload: dict[str, Any]) -> None:
        """Handle one order payload (an unattributed order is recorded, never dropped)."""
        recorded = self.ledger.record_payload(payload)
        if recorded is not None and recorded.status_changed:
            a = recorded.attribution
            self.records.audit(
                "order_status",
                subject=a.order_id,
                financial_status=a.financial_status,
                cancelled=a.cancelled_at is not None,
            )
        if recorded is None or not recorded.new:
            return
        hold_ids = recorded.attribution.hold_ids
        if hold_ids:
            # the receiver converts holds named in note attributes; this also covers orders
            # traced only by ref or landing site (converting twice changes nothing)
            self.holds.convert(hold_ids, recorded.attribution.order_id)
            self.records.set_status_by_holds(list(hold_ids), "paid")
            self.shortlinks.expire_for_holds(list(hold_ids))
        self.records.audit(
            "order",
            subject=recorded.attribution.order_id,
            holds=",".join(hold_ids),
            attributed=bool(hold_ids),
        )


@dataclass(slots=True)
class Core:
    """The store side of one show, ready to handle chat."""

    settings: Settings
    engine: Engine
    records: Records
    holds: HoldBook
    mirror: Mirror
    reconciler: Reconciler
    receiver: WebhookReceiver
    inbox: InboxWorker
    catalog: LiveCatalog
    shortlinks: ShortLinks
    ledger: OrderLedger
    control: ShowControl
    handler: ChatHandler
    run_of_show: RunOfShow
    templates: Templates

    def sync(self, *, full: bool = True) -> SyncReport:
        """Read the store into the mirror and rebuild the parser's catalog.

        Without a run-of-show lineup, every product with a ``live:<code>`` tag is in the
        lineup, so moderators can feature and drop any of them.
        """
        report = self.reconciler.full_sync() if full else self.reconciler.incremental_sync()
        self.catalog.refresh()
        if not self.run_of_show.lineup:
            lineup = tuple(
                LineupItem(code=p.live_code, handle=p.handle)
                for p in self.catalog.products.values()
                if p.live_code
            )
            self.control.replace_state(replace(self.control.state, lineup=lineup))
        return report

    def paid_order(self, hold_ids: tuple[str, ...]) -> str | None:
        """The name (``#1001``) of the order that paid for ``hold_ids``, if one did."""
        order = self.ledger.order_for_holds(hold_ids)
        if order is None:
            return None
        return order.name or order.order_id

    def held_lines(self, hold_ids: tuple[str, ...]) -> list[HeldLine]:
        """What a short link's holds are, for its landing page: product, variant, quantity,
        price and the chat command that joins the waitlist for it (unknown holds are left out).
        """
        prefix = (self.settings.parser.prefixes or ("!",))[0]
        lines: list[HeldLine] = []
        for hold_id in hold_ids:
            hold = self.holds.hold(hold_id)
            found = self.catalog.variants.get(hold.variant_id) if hold is not None else None
            if hold is None or found is None:
                continue
            product, variant = found
            label = variant_label(product, variant.variant_id)  # "" for one without options
            options = variant.options if label else ()
            command = " ".join(
                (f"{prefix}waitlist", self.catalog.code_of(product.handle), *options)
            )
            lines.append(
                HeldLine(
                    product=product.title,
                    variant=label,
                    quantity=hold.quantity,
                    unit_price=variant.price,
                    status=hold.status,
                    waitlist_command=command,
                )
            )
        return lines

    def landing_router(
        self,
        *,
        on_open: Callable[[Resolution], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> APIRouter:
        """The ``/l/{code}`` landing pages over this show's holds, catalog and orders."""
        return shortlink_router(
            self.shortlinks,
            paid_order=self.paid_order,
            describe=self.held_lines,
            currency=self.catalog.currency,
            locale=self.settings.templates.default_locale,
            on_open=on_open,
            clock=clock,
        )

    def close(self) -> None:
        """Release the database."""
        self.holds.close()
        self.engine.dispose()


def _run_of_show(settings: Settings, path: Path | None) -> RunOfShow:
    source = path or settings.show.run_of_show
    if source is None:
        return RunOfShow()
    return load_run_of_show(source, default_cap=settings.control.default_drop_cap)


def build_core(
    settings: Settings,
    store: StoreAccess,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    session: requests.Session | None = None,
    run_of_show: Path | None = None,
    database_url: str | None = None,
) -> Core:
    """Build every store-side service from settings (migrating the database first).

    In four steps: the database and what lives in it (records, holds, the mirror), the
    store's client and reconciler, the chat side (catalog, links, show control, handler),
    and the webhook receiver with its inbox.

    Raises:
        RunOfShowError: the run-of-show file is invalid (with line numbers).
        TemplateError: a merchant template file is invalid.
    """
    engine = make_engine(database_url or settings.database_url())
    upgrade(engine)
    http = session or requests.Session()
    shop_cfg = replace_model(settings.shop, admin_base_url=store.admin_base_url)
    records = Records(engine, clock=clock)
    holds = HoldBook(engine, clock=clock, config=settings.shop.holds)
    mirror = Mirror(engine, shop_cfg, clock=clock)
    client = ShopifyClient(shop_cfg, session=http, tokens=StaticToken(store.token))
    reconciler = Reconciler(client, mirror, shop_cfg, holds=holds, clock=clock)
    ros = _run_of_show(settings, run_of_show)
    catalog = _catalog(settings, mirror, ros)
    links, shortlinks = _links(settings, store, engine, http, clock)
    templates = Templates.load(
        settings.templates.override_dir, default_locale=settings.templates.default_locale
    )
    control = ShowControl(
        ShowState(
            show_id=settings.show.id, lineup=ros.lineup, featured=settings.show.featured or None
        ),
        settings.control,
    )
    services = ShowServices(
        show_id=settings.show.id,
        records=records,
        holds=holds,
        hold_config=settings.shop.holds,
        catalog=catalog,
        links=links,
        templates=templates,
        parser=settings.parser,
        faq=settings.faq,
        store_url=store.shop_domain if _sandbox(settings) else f"https://{settings.shop.shop}",
        clock=clock,
        private_link_platforms=frozenset(
            {"facebook"} if settings.connectors.facebook.private_replies else set()
        ),
    )
    ledger = OrderLedger(engine)
    receiver = WebhookReceiver(
        engine=engine,
        mirror=mirror,
        holds=holds,
        secret=store.webhook_secret,
        shop=shop_cfg.shop,
        dedupe=_dedupe(settings, engine, clock),
        on_order=Orders(ledger, holds, records, shortlinks),
        on_refund=ledger.record_refund_payload,
        reread=reconciler.lineup_sync,
        clock=clock,
    )
    return Core(
        settings=settings,
        engine=engine,
        records=records,
        holds=holds,
        mirror=mirror,
        reconciler=reconciler,
        receiver=receiver,
        inbox=InboxWorker(engine, receiver.apply_event, clock=clock),
        catalog=catalog,
        shortlinks=shortlinks,
        ledger=ledger,
        control=control,
        handler=_chat_handler(settings, services, control),
        run_of_show=ros,
        templates=templates,
    )


def _sandbox(settings: Settings) -> bool:
    return settings.app.mode == "sandbox"


def _catalog(settings: Settings, mirror: Mirror, ros: RunOfShow) -> LiveCatalog:
    """The parser's view of the mirrored store, with the run-of-show's live codes."""
    return LiveCatalog(
        mirror.catalog_products,
        parser=settings.parser,
        currency=settings.shop.currency or "USD",
        lineup={item.code: item.handle for item in ros.lineup},
    )


def _links(
    settings: Settings,
    store: StoreAccess,
    engine: Engine,
    http: requests.Session,
    clock: Callable[[], datetime],
) -> tuple[CheckoutLinks, ShortLinks]:
    """Checkout links by the configured strategy, shortened under the public web URL."""
    sandbox = _sandbox(settings)
    links_cfg = settings.links
    if not links_cfg.public_base_url or links_cfg.public_base_url == "http://127.0.0.1:8000":
        links_cfg = replace_model(links_cfg, public_base_url=settings.web.public_url)
    strategy = make_strategy(
        links_cfg, session=http, sandbox=sandbox, shop_domain=store.shop_domain
    )
    shortlinks = ShortLinks(
        engine,
        key=signing_key(sandbox=sandbox),
        public_base_url=links_cfg.public_base_url,
        clock=clock,
    )
    return CheckoutLinks(links_cfg, strategy, shortlinks), shortlinks


def _chat_handler(settings: Settings, services: ShowServices, control: ShowControl) -> ChatHandler:
    return ChatHandler(
        services,
        control,
        cooldowns=Cooldowns(settings.cooldowns),
        throttle=ClaimThrottle(settings.cooldowns),
        shared_answers=frozenset(
            {"twitch"} if settings.connectors.twitch.shared_chat_answers else set()
        ),
    )


def _dedupe(
    settings: Settings, engine: Engine, clock: Callable[[], datetime]
) -> DbDedupe | RedisDedupe:
    """Where webhook ids already applied are remembered: the database, or Redis."""
    ttl = timedelta(hours=settings.shop.webhook_dedupe_hours)
    if settings.shop.dedupe_store == "redis":
        import redis

        return RedisDedupe(redis.Redis.from_url(settings.shop.redis_url), ttl=ttl)
    return DbDedupe(engine, ttl=ttl, clock=clock)


def replace_model(model: Any, **changes: Any) -> Any:
    """A copy of a frozen pydantic model with ``changes`` (validated again)."""
    return type(model).model_validate({**model.model_dump(), **changes})


__all__ = ["Core", "Orders", "StoreAccess", "build_core", "live_store_access"]
