"""Shopify webhooks: check the shop and the size, verify the HMAC of the raw body, dedupe,
record, answer, then apply. An apply error leaves the webhook pending with its next attempt
scheduled by the :class:`~shop_sync.inbox.RetryPolicy`; :class:`~shop_sync.inbox.InboxWorker`
tries it again (and applies what a crash left, at start-up).

Topics (:data:`TOPICS`, the subscriptions the app needs): ``products/create``,
``products/update``, ``products/delete``, ``inventory_levels/update``, ``orders/create`` and
``orders/paid`` (holds named in the order's note attribute ``_shopstream_hold`` are converted,
then the app's ``on_order`` gets the payload), ``orders/cancelled`` (``on_order`` only: revenue
is reversed) and ``refunds/create`` (``on_refund``). Any other topic is answered 200 and ignored
with a log line. A stock delivery triggered longer ago than ``stale_after``
(``X-Shopify-Triggered-At``) is ignored with a log line: the mirror's figures are newer and
reconciliation re-reads the store; order and refund deliveries are applied however late (the
ledger records each order and refund once by id).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from shop_sync.dedupe import DedupeStore
from shop_sync.hold_types import HOLD_NOTE_ATTRIBUTE
from shop_sync.holds import HoldBook, hold_ids_from_note
from shop_sync.inbox import DEFAULT_RETRY, RetryPolicy
from shop_sync.mirror import Mirror
from shop_sync.models import ShopWebhookEvent, table
from shop_sync.stock import write_txn
from shop_sync.translate import (
    LevelRecord,
    level_from_webhook,
    numeric_id,
    parse_time,
    product_from_webhook,
)

_LOGGER = logging.getLogger(__name__)

EVENTS = table(ShopWebhookEvent)
TOPICS = frozenset(
    {
        "products/create",
        "products/update",
        "products/delete",
        "inventory_levels/update",
        "orders/create",
        "orders/paid",
        "orders/cancelled",
        "refunds/create",
    }
)
ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/cancelled"})
STOCK_TOPICS = TOPICS - ORDER_TOPICS - {"refunds/create"}

STALE_AFTER = timedelta(hours=5)
"""Shopify retries a failed delivery 8 times over 4 hours (since 2024-09-10, shopify.dev
changelog "updates-to-webhook-retry-mechanism"; commerce.md §2.3), and the dedupe store keeps
ids 5 h: a stock delivery triggered earlier is stale."""


MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest body read (a products/update carries at most 100 full variants, commerce.md
§2.1; real ones are tens of KiB). A larger one is refused with 413 before it is read."""

_MALFORMED = (KeyError, ValueError, TypeError, AttributeError, ArithmeticError)
"""What translating a malformed (but signed, well-formed JSON) payload can raise: logged and
ignored, never retried. Anything else is an apply error and the event stays pending."""


def signature_ok(raw: bytes, header: str | None, secrets: tuple[str, ...]) -> bool:
    """Compare ``header`` with base64 HMAC-SHA256(raw) under each secret, in constant time."""
    if not header:
        return False
    ok = False
    for secret in secrets:
        digest = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest())
        ok |= hmac.compare_digest(digest, header.strip().encode())
    return ok


class WebhookReceiver:
    """Checks, records and applies store webhooks.

    Args:
        engine: The database (webhook inbox).
        mirror: The catalog mirror to update.
        holds: The hold book (orders convert holds; restocks promote waiting buyers).
        secret: The app secret (``SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET``); None rejects everything.
        old_secret: The previous secret, accepted during a rotation.
        dedupe: Seen-id store (:class:`~shop_sync.dedupe.DbDedupe` or ``RedisDedupe``).
        shop: The configured shop's myshopify domain; a delivery whose
            ``X-Shopify-Shop-Domain`` is missing (401) or another shop's (403) is refused.
        on_order: The app's callback for each ``orders/create``, ``orders/paid`` and
            ``orders/cancelled`` payload.
        on_refund: The app's callback for each ``refunds/create`` payload.
        stale_after: A stock delivery triggered longer ago is ignored (logged).
        reread: Re-reads variants from the store (GraphQL) and stores them in the mirror
            (``Reconciler.lineup_sync``): settles two level updates stamped in the same second.
        max_body_bytes: The largest body :func:`webhook_router` reads (413 above it).
        retry: When a failing apply is tried again, and when it is given up.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        mirror: Mirror,
        holds: HoldBook,
        secret: str | None,
        shop: str,
        dedupe: DedupeStore,
        on_order: Callable[[dict[str, Any]], object] | None = None,
        on_refund: Callable[[dict[str, Any]], object] | None = None,
        stale_after: timedelta = STALE_AFTER,
        old_secret: str | None = None,
        reread: Callable[[Sequence[str]], object] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self._engine = engine
        self._retry = retry
        self._mirror = mirror
        self._holds = holds
        self._secrets = tuple(s for s in (secret, old_secret) if s)
        self._shop = shop.strip().lower()
        self.max_body_bytes = max_body_bytes
        self._dedupe = dedupe
        self._on_order = on_order
        self._on_refund = on_refund
        self._stale_after = stale_after
        self._reread = reread
        self._clock = clock
        self._cond = threading.Condition()
        self.applied = 0
        self.failed = 0  # apply attempts that raised (the event stays pending)
        self.rejected = 0
        self.duplicates = 0
        self.stale = 0
        self.ignored = 0  # topics the app does not handle
        self._parsed: dict[int, tuple[str, dict[str, Any]]] = {}  # recorded, not yet applied
        self._applying: set[int] = set()  # the answer's apply and the worker never overlap

    # --- receiving ------------------------------------------------------------------------

    def check_headers(self, headers: Mapping[str, str]) -> int | None:
        """Refuse a delivery on its headers alone, before its body is read: the HTTP status
        (401 no shop, 403 another shop, 413 too large, 400 bad length), or None to go on."""
        h = {k.lower(): v for k, v in headers.items()}
        topic = h.get("x-shopify-topic", "") or "no topic"
        domain = h.get("x-shopify-shop-domain", "").strip().lower()
        status, why = None, ""
        if not domain:
            status, why = 401, "no X-Shopify-Shop-Domain"
        elif domain != self._shop:
            status, why = 403, f"from another shop ({domain[:100]!r})"
        elif (length := h.get("content-length")) is not None:
            if not (length.strip().isascii() and length.strip().isdigit()):  # "²".isdigit()
                status, why = 400, "bad Content-Length"
            elif int(length) > self.max_body_bytes:
                status, why = 413, f"body of {int(length)} bytes over {self.max_body_bytes}"
        if status is not None:
            self.rejected += 1
            _LOGGER.warning("rejected a webhook (%s): %s", topic[:64], why)
        return status

    def refuse_oversized(self, headers: Mapping[str, str]) -> int:
        """Count and log a body that outgrew the cap while being read; return 413."""
        topic = {k.lower(): v for k, v in headers.items()}.get("x-shopify-topic", "")
        self.rejected += 1
        _LOGGER.warning(
            "rejected a webhook (%s): body over %s bytes",
            topic[:64] or "no topic",
            self.max_body_bytes,
        )
        return 413

    def accept(self, headers: Mapping[str, str], raw: bytes) -> tuple[int, int | None]:
        """Check and record one delivery; return the HTTP status and the inbox id to apply."""
        refused = self.check_headers(headers)
        if refused is None and len(raw) > self.max_body_bytes:
            refused = self.refuse_oversized(headers)
        if refused is not None:
            return refused, None
        h = {k.lower(): v for k, v in headers.items()}
        topic = h.get("x-shopify-topic", "")
        if not self._secrets or not signature_ok(
            raw, h.get("x-shopify-hmac-sha256"), self._secrets
        ):
            self.rejected += 1
            _LOGGER.warning(
                "rejected a webhook (%s) from %s: bad or missing signature",
                topic or "no topic",
                h.get("x-shopify-shop-domain", "?"),
            )
            return 401, None
        if topic not in TOPICS:
            self.ignored += 1
            _LOGGER.info("ignored a webhook with topic %r", topic[:64])
            return 200, None
        if topic in STOCK_TOPICS and self._is_stale(h.get("x-shopify-triggered-at")):
            self.stale += 1
            _LOGGER.info(
                "ignored a stale %s webhook %s triggered at %s",
                topic,
                h.get("x-shopify-webhook-id", "")[:64],
                h.get("x-shopify-triggered-at", "")[:64],
            )
            return 200, None
        try:
            payload = json.loads(raw)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            _LOGGER.warning("rejected a %s webhook: malformed JSON (%s)", topic, type(exc).__name__)
            return 400, None
        webhook_id = h.get("x-shopify-webhook-id", "")
        keys = [f"w:{webhook_id}"] if webhook_id else []
        if h.get("x-shopify-event-id"):
            keys.append(f"e:{topic}:{h['x-shopify-event-id']}")
        if keys and not self._dedupe.first_time(keys):
            self.duplicates += 1
            _LOGGER.info("ignored a duplicate %s webhook %s", topic, webhook_id)
            return 200, None
        now = self._clock()
        with write_txn(self._engine) as conn:
            event_id = conn.execute(
                EVENTS.insert().returning(EVENTS.c.id),
                {
                    "webhook_id": webhook_id[:128],
                    "topic": topic,
                    "body": raw.decode("utf-8", "replace"),
                    "received_at": now,
                    # the worker's turn comes only if the apply after the answer did not happen
                    "next_attempt_at": now + self._retry.delay(0),
                },
            ).scalar_one()
        self._parsed[int(event_id)] = (topic, payload)
        return 200, int(event_id)

    def _is_stale(self, triggered_at: str | None) -> bool:
        """Whether ``X-Shopify-Triggered-At`` is older than ``stale_after`` (an unreadable or
        missing stamp is not stale: the payload's own ``updated_at`` still guards the mirror)."""
        triggered = parse_time(triggered_at) if triggered_at else None
        return triggered is not None and self._clock() - triggered > self._stale_after

    # --- applying -------------------------------------------------------------------------

    def apply_event(self, event_id: int) -> None:
        """Apply one recorded webhook (never raises). An apply error leaves the event pending
        (``applied_at`` empty) with its ``attempts`` counted, the last ``error`` kept and its
        ``next_attempt_at`` set by the retry policy, or ``failed_at`` after the last attempt."""
        with self._cond:
            if event_id in self._applying:
                return
            self._applying.add(event_id)
        error: str | None = "interrupted"
        try:
            error = self._apply_and_record(event_id)
        finally:
            with self._cond:
                self._applying.discard(event_id)
                if error is None:
                    self.applied += 1
                else:
                    self.failed += 1
                self._cond.notify_all()

    def _apply_and_record(self, event_id: int) -> str | None:
        parsed = self._parsed.pop(event_id, None)
        error: str | None = None
        try:
            if parsed is None:  # recorded by an earlier run, or an earlier attempt failed
                parsed = self._recorded(event_id)
            if parsed is not None:
                self.apply(*parsed)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            _LOGGER.exception("failed to apply webhook %s; it stays pending", event_id)
        try:
            now = self._clock()
            with write_txn(self._engine) as conn:
                attempts = 1 + int(
                    conn.execute(
                        select(EVENTS.c.attempts).where(EVENTS.c.id == event_id)
                    ).scalar_one()
                )
                values: dict[str, Any] = {"attempts": attempts, "error": error}
                if error is None:
                    values["applied_at"] = now
                elif self._retry.gives_up(attempts):
                    values["failed_at"] = now
                    _LOGGER.error("gave up webhook %s after %d attempts", event_id, attempts)
                else:
                    values["next_attempt_at"] = now + self._retry.delay(attempts)
                conn.execute(update(EVENTS).where(EVENTS.c.id == event_id).values(values))
        except Exception as exc:
            _LOGGER.exception("could not record the outcome of webhook %s", event_id)
            error = error or f"{type(exc).__name__}: {exc}"[:500]
        return error

    def _recorded(self, event_id: int) -> tuple[str, dict[str, Any]] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(EVENTS.c.topic, EVENTS.c.body).where(EVENTS.c.id == event_id)
            ).first()
        return (str(row.topic), json.loads(row.body)) if row is not None else None

    def wait_applied(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` webhooks were applied in total (tests and the demo)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.applied >= count, timeout=timeout)

    def apply(self, topic: str, payload: dict[str, Any]) -> list[str]:
        """Apply one webhook payload; return the variant ids whose stock was touched.

        Malformed payloads and unknown variants are logged and change nothing.
        """
        touched: list[str] = []
        try:
            if topic in ("products/create", "products/update"):
                product, variants = product_from_webhook(payload)
                touched = self._mirror.apply_product(product, variants)
            elif topic == "products/delete":
                touched = self._mirror.delete_product(numeric_id(payload["id"]))
            elif topic == "inventory_levels/update":
                touched = self._level(level_from_webhook(payload))
            elif topic in ORDER_TOPICS:
                self._order(topic, payload)
            elif topic == "refunds/create":
                self._refund(payload)
        except _MALFORMED as exc:
            _LOGGER.warning("ignored a malformed %s webhook: %s", topic, exc)
            return []
        if touched:
            for variant_id in sorted(self._holds.variants_waiting(touched)):
                self._holds.on_stock_changed(variant_id)
        return touched

    def _level(self, level: LevelRecord) -> list[str]:
        outcome = self._mirror.apply_level(level)
        if outcome.variant_id is None:
            return []
        if outcome.unsettled:
            # same second as the mirror's figure: neither stamp nor arrival order says which
            # is newer, the store does (shop_sync/mirror.py Mirror.apply_level)
            if self._reread is None:
                _LOGGER.warning(
                    "kept the level of item %s: a same-second update and no store re-read",
                    level.inventory_item_id,
                )
                return []
            _LOGGER.info(
                "re-reading variant %s: two level updates in one second", outcome.variant_id
            )
            self._reread([outcome.variant_id])
        return [outcome.variant_id]

    def _order(self, topic: str, payload: dict[str, Any]) -> None:
        order_id = numeric_id(payload["id"])
        hold_ids = hold_ids_from_note(payload.get("note_attributes"), HOLD_NOTE_ATTRIBUTE)
        if hold_ids and topic != "orders/cancelled":
            ordered_at = parse_time(payload.get("created_at")) or self._clock()
            converted = self._holds.convert(hold_ids, order_id, ordered_at=ordered_at)
            _LOGGER.info(
                "order %s converted %s of %s hold(s)", order_id, len(converted), len(hold_ids)
            )
        if self._on_order is not None:
            # an error here (the ledger's database) leaves the webhook pending and the inbox
            # tries it again: converting holds and recording the order twice change nothing
            self._on_order(payload)

    def _refund(self, payload: dict[str, Any]) -> None:
        numeric_id(payload["order_id"])  # a refund of no order is malformed
        if self._on_refund is not None:
            self._on_refund(payload)


async def read_capped(chunks: AsyncIterator[bytes], cap: int) -> bytes | None:
    """Read a body chunk by chunk; None (and stop reading) as soon as it exceeds ``cap``."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > cap:
            return None
        parts.append(chunk)
    return b"".join(parts)


def webhook_router(receiver: WebhookReceiver) -> APIRouter:
    """Return the router serving ``POST /webhooks/shopify`` (answer first, apply after)."""
    router = APIRouter()

    @router.post("/webhooks/shopify")
    async def shopify_webhook(request: Request, background: BackgroundTasks) -> Response:
        headers = dict(request.headers)
        refused = receiver.check_headers(headers)  # shop and Content-Length, nothing read
        if refused is not None:
            return Response(status_code=refused)
        raw = await read_capped(request.stream(), receiver.max_body_bytes)
        if raw is None:  # a chunked body that outgrew the cap: the rest is never read
            return Response(status_code=receiver.refuse_oversized(headers))
        status, event_id = await asyncio.to_thread(receiver.accept, headers, raw)
        if event_id is not None:
            background.add_task(receiver.apply_event, event_id)
        return Response(status_code=status)

    return router
