"""Where an outbox keeps its replies and remembers which keys were taken: in memory or in
the database.

The database store is a transactional outbox: the pipeline writes each reply it made as a
``queued`` row inside the batch's own transaction (:meth:`SqlSentKeys.queue`), so a reply
exists exactly when the claim it tells of does. A sender takes the row (``sending``) just
before handing it to the platform and marks it ``sent`` or ``failed`` after; after a crash
or a restart, :meth:`SqlSentKeys.queued` gives back what was never taken.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from connectors.events import Priority, Reply
from shopstream.outbox.models import OutboxSentReply
from shopstream.storage.pg_rows import PgRows
from shopstream.storage.sqlite_rows import SqliteRows
from shopstream.storage.unit import writing

_SENT: Table = OutboxSentReply.__table__  # type: ignore[attr-defined]


def reply_to_json(reply: Reply) -> str:
    """A reply as the JSON its row keeps."""
    return json.dumps(
        {
            "platform": reply.platform,
            "channel": reply.channel,
            "text": reply.text,
            "key": reply.key,
            "reply_to_id": reply.reply_to_id,
            "mention": reply.mention,
            "recipient_id": reply.recipient_id,
            "private": reply.private,
            "priority": int(reply.priority),
            "short": reply.short,
            "created_at": reply.created_at.isoformat() if reply.created_at else None,
        },
        separators=(",", ":"),
    )


def reply_from_json(raw: str) -> Reply:
    """The reply a row keeps (see :func:`reply_to_json`)."""
    data: dict[str, Any] = json.loads(raw)
    created = data.get("created_at")
    return Reply(
        platform=data["platform"],
        channel=data["channel"],
        text=data["text"],
        key=data["key"],
        reply_to_id=data.get("reply_to_id"),
        mention=data.get("mention"),
        recipient_id=data.get("recipient_id"),
        private=bool(data.get("private")),
        priority=Priority(int(data.get("priority", Priority.ANSWER))),
        short=data.get("short"),
        created_at=datetime.fromisoformat(created) if created else None,
    )


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

    async def queued(self, connector: str) -> list[Reply]:
        """The replies stored for ``connector`` and never taken, in send order."""
        ...

    async def counts(self, connector: str) -> dict[str, int]:
        """``connector``'s rows by status (``sending`` ones found at start are in doubt)."""
        ...

    async def in_doubt(self, connector: str) -> list[Reply]:
        """``connector``'s replies taken and never marked (a crash in between)."""
        ...

    async def requeue(self, keys: Collection[str]) -> None:
        """Give taken, never marked keys back (the platform is known not to have them)."""
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

    async def queued(self, connector: str) -> list[Reply]:
        """Nothing outlives the process in memory."""
        return []

    async def counts(self, connector: str) -> dict[str, int]:
        """Nothing outlives the process in memory."""
        return {}

    async def in_doubt(self, connector: str) -> list[Reply]:
        """Nothing outlives the process in memory."""
        return []

    async def requeue(self, keys: Collection[str]) -> None:
        """Forget ``keys`` (they may be taken again)."""
        for k in keys:
            self.status.pop(k, None)


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
        take = insert_fn(_SENT)
        # a key never seen is taken by inserting it; a queued row by moving it to sending;
        # a key taken before is refused (neither inserted nor updated: not returned)
        self._take_sql = take.on_conflict_do_update(
            index_elements=["key"],
            set_={"status": "sending"},  # taken_at stays when it was queued (its order)
            where=_SENT.c.status == "queued",
        ).returning(_SENT.c.key)
        self._queue_sql = insert_fn(_SENT).on_conflict_do_nothing(index_elements=["key"])
        # a flash drop queues thousands of rows per second: the bulk writers skip the
        # per-row work (SQLite through the DB-API, PostgreSQL one statement over arrays)
        self._sqlite_rows = SqliteRows(engine.dialect) if engine.dialect.name == "sqlite" else None
        self._pg_rows = (
            PgRows(_SENT, conflict=("key",)) if engine.dialect.name == "postgresql" else None
        )

    def queue(self, replies: Sequence[tuple[str, Reply]]) -> None:
        """Store replies to send as ``queued`` rows (in the open unit of work, if any).

        A key stored before keeps its row: a reply is queued, and sent, once.
        """
        if not replies:
            return
        now = self._now()
        rows = {
            reply.key: {
                "key": reply.key[:300],
                "platform": reply.platform,
                "channel": reply.channel[:255],
                "status": "queued",
                "message_key": "",
                "taken_at": now,
                "connector": connector[:255],
                "priority": int(reply.priority),
                "reply": reply_to_json(reply),
            }
            for connector, reply in replies
        }
        values = list(rows.values())
        with writing(self._engine) as conn:
            if self._sqlite_rows is not None:
                self._sqlite_rows.write_many(conn, self._queue_sql, values)
            elif self._pg_rows is not None:
                self._pg_rows.insert(conn, values)
            else:
                conn.execute(self._queue_sql, values)

    def _replies(self, connector: str, status: str) -> list[Reply]:
        """``connector``'s stored replies in ``status``, in send order."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_SENT.c.reply)
                .where(_SENT.c.connector == connector, _SENT.c.status == status)
                .order_by(_SENT.c.priority, _SENT.c.taken_at, _SENT.c.key)
            ).all()
        return [reply_from_json(r) for (r,) in rows if r]

    async def queued(self, connector: str) -> list[Reply]:
        """The replies stored for ``connector`` and never taken, in send order."""
        return await asyncio.to_thread(self._replies, connector, "queued")

    def _counts(self, connector: str) -> dict[str, int]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_SENT.c.status, func.count())
                .where(_SENT.c.connector == connector)
                .group_by(_SENT.c.status)
            ).all()
        return {str(status): int(n) for status, n in rows}

    async def counts(self, connector: str) -> dict[str, int]:
        """``connector``'s rows by status."""
        return await asyncio.to_thread(self._counts, connector)

    async def in_doubt(self, connector: str) -> list[Reply]:
        """``connector``'s replies taken and never marked (a crash in between)."""
        return await asyncio.to_thread(self._replies, connector, "sending")

    def _requeue(self, keys: Collection[str]) -> None:
        if not keys:
            return
        with writing(self._engine) as conn:
            conn.execute(
                update(_SENT)
                .where(_SENT.c.key.in_(list(keys)), _SENT.c.status == "sending")
                .values(status="queued")
            )

    async def requeue(self, keys: Collection[str]) -> None:
        """Give taken, never marked keys back as queued (the platform has no such message)."""
        await asyncio.to_thread(self._requeue, keys)

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
        with writing(self._engine) as conn:
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
        with writing(self._engine) as conn:
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
