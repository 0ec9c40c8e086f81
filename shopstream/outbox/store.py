"""Where an outbox remembers which reply keys were taken: in memory or in the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shopstream.outbox.models import OutboxSentReply

_LOGGER = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SentKeyStore(Protocol):
    """Reply keys taken by any outbox, so no key is ever sent twice (across restarts too)."""

    async def taken(self, keys: Collection[str]) -> set[str]:
        """Return the subset of ``keys`` already taken."""
        ...

    async def take(self, keys: Collection[str], *, platform: str, channel: str) -> set[str]:
        """Atomically take the free ``keys``; return those this call took."""
        ...

    async def finish(
        self,
        keys: Collection[str],
        *,
        status: str,
        message_key: str = "",
        platform_message_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record the final ``status`` (``sent`` or ``failed``) of taken keys."""
        ...


class MemorySentKeys:
    """A :class:`SentKeyStore` in memory (tests, benchmarks, the console demo)."""

    def __init__(self) -> None:
        self.status: dict[str, str] = {}

    async def taken(self, keys: Collection[str]) -> set[str]:
        """Return the subset of ``keys`` already taken."""
        return {k for k in keys if k in self.status}

    async def take(self, keys: Collection[str], *, platform: str, channel: str) -> set[str]:
        """Take the free ``keys``; return those this call took."""
        new = {k for k in keys if k not in self.status}
        for k in new:
            self.status[k] = "sending"
        return new

    async def finish(
        self,
        keys: Collection[str],
        *,
        status: str,
        message_key: str = "",
        platform_message_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record the final status of taken keys."""
        for k in keys:
            self.status[k] = status


class SqlSentKeys:
    """A :class:`SentKeyStore` in the ``outbox_sent_replies`` table (SQLite or PostgreSQL).

    Taking a key is an insert guarded by the primary key, so two processes sharing the
    database cannot both take it. Database calls run in a worker thread.
    """

    def __init__(self, engine: Engine, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._engine = engine
        self._now = now

    def _taken(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        with Session(self._engine) as session:
            rows = session.exec(
                select(OutboxSentReply.key).where(col(OutboxSentReply.key).in_(list(keys)))
            ).all()
        return set(rows)

    async def taken(self, keys: Collection[str]) -> set[str]:
        """Return the subset of ``keys`` already taken."""
        return await asyncio.to_thread(self._taken, keys)

    def _insert(self, keys: Collection[str], platform: str, channel: str) -> None:
        with Session(self._engine) as session:
            now = self._now()
            for k in keys:
                session.add(
                    OutboxSentReply(key=k, platform=platform, channel=channel, taken_at=now)
                )
            session.commit()

    def _take(self, keys: Collection[str], platform: str, channel: str) -> set[str]:
        free = set(keys) - self._taken(keys)
        if not free:
            return set()
        try:
            self._insert(free, platform, channel)
            return free
        except IntegrityError:
            _LOGGER.info("outbox keys raced with another process; taking one by one")
        won: set[str] = set()
        for k in sorted(free):
            try:
                self._insert([k], platform, channel)
                won.add(k)
            except IntegrityError:
                continue
        return won

    async def take(self, keys: Collection[str], *, platform: str, channel: str) -> set[str]:
        """Take the free ``keys``; return those this call took."""
        return await asyncio.to_thread(self._take, keys, platform, channel)

    def _finish(
        self,
        keys: Collection[str],
        status: str,
        message_key: str,
        platform_message_id: str | None,
        detail: str | None,
    ) -> None:
        with Session(self._engine) as session:
            rows = session.exec(
                select(OutboxSentReply).where(col(OutboxSentReply.key).in_(list(keys)))
            ).all()
            now = self._now()
            for row in rows:
                row.status = status
                row.message_key = message_key[:300]
                row.platform_message_id = platform_message_id
                row.detail = detail[:255] if detail else None
                row.done_at = now
                session.add(row)
            session.commit()

    async def finish(
        self,
        keys: Collection[str],
        *,
        status: str,
        message_key: str = "",
        platform_message_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record the final status of taken keys."""
        await asyncio.to_thread(
            self._finish, keys, status, message_key, platform_message_id, detail
        )
