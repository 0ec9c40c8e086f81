"""Signed webhook deliveries from the emulated store, with duplicates and reordering on demand."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from sandbox.shopify.signing import sign

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One webhook delivery (retries and duplicates reuse its ids and body)."""

    topic: str
    body: bytes
    webhook_id: str
    event_id: str
    triggered_at: str


class WebhookSender:
    """Post webhooks to ``target`` signed with ``secret``.

    ``pause()`` queues deliveries; ``flush(reverse=True)`` sends them out of order.
    ``duplicate_next(n)`` sends each of the next ``n`` deliveries twice.
    Every delivery carries the headers of shopify.dev "Webhooks delivery structure" (topic,
    HMAC, shop domain, API version, webhook id, event id, triggered-at).
    """

    def __init__(
        self,
        *,
        secret: str,
        shop: str,
        api_version: str,
        target: str | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clock = clock
        self.secret = secret
        self.shop = shop
        self.api_version = api_version
        self.target = target
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._paused = False
        self._queue: list[Delivery] = []
        self._duplicates = 0
        self.sent: list[tuple[Delivery, int]] = []

    def make(self, topic: str, payload: Any, *, event_id: str | None = None) -> Delivery:
        """Build a delivery (new webhook id; event id given or new)."""
        return Delivery(
            topic=topic,
            body=json.dumps(payload, separators=(",", ":")).encode(),
            webhook_id=str(uuid.uuid4()),
            event_id=event_id or str(uuid.uuid4()),
            # RFC 3339 in UTC with a fraction, as Shopify's (e.g. 2026-12-03T13:50:27.877041Z)
            triggered_at=self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z"),
        )

    def headers(self, d: Delivery, *, secret: str | None = None) -> dict[str, str]:
        """Return the headers Shopify sends with ``d`` (signed with ``secret`` if given)."""
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": d.topic,
            "X-Shopify-Hmac-Sha256": sign(d.body, secret if secret is not None else self.secret),
            "X-Shopify-Shop-Domain": self.shop,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": d.webhook_id,
            "X-Shopify-Event-Id": d.event_id,
            "X-Shopify-Triggered-At": d.triggered_at,
        }

    def pause(self) -> None:
        """Queue deliveries until :meth:`flush`."""
        with self._lock:
            self._paused = True

    def duplicate_next(self, n: int = 1) -> None:
        """Deliver each of the next ``n`` deliveries twice (same ids, as Shopify retries)."""
        with self._lock:
            self._duplicates += n

    def flush(self, *, reverse: bool = False) -> list[int]:
        """Send the queued deliveries (newest first when ``reverse``) and stop queueing."""
        with self._lock:
            queued, self._queue, self._paused = self._queue, [], False
        if reverse:
            queued.reverse()
        return [self.post(d) for d in queued]

    def send(self, topic: str, payload: Any, *, event_id: str | None = None) -> int | None:
        """Deliver a new webhook; return the HTTP status (None when queued or no target)."""
        d = self.make(topic, payload, event_id=event_id)
        with self._lock:
            if self._paused:
                self._queue.append(d)
                return None
            twice = self._duplicates > 0
            if twice:
                self._duplicates -= 1
        status = self.post(d)
        if twice:
            self.post(d)
        return status

    def post(self, d: Delivery, *, secret: str | None = None) -> int:
        """POST one delivery (again); 0 when there is no target or it cannot be reached."""
        if not self.target:
            return 0
        try:
            resp = self._session.post(
                self.target, data=d.body, headers=self.headers(d, secret=secret), timeout=5
            )
        except requests.RequestException as exc:
            _LOGGER.warning("webhook %s to %s failed: %s", d.topic, self.target, exc)
            status = 0
        else:
            status = resp.status_code
        self.sent.append((d, status))
        return status
