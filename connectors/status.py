"""Connector health: a stable status key and the time of the last message (a stall is visible)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

_LOGGER = logging.getLogger(__name__)


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
    """

    name: str
    clock: Callable[[], datetime] = utc_now
    status: Status = Status.STARTING
    detail: str = ""
    since: datetime | None = None
    last_message_at: datetime | None = None
    last_error: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def set(self, status: Status, detail: str = "") -> None:
        """Move to ``status``, logging one line per transition."""
        if status is not self.status or detail != self.detail:
            _LOGGER.info("%s: %s -> %s %s", self.name, self.status, status, detail)
            self.status = status
            self.detail = detail
            self.since = self.clock()

    def saw_message(self, at: datetime | None = None) -> None:
        """Record that a message arrived (the dashboard shows its age)."""
        self.last_message_at = at or self.clock()

    def snapshot(self) -> dict[str, str | None]:
        """Return a JSON-friendly view."""
        return {
            "name": self.name,
            "status": str(self.status),
            "detail": self.detail,
            "since": self.since.isoformat() if self.since else None,
            "last_message_at": self.last_message_at.isoformat() if self.last_message_at else None,
            "last_error": self.last_error,
            **self.extra,
        }
