"""The webhook inbox worker: apply what was recorded but not applied, with backoff per row.

A delivery is recorded (``shop_webhook_event``) before it is answered 200, then applied right
after the answer. What that first apply leaves pending (a crash, a database blip, a store
re-read that failed) this worker applies: every pending row at start-up, then each row when its
``next_attempt_at`` comes, until it applies or its last attempt fails (``failed_at``: kept and
shown in status, never deleted). Shopify does not resend a delivery it got a 2xx for
(commerce.md §2.3), so these rows are the only copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from shop_sync.models import ShopWebhookEvent, table, utc

_LOGGER = logging.getLogger(__name__)

EVENTS = table(ShopWebhookEvent)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """When a failing webhook is tried again: ``first_seconds`` after it was recorded or
    first failed, doubling up to ``max_seconds``; given up after ``max_attempts`` attempts
    (the defaults span about 50 minutes)."""

    first_seconds: float = 5.0
    max_seconds: float = 600.0
    max_attempts: int = 12

    def delay(self, attempts: int) -> timedelta:
        """The wait before the next attempt, after ``attempts`` failed ones (0: none yet)."""
        doublings = min(max(attempts - 1, 0), 32)  # 2.0**1024 overflows; the cap is hit long before
        return timedelta(seconds=min(self.max_seconds, self.first_seconds * 2.0**doublings))

    def gives_up(self, attempts: int) -> bool:
        """Whether a webhook that failed ``attempts`` times is tried no more."""
        return attempts >= self.max_attempts


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class InboxStatus:
    """The inbox for the dashboard and ``shopstream check``."""

    pending: int = 0  # recorded, not applied, still to be tried
    retrying: int = 0  # of those, how many failed at least once
    given_up: int = 0  # failed their last attempt (kept)
    oldest_pending_seconds: float | None = None
    last_error: str | None = None
    unreadable: str | None = None  # the database could not be read

    @property
    def key(self) -> str:
        """``cannot_connect``, ``failing`` (rows given up), ``retrying`` or ``ok``."""
        if self.unreadable is not None:
            return "cannot_connect"
        if self.given_up:
            return "failing"
        return "retrying" if self.retrying else "ok"

    def snapshot(self) -> dict[str, str | None]:
        """A dashboard row shaped like a connector's (``name``, ``status``, ``detail``...)."""
        age = self.oldest_pending_seconds
        if self.unreadable is not None:
            detail = "the webhook inbox cannot be read"
        else:
            detail = f"{self.pending} pending ({self.retrying} retrying), {self.given_up} given up"
            if age is not None:
                detail += f", oldest {age:.0f} s"
        return {
            "name": "webhooks",
            "status": self.key,
            "detail": detail,
            "last_message_at": None,
            "last_error": self.unreadable or self.last_error,
            "pending": str(self.pending),
            "failing": str(self.retrying + self.given_up),
            "given_up": str(self.given_up),
            "oldest_pending_seconds": None if age is None else f"{age:.1f}",
        }


class InboxWorker:
    """Applies pending webhooks through ``apply`` (``WebhookReceiver.apply_event``).

    Args:
        engine: The database holding the inbox.
        apply: Applies one recorded webhook by id and records its outcome (never raises).
        clock: The time (tests move it by hand).
        batch: The most rows taken per run.
    """

    def __init__(
        self,
        engine: Engine,
        apply: Callable[[int], object],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = 100,
    ) -> None:
        self._engine = engine
        self._apply = apply
        self._clock = clock
        self._batch = batch

    def start_up(self) -> int:
        """Apply every pending webhook, due or not (rows an earlier run left); how many."""
        return self._run(due_only=False)

    def run_due(self) -> int:
        """Apply the pending webhooks whose next attempt is due (the periodic job); how many."""
        return self._run(due_only=True)

    def _run(self, *, due_only: bool) -> int:
        query = select(EVENTS.c.id).where(
            EVENTS.c.applied_at.is_(None), EVENTS.c.failed_at.is_(None)
        )
        if due_only:
            due = EVENTS.c.next_attempt_at
            query = query.where(or_(due.is_(None), due <= self._clock()))
        with self._engine.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(query.order_by(EVENTS.c.id).limit(self._batch))]
        for event_id in ids:
            self._apply(event_id)
        if ids:
            _LOGGER.info("inbox: tried %d pending webhook(s)", len(ids))
        return len(ids)

    def status(self) -> InboxStatus:
        """Count the pending, retrying and given-up webhooks (never raises)."""
        now = self._clock()
        unapplied = EVENTS.c.applied_at.is_(None)
        pending = unapplied & EVENTS.c.failed_at.is_(None)
        try:
            with self._engine.connect() as conn:
                row = conn.execute(
                    select(
                        func.count().filter(pending),
                        func.count().filter(pending & (EVENTS.c.attempts > 0)),
                        func.count().filter(unapplied & EVENTS.c.failed_at.is_not(None)),
                        func.min(EVENTS.c.received_at).filter(pending),
                    )
                ).one()
                last_error = conn.execute(
                    select(EVENTS.c.error)
                    .where(unapplied, EVENTS.c.error.is_not(None))
                    .order_by(EVENTS.c.id.desc())
                    .limit(1)
                ).scalar()
        except SQLAlchemyError as exc:
            return InboxStatus(unreadable=f"{type(exc).__name__}: {exc}"[:300])
        oldest = utc(row[3])
        return InboxStatus(
            pending=int(row[0]),
            retrying=int(row[1]),
            given_up=int(row[2]),
            oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
            last_error=last_error,
        )


__all__ = ["DEFAULT_RETRY", "InboxStatus", "InboxWorker", "RetryPolicy"]
