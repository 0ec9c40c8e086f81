"""Seen-id stores for webhook dedupe (ids are remembered for ``ttl``, at least 5 hours)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from shop_sync.models import ShopWebhookSeen, table, utc
from shop_sync.stock import write_txn

SEEN = table(ShopWebhookSeen)


class DedupeStore(Protocol):
    """Remembers webhook and event ids."""

    def first_time(self, keys: Sequence[str]) -> bool:
        """Mark ``keys`` as seen; return True when none of them was seen within the TTL."""
        ...


class DbDedupe:
    """Seen ids in the ``shop_webhook_seen`` table (the default; shared by processes)."""

    def __init__(
        self,
        engine: Engine,
        *,
        ttl: timedelta = timedelta(hours=6),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._ttl = ttl
        self._clock = clock
        self._calls = 0

    def first_time(self, keys: Sequence[str]) -> bool:
        now = self._clock()
        self._calls += 1
        try:
            with write_txn(self._engine) as conn:
                if self._calls % 1000 == 1:
                    conn.execute(delete(SEEN).where(SEEN.c.seen_at < now - self._ttl))
                conn.execute(SEEN.insert(), [{"key": k, "seen_at": now} for k in keys])
            return True
        except IntegrityError:
            pass
        with write_txn(self._engine) as conn:  # seen, or seen long ago (an expired row)
            rows = conn.execute(select(SEEN).where(SEEN.c.key.in_(list(keys)))).all()
            fresh = [r for r in rows if (utc(r.seen_at) or now) >= now - self._ttl]
            if fresh:
                return False
            known = {r.key for r in rows}
            if known:
                conn.execute(update(SEEN).where(SEEN.c.key.in_(known)).values(seen_at=now))
            new = [k for k in keys if k not in known]
            if new:
                conn.execute(SEEN.insert(), [{"key": k, "seen_at": now} for k in new])
            return True


class RedisDedupe:
    """Seen ids in Redis (``SET key 1 NX EX ttl``), under ``prefix``."""

    def __init__(
        self,
        redis: Any,
        *,
        prefix: str = "shopstream:webhook:",
        ttl: timedelta = timedelta(hours=6),
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = int(ttl.total_seconds())

    def first_time(self, keys: Sequence[str]) -> bool:
        pipe = self._redis.pipeline(transaction=True)
        for k in keys:
            pipe.set(self._prefix + k, b"1", nx=True, ex=self._ttl)
        results = pipe.execute()
        return all(bool(r) for r in results)
