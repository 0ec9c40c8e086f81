"""Connector health: a stable status key and the time of the last message (a stall is visible)."""

from __future__ import annotations

import json
import logging
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

_LOGGER = logging.getLogger(__name__)

SKIP_RAW_CHARS = 500  # how much of a skipped item's raw form status keeps
_SKIP_REASON_CHARS = 200
_REPR = reprlib.Repr()  # bounded depth and length, whatever the item holds
_REPR.maxstring = _REPR.maxother = SKIP_RAW_CHARS


def raw_text(raw: object, limit: int = SKIP_RAW_CHARS) -> str:
    """A short text of an untrusted item for the merchant: JSON when it has one, cut at ``limit``.

    Never raises: an item too deep for JSON (or not JSON at all) is shown by ``reprlib``.
    """
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw[: limit * 4]).decode("utf-8", "replace")
    if isinstance(raw, str):
        text = raw[: limit + 1]
    else:
        try:
            text = json.dumps(raw, ensure_ascii=False, default=str)
        except (ValueError, TypeError, RecursionError):
            text = _REPR.repr(raw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Status(StrEnum):
    """Stable keys the operator sees; code never builds prose for users."""

    STARTING = "starting"
    OK = "ok"
    RECONNECTING = "reconnecting"
    INVALID_AUTH = "invalid_auth"
    RATE_LIMITED = "rate_limited"
    STREAM_OFFLINE = "stream_offline"
    CANNOT_CONNECT = "cannot_connect"
    STOPPED = "stopped"


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(slots=True)
class Health:
    """Mutable health record a connector owns and the supervisor and dashboard read.

    ``detail`` is a short machine-friendly note (for example ``"quota_left=8150"``),
    never a secret.

    ``delivered_until`` is the connector's delivery watermark: the platform time (UTC) up
    to which it has handed over every message it will ever hand over, in the order time of
    :attr:`ChatMessage.order_time` (None: it does not
    say, so the fairness gate does not wait for it). It only moves forward. A push stream
    that delivers in order while connected also sets ``live_allowance``: while that is set
    and the status is ``ok``, "now minus the allowance" counts as delivered too, so a quiet
    stream does not hold the others back. :meth:`watermark` combines the two.
    """

    name: str
    clock: Callable[[], datetime] = utc_now
    status: Status = Status.STARTING
    detail: str = ""
    since: datetime | None = None
    last_message_at: datetime | None = None
    last_error: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    delivered_until: datetime | None = None
    live_allowance: float | None = None
    last_push_at: datetime | None = None
    skipped: int = 0
    last_skipped: str | None = None

    def set(self, status: Status, detail: str = "") -> None:
        """Move to ``status``, logging one line per transition.

        ``invalid_auth`` is not replaced by ``cannot_connect``: a send to a connector stopped
        for its credentials fails as "not open", which must not hide the credential to fix.
        """
        if self.status is Status.INVALID_AUTH and status is Status.CANNOT_CONNECT:
            return
        if status is not self.status or detail != self.detail:
            _LOGGER.info("%s: %s -> %s %s", self.name, self.status, status, detail)
            self.status = status
            self.detail = detail
            self.since = self.clock()

    def saw_message(self, at: datetime | None = None) -> None:
        """Record that a message arrived (the dashboard shows its age)."""
        self.last_message_at = at or self.clock()

    def skip(self, raw: object, reason: str) -> None:
        """Count one inbound item that could not be used, logging one line.

        The item costs only itself: the connector goes on with the next one. Status keeps the
        count and the last such item (its reason and raw form, cut short) for the merchant.
        """
        self.skipped += 1
        why = reason if len(reason) <= _SKIP_REASON_CHARS else reason[:_SKIP_REASON_CHARS] + "…"
        self.last_skipped = f"{why} | {raw_text(raw)}"
        _LOGGER.warning("%s: skipped an item (%s); %d so far", self.name, why, self.skipped)

    def delivered(self, through: datetime) -> None:
        """Record that everything sent on the platform up to ``through`` has been handed over."""
        if self.delivered_until is None or through > self.delivered_until:
            self.delivered_until = through

    def live(self, allowance: float | None) -> None:
        """While connected to an in-order push stream, count "now - ``allowance`` s" as
        delivered; ``None`` when the stream closes (the stored watermark stays)."""
        self.live_allowance = allowance

    def pushed(self, at: datetime | None = None) -> None:
        """Record that the push stream just delivered something (see :meth:`watermark`)."""
        self.last_push_at = at or self.clock()

    def watermark(self) -> datetime | None:
        """The effective watermark: ``delivered_until``, or later while live and ``ok``.

        A stream that reports its pushes (:meth:`pushed`) earns "now minus the allowance"
        only once it has been quiet for the allowance: while it is still delivering a burst,
        what it has delivered is only what it proved (``delivered_until``, the newest item it
        handed over), since more of the burst may be on its way.
        """
        mark = self.delivered_until
        if self.live_allowance is not None and self.status is Status.OK:
            now = self.clock()
            allowance = timedelta(seconds=self.live_allowance)
            busy = self.last_push_at is not None and now - self.last_push_at < allowance
            if not busy and (mark is None or now - allowance > mark):
                mark = now - allowance
        return mark

    def snapshot(self) -> dict[str, str | None]:
        """Return a JSON-friendly view."""
        mark = self.watermark()
        return {
            "name": self.name,
            "status": str(self.status),
            "detail": self.detail,
            "since": self.since.isoformat() if self.since else None,
            "last_message_at": self.last_message_at.isoformat() if self.last_message_at else None,
            "last_error": self.last_error,
            "delivered_until": mark.isoformat() if mark else None,
            "skipped": str(self.skipped),
            "last_skipped": self.last_skipped,
            **self.extra,
        }
