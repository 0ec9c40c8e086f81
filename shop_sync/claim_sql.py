"""The claim hot path on the driver connection: few statements, few round trips.

One transaction per claim. SQLite: ``BEGIN IMMEDIATE`` (one writer at a time). PostgreSQL: the
buyer's advisory lock and the variant's stock row lock (``FOR UPDATE``), sent with the reads in one
pipelined round trip; the writes and the commit go in a second one. The conditional ``UPDATE``
(``reserved + q <= sellable``) is the last word on stock either way.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import threading
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from shop_sync.config import HoldConfig
from shop_sync.hold_types import ClaimOutcome, ClaimRequest, HoldView
from shopstream.storage.errors import is_conflict
from shopstream.storage.unit import active

_STOCK = (
    "SELECT sellable, reserved, pending_sold, unlimited, waiting, sku FROM hold_stock"
    " WHERE variant_id = :v"
)
_CAPS = (
    "SELECT COALESCE(SUM(CASE WHEN product_handle = :h AND status = 'active' THEN quantity END),"
    " 0), COALESCE(SUM(CASE WHEN show_id = :s THEN quantity END), 0) FROM hold_hold"
    " WHERE platform = :p AND viewer_id = :u AND status IN ('active', 'converted')"
    " UNION ALL SELECT COALESCE(SUM(CASE WHEN product_handle = :h THEN quantity END), 0),"
    " COALESCE(SUM(CASE WHEN show_id = :s THEN quantity END), 0) FROM hold_waitlist"
    " WHERE platform = :p AND viewer_id = :u AND status = 'waiting'"
)
_RESERVE = (
    "UPDATE hold_stock SET reserved = reserved + :q WHERE variant_id = :v"
    " AND (unlimited OR reserved + pending_sold + :q <= sellable)"
)
_HOLD = (
    "INSERT INTO hold_hold (hold_id, claim_key, platform, viewer_id, viewer_name, variant_id,"
    " product_handle, sku, quantity, status, show_id, created_at, expires_at, reminded, settled)"
    " VALUES (:hold_id, :claim_key, :platform, :viewer_id, :viewer_name, :variant_id,"
    " :product_handle, :sku, :quantity, 'active', :show_id, :created_at, :expires_at, :f, :t)"
)
_CLAIM = (
    "INSERT INTO hold_claim (claim_key, kind, hold_id, waitlist_position, available_after,"
    " reason, created_at) VALUES (:claim_key, :kind, :hold_id, :waitlist_position,"
    " :available_after, :reason, :created_at)"
)
_WAIT = (
    "INSERT INTO hold_waitlist (claim_key, platform, viewer_id, viewer_name, variant_id,"
    " product_handle, quantity, show_id, sent_at, status) VALUES (:claim_key, :platform,"
    " :viewer_id, :viewer_name, :variant_id, :product_handle, :quantity, :show_id, :sent_at,"
    " 'waiting')"
)
_WAITING = "UPDATE hold_stock SET waiting = waiting + 1 WHERE variant_id = :v"
# A waitlist position is the waiting count (hold_stock.waiting, kept exact by every path
# that adds or removes a waiting entry) less the entries sent later. Claims come in
# timestamp order, so that is a count of about nothing, where counting the entries sent
# earlier walked the whole list for every claim of a flash drop.
_LATER = (
    "SELECT count(*) FROM hold_waitlist WHERE variant_id = :v AND status = 'waiting'"
    " AND sent_at > :s"
)
# every buyer of a burst at once, in one statement; the keys come sorted, so two processes
# claiming overlapping bursts take the locks in the same order
_LOCK_VIEWERS = (
    "SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM unnest(CAST(%(lks)s AS text[])) AS k"
)
_PG_CLAIM = """
WITH st AS (
    SELECT true AS found, sellable, reserved, pending_sold, unlimited, waiting, sku
    FROM hold_stock WHERE variant_id = %(v)s FOR UPDATE
), caps AS (
    SELECT COALESCE(SUM(pp), 0) AS pp, COALESCE(SUM(ps), 0) AS ps FROM (
        SELECT CASE WHEN product_handle = %(h)s AND status = 'active' THEN quantity ELSE 0 END,
               CASE WHEN show_id = %(s)s THEN quantity ELSE 0 END
        FROM hold_hold
        WHERE platform = %(p)s AND viewer_id = %(u)s AND status IN ('active', 'converted')
        UNION ALL
        SELECT CASE WHEN product_handle = %(h)s THEN quantity ELSE 0 END,
               CASE WHEN show_id = %(s)s THEN quantity ELSE 0 END
        FROM hold_waitlist
        WHERE platform = %(p)s AND viewer_id = %(u)s AND status = 'waiting'
    ) AS x (pp, ps)
), d AS (
    SELECT CASE
            WHEN st.found IS NULL THEN 'invalid'
            WHEN caps.pp + %(q)s > %(maxp)s THEN 'capped_product'
            WHEN caps.ps + %(q)s > %(maxs)s THEN 'capped_show'
            WHEN st.waiting = 0 AND (st.unlimited
                 OR st.sellable - st.reserved - st.pending_sold >= %(q)s) THEN 'held'
            WHEN NOT %(wl)s OR st.waiting >= %(wmax)s THEN 'sold_out'
            ELSE 'waitlisted' END AS kind,
        CASE WHEN st.unlimited THEN NULL
             ELSE GREATEST(0, st.sellable - st.reserved - st.pending_sold) END AS free,
        st.sku
    FROM caps LEFT JOIN st ON true
), pos AS (
    SELECT st.waiting + 1 - (
        SELECT count(*) FROM hold_waitlist
        WHERE variant_id = %(v)s AND status = 'waiting' AND sent_at > %(sent)s
    ) AS n FROM caps LEFT JOIN st ON true
), r AS (
    UPDATE hold_stock SET
        reserved = reserved + CASE WHEN d.kind = 'held' THEN %(q)s ELSE 0 END,
        waiting = waiting + CASE WHEN d.kind = 'waitlisted' THEN 1 ELSE 0 END
    FROM d WHERE hold_stock.variant_id = %(v)s AND d.kind IN ('held', 'waitlisted')
    RETURNING 1
), h AS (
    INSERT INTO hold_hold (hold_id, claim_key, platform, viewer_id, viewer_name, variant_id,
        product_handle, sku, quantity, status, show_id, created_at, expires_at, reminded, settled)
    SELECT %(hold_id)s, %(key)s, %(p)s, %(u)s, %(name)s, %(v)s, %(h)s, d.sku, %(q)s, 'active',
        %(s)s, %(now)s, %(expires)s, false, true
    FROM d WHERE d.kind = 'held'
    RETURNING 1
), w AS (
    INSERT INTO hold_waitlist (claim_key, platform, viewer_id, viewer_name, variant_id,
        product_handle, quantity, show_id, sent_at, status)
    SELECT %(key)s, %(p)s, %(u)s, %(name)s, %(v)s, %(h)s, %(q)s, %(s)s, %(sent)s, 'waiting'
    FROM d WHERE d.kind = 'waitlisted'
    RETURNING 1
), c AS (
    INSERT INTO hold_claim (claim_key, kind, hold_id, waitlist_position, available_after,
        reason, created_at)
    SELECT %(key)s,
        CASE WHEN d.kind LIKE 'capped%%' THEN 'capped' ELSE d.kind END,
        CASE WHEN d.kind = 'held' THEN %(hold_id)s END,
        CASE WHEN d.kind = 'waitlisted' THEN pos.n END,
        CASE WHEN d.kind = 'held' AND d.free IS NOT NULL THEN d.free - %(q)s ELSE d.free END,
        CASE d.kind WHEN 'capped_product' THEN 'per_product' WHEN 'capped_show' THEN 'per_show'
            WHEN 'sold_out' THEN 'no_stock' WHEN 'invalid' THEN 'unknown_variant' END,
        %(now)s
    FROM d, pos
    RETURNING 1
)
SELECT d.kind, d.free, d.sku, pos.n FROM d, pos
"""
"""The whole PostgreSQL claim in one statement: it runs right after the buyer's advisory lock
in the same pipeline (a fresh snapshot), locks the stock row, decides, and writes."""

_NAMED = re.compile(r":([a-z_]+)")


def _pg(sql: str) -> str:
    return _NAMED.sub(r"%(\1)s", sql)


class Duplicate(Exception):
    """The claim key already has an outcome."""


class Retry(Exception):
    """PostgreSQL reported a deadlock or serialization failure; run the claim again."""


@dataclass(slots=True)
class _Decision:
    outcome: ClaimOutcome
    params: dict[str, Any]


@functools.lru_cache(maxsize=8192)
def sqlite_time(dt: datetime) -> str:
    """Format like SQLAlchemy's SQLite DATETIME: naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``
    (isoformat with the offset cut off: half the cost of strftime).

    Remembered: a batch writes the same instants several times (a claim's created and
    updated stamps, the message's time in its message and claim rows, the batch's clock).
    Equal instants format alike whatever their zone, so the cache answers by instant.
    """
    return dt.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _close_all(conns: list[Any]) -> None:
    for fairy in conns:
        with contextlib.suppress(Exception):  # closing at exit: nothing left to report to
            fairy.invalidate()  # closes the driver connection (the pool may be gone already)
    conns.clear()


class RawClaims:
    """Claims through one driver connection per thread (checked out of the engine's pool)."""

    def __init__(self, engine: Engine, config: HoldConfig) -> None:
        self._engine = engine
        self._config = config
        self._pg = engine.dialect.name == "postgresql"
        self._local = threading.local()
        self._conns: list[Any] = []
        self._finalizer = weakref.finalize(self, _close_all, self._conns)
        if self._pg:
            self._sql = {k: _pg(v) for k, v in _ALL.items()}
        else:
            self._sql = dict(_ALL)

    def close(self) -> None:
        """Return the driver connections."""
        self._finalizer()

    def _shared(self) -> Any:
        """The driver connection of the unit of work open in this thread, if any: the claims
        are then part of the batch's transaction (savepoints, no commit of their own)."""
        conn = active(self._engine)
        return None if conn is None else conn.connection.driver_connection

    def _conn(self) -> Any:
        fairy = getattr(self._local, "fairy", None)
        if fairy is None:
            fairy = self._engine.raw_connection()
            if not self._pg:  # checkpoint less often from the claim path (WAL, one writer)
                driver = fairy.driver_connection
                assert driver is not None
                driver.execute("PRAGMA wal_autocheckpoint = 10000")
            self._local.fairy = fairy
            self._conns.append(fairy)
        return fairy.driver_connection

    def _drop(self) -> None:
        fairy = getattr(self._local, "fairy", None)
        self._local.fairy = None
        if fairy is not None:
            with contextlib.suppress(Exception):  # already broken: the pool replaces it
                fairy.invalidate()

    def claim(self, req: ClaimRequest, now: datetime) -> ClaimOutcome:
        """Decide and record one claim.

        Raises:
            Duplicate: the claim key was claimed before (the caller reads the first outcome).
            Retry: a deadlock or serialization failure; try again.
        """
        try:
            return self._claim_pg(req, now) if self._pg else self._claim_sqlite(req, now)
        except (Duplicate, Retry):
            raise
        except Exception:
            self._drop()
            raise

    # --- deciding (shared) ----------------------------------------------------------------

    def _decide(
        self, req: ClaimRequest, now: datetime, stock: Any, caps: list[Any]
    ) -> tuple[str, ClaimOutcome | None, int | None]:
        """Return (path, final outcome or None, free) with path in held/wait/final."""
        if stock is None:
            return "final", ClaimOutcome(kind="invalid", reason="unknown_variant"), None
        sellable, reserved, pending, unlimited, waiting, _sku = stock
        free = None if unlimited else max(0, sellable - reserved - pending)
        per_product = sum(int(r[0]) for r in caps) + req.quantity
        per_show = sum(int(r[1]) for r in caps) + req.quantity
        if per_product > self._config.max_per_product:
            return (
                "final",
                ClaimOutcome(kind="capped", reason="per_product", available_after=free),
                free,
            )
        if per_show > self._config.max_per_show:
            return (
                "final",
                ClaimOutcome(kind="capped", reason="per_show", available_after=free),
                free,
            )
        if waiting == 0 and (free is None or free >= req.quantity):
            return "held", None, free
        if not self._config.waitlist or waiting >= self._config.waitlist_max:
            return (
                "final",
                ClaimOutcome(kind="sold_out", reason="no_stock", available_after=free),
                free,
            )
        return "wait", None, free

    def _hold(
        self, req: ClaimRequest, sku: str, now: datetime, ts: Callable[[datetime], Any]
    ) -> tuple[HoldView, dict[str, Any]]:
        expires = now + self._config.ttl
        view = _held_view(req, uuid.uuid4().hex[:16], sku, now, expires)
        params = {
            "hold_id": view.hold_id,
            "claim_key": req.claim_key,
            "platform": req.platform,
            "viewer_id": req.viewer_id,
            "viewer_name": req.viewer_name,
            "variant_id": req.variant_id,
            "product_handle": req.product_handle,
            "sku": sku,
            "quantity": req.quantity,
            "show_id": req.show_id,
            "created_at": ts(now),
            "expires_at": ts(expires),
            "f": False,
            "t": True,
        }
        return view, params

    @staticmethod
    def _claim_row(req: ClaimRequest, o: ClaimOutcome, created: Any) -> dict[str, Any]:
        return {
            "claim_key": req.claim_key,
            "kind": o.kind,
            "hold_id": o.hold.hold_id if o.hold else None,
            "waitlist_position": o.waitlist_position,
            "available_after": o.available_after,
            "reason": o.reason,
            "created_at": created,
        }

    @staticmethod
    def _wait_row(req: ClaimRequest, sent: Any) -> dict[str, Any]:
        return {
            "claim_key": req.claim_key,
            "platform": req.platform,
            "viewer_id": req.viewer_id,
            "viewer_name": req.viewer_name,
            "variant_id": req.variant_id,
            "product_handle": req.product_handle,
            "quantity": req.quantity,
            "show_id": req.show_id,
            "sent_at": sent,
        }

    def _caps_params(self, req: ClaimRequest) -> dict[str, Any]:
        return {"h": req.product_handle, "s": req.show_id, "p": req.platform, "u": req.viewer_id}

    # --- SQLite ---------------------------------------------------------------------------

    def _claim_sqlite(self, req: ClaimRequest, now: datetime) -> ClaimOutcome:
        shared = self._shared()
        if shared is not None:
            shared.execute("SAVEPOINT claim")
            try:
                outcome = self._sqlite_one(shared, req, now)
            except BaseException as exc:
                shared.execute("ROLLBACK TO claim")
                shared.execute("RELEASE claim")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise Duplicate(req.claim_key) from None
                raise
            shared.execute("RELEASE claim")
            return outcome
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            outcome = self._sqlite_one(conn, req, now)
            conn.commit()
            return outcome
        except sqlite3.IntegrityError:
            conn.rollback()
            raise Duplicate(req.claim_key) from None
        except BaseException:
            conn.rollback()
            raise

    def _sqlite_one(self, conn: Any, req: ClaimRequest, now: datetime) -> ClaimOutcome:
        sql = self._sql
        stock = conn.execute(sql["stock"], {"v": req.variant_id}).fetchone()
        caps = conn.execute(sql["caps"], self._caps_params(req)).fetchall() if stock else []
        path, outcome, free = self._decide(req, now, stock, caps)
        if path == "held":
            reserve = {"v": req.variant_id, "q": req.quantity}
            if conn.execute(sql["reserve"], reserve).rowcount == 1:
                view, params = self._hold(req, stock[5], now, sqlite_time)
                conn.execute(sql["hold"], params)
                after = None if free is None else free - req.quantity
                outcome = ClaimOutcome(kind="held", hold=view, available_after=after)
            else:
                path = "wait"
        if path == "wait":
            sent = sqlite_time(req.sent_at)
            conn.execute(sql["wait"], self._wait_row(req, sent))
            conn.execute(sql["waiting"], {"v": req.variant_id})
            later = conn.execute(sql["later"], {"v": req.variant_id, "s": sent}).fetchone()[0]
            outcome = ClaimOutcome(
                kind="waitlisted",
                waitlist_position=int(stock[4]) + 1 - int(later),
                available_after=free,
            )
        assert outcome is not None
        conn.execute(sql["claim"], self._claim_row(req, outcome, sqlite_time(now)))
        return outcome

    def claim_many(self, reqs: Sequence[ClaimRequest], now: datetime) -> list[ClaimOutcome | None]:
        """Decide a burst of claims in one transaction (one commit), in the given order.

        Returns one outcome per request; None for a duplicate claim key (the caller reads the
        first outcome).

        Raises:
            Retry: PostgreSQL reported a deadlock; the caller claims one by one instead.
            Duplicate: (PostgreSQL) some key was claimed before; the caller claims one by one.
        """
        try:
            return self._many_pg(reqs, now) if self._pg else self._many_sqlite(reqs, now)
        except (Duplicate, Retry):
            raise
        except Exception:
            self._drop()
            raise

    def _many_sqlite(
        self, reqs: Sequence[ClaimRequest], now: datetime
    ) -> list[ClaimOutcome | None]:
        shared = self._shared()
        conn = shared if shared is not None else self._conn()
        out: list[ClaimOutcome | None] = []
        if shared is None:
            conn.execute("BEGIN IMMEDIATE")
        try:
            for req in reqs:
                conn.execute("SAVEPOINT claim")
                try:
                    out.append(self._sqlite_one(conn, req, now))
                except sqlite3.IntegrityError:
                    conn.execute("ROLLBACK TO claim")
                    out.append(None)
                conn.execute("RELEASE claim")
            if shared is None:
                conn.commit()
        except BaseException:
            if shared is None:
                conn.rollback()
            raise  # in a unit of work, the unit rolls the whole batch back
        return out

    # --- PostgreSQL -----------------------------------------------------------------------

    def _pg_params(self, req: ClaimRequest, now: datetime) -> dict[str, Any]:
        return {
            "v": req.variant_id,
            "h": req.product_handle,
            "s": req.show_id,
            "p": req.platform,
            "u": req.viewer_id,
            "name": req.viewer_name,
            "q": req.quantity,
            "key": req.claim_key,
            "hold_id": uuid.uuid4().hex[:16],
            "now": now,
            "expires": now + self._config.ttl,
            "sent": req.sent_at,
            "maxp": self._config.max_per_product,
            "maxs": self._config.max_per_show,
            "wl": self._config.waitlist,
            "wmax": self._config.waitlist_max,
        }

    def _run_pg(self, batch: Sequence[tuple[ClaimRequest, dict[str, Any]]]) -> list[Any]:
        import psycopg

        shared = self._shared()
        if shared is not None:
            return self._run_pg_shared(shared, batch)
        conn = self._conn()
        try:
            with conn.pipeline():
                if not self._config.durable_claims:
                    conn.execute("SET LOCAL synchronous_commit = off")
                viewers = sorted({f"{req.platform}:{req.viewer_id}" for req, _ in batch})
                conn.execute(_LOCK_VIEWERS, {"lks": viewers})
                cursors = [conn.execute(_PG_CLAIM, params) for _, params in batch]
                conn.execute("COMMIT")
            return [c.fetchone() for c in cursors]
        except psycopg.errors.UniqueViolation:
            conn.rollback()
            raise Duplicate(batch[0][0].claim_key) from None
        except Exception as exc:
            if not conn.closed:
                conn.rollback()
            if is_conflict(exc):
                raise Retry() from None
            raise

    def _run_pg_shared(
        self, conn: Any, batch: Sequence[tuple[ClaimRequest, dict[str, Any]]]
    ) -> list[Any]:
        """The claims inside the batch's transaction: a savepoint takes back a duplicate;
        a deadlock fails the whole unit (it is the unit that is run again)."""
        import psycopg

        try:
            with conn.pipeline():
                conn.execute("SAVEPOINT claims")
                if not self._config.durable_claims:
                    conn.execute("SET LOCAL synchronous_commit = off")
                viewers = sorted({f"{req.platform}:{req.viewer_id}" for req, _ in batch})
                conn.execute(_LOCK_VIEWERS, {"lks": viewers})
                cursors = [conn.execute(_PG_CLAIM, params) for _, params in batch]
                conn.execute("RELEASE SAVEPOINT claims")
            return [c.fetchone() for c in cursors]
        except psycopg.errors.UniqueViolation:
            conn.execute("ROLLBACK TO SAVEPOINT claims")
            raise Duplicate(batch[0][0].claim_key) from None

    def _claim_pg(self, req: ClaimRequest, now: datetime) -> ClaimOutcome:
        params = self._pg_params(req, now)
        [row] = self._run_pg([(req, params)])
        return _pg_outcome(req, row, params)

    def _many_pg(self, reqs: Sequence[ClaimRequest], now: datetime) -> list[ClaimOutcome | None]:
        batch = [(req, self._pg_params(req, now)) for req in reqs]
        rows = self._run_pg(batch)
        return [
            _pg_outcome(req, row, params) for (req, params), row in zip(batch, rows, strict=True)
        ]


def _held_view(
    req: ClaimRequest, hold_id: str, sku: str, created: datetime, expires: datetime
) -> HoldView:
    """The active hold a granted claim became (both databases' paths)."""
    return HoldView(
        hold_id=hold_id,
        claim_key=req.claim_key,
        platform=req.platform,
        viewer_id=req.viewer_id,
        viewer_name=req.viewer_name,
        variant_id=req.variant_id,
        product_handle=req.product_handle,
        sku=sku,
        quantity=req.quantity,
        status="active",
        created_at=created,
        expires_at=expires,
        show_id=req.show_id,
    )


def _pg_outcome(req: ClaimRequest, row: Any, params: dict[str, Any]) -> ClaimOutcome:
    kind, free, sku, position = row
    if kind == "held":
        after = None if free is None else free - req.quantity
        view = _held_view(req, params["hold_id"], sku, params["now"], params["expires"])
        return ClaimOutcome(kind="held", hold=view, available_after=after)
    if kind == "waitlisted":
        return ClaimOutcome(
            kind="waitlisted", waitlist_position=int(position), available_after=free
        )
    if kind == "invalid":
        return ClaimOutcome(kind="invalid", reason="unknown_variant")
    if kind.startswith("capped"):
        reason = "per_product" if kind == "capped_product" else "per_show"
        return ClaimOutcome(kind="capped", reason=reason, available_after=free)
    return ClaimOutcome(kind="sold_out", reason="no_stock", available_after=free)


_ALL = {
    "stock": _STOCK,
    "caps": _CAPS,
    "reserve": _RESERVE,
    "hold": _HOLD,
    "claim": _CLAIM,
    "wait": _WAIT,
    "waiting": _WAITING,
    "later": _LATER,
}
