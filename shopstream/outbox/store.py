"""Where an outbox remembers which reply keys were taken: in memory or in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from shopstream.outbox.models import OutboxSentReply

_SENT: Table = OutboxSentReply.__table__  # type: ignore[attr-defined]


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

    Taking keys is one ``INSERT ... ON CONFLICT DO NOTHING RETURNING key``: the primary key
    decides, so two processes sharing the database cannot both take a key, and each call
    learns exactly which keys it won. Database calls run in a worker thread.
    """

    def __init__(self, engine: Engine, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._engine = engine
        self._now = now
        insert_fn = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._take_sql = (
            insert_fn(_SENT).on_conflict_do_nothing(index_elements=["key"]).returning(_SENT.c.key)
        )

    def _taken(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        with self._engine.connect() as conn:
            rows = conn.execute(select(_SENT.c.key).where(_SENT.c.key.in_(list(keys))))
            return {str(k) for (k,) in rows}

    async def taken(self, keys: Collection[str]) -> set[str]:
        """Return the subset of ``keys`` already taken."""
        return await asyncio.to_thread(self._taken, keys)

    def _take(self, keys: Collection[str], platform: str, channel: str) -> set[str]:
        if not keys:
            return set()
        now = self._now()
        rows = [
            {
                "key": k,
                "platform": platform,
                "channel": channel,
                "status": "sending",
                "taken_at": now,
            }
            for k in sorted(set(keys))
        ]
        with self._engine.begin() as conn:
            return {str(k) for (k,) in conn.execute(self._take_sql, rows)}

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
        if not keys:
            return
        with self._engine.begin() as conn:
            conn.execute(
                update(_SENT)
                .where(_SENT.c.key.in_(list(keys)))
                .values(
                    status=status,
                    message_key=message_key[:300],
                    platform_message_id=platform_message_id,
                    detail=detail[:255] if detail else None,
                    done_at=self._now(),
                )
            )

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
