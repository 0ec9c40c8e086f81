"""The hold book: atomic claims, TTL, reminders, caps, cancels, conversion and FIFO waitlists.

Every stock change is one database transaction that locks the variant's stock row (``FOR UPDATE``
on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and reserves with a conditional ``UPDATE``, so the
active holds of a variant never exceed what the store can sell, across processes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Connection, Engine, Row

from shop_sync.claim_sql import Duplicate, RawClaims, Retry
from shop_sync.config import HoldConfig
from shop_sync.hold_types import ClaimKind, ClaimOutcome, ClaimRequest, HoldView
from shop_sync.models import HoldClaim, HoldWaitlist, table, utc
from shop_sync.stock import HOLDS, STOCK, free_of, retrying, write_stock, write_txn
from shopstream.storage.unit import on_commit, reading

_LOGGER = logging.getLogger(__name__)

WAITS = table(HoldWaitlist)
CLAIMS = table(HoldClaim)

_STOCK_ROW = select(
    STOCK.c.sellable,
    STOCK.c.reserved,
    STOCK.c.pending_sold,
    STOCK.c.unlimited,
    STOCK.c.waiting,
    STOCK.c.sku,
).where(STOCK.c.variant_id == bindparam("v"))
_STOCK_ROW_LOCKED = _STOCK_ROW.with_for_update()
_HOLD_INSERT = HOLDS.insert()


def _view(row: Row[Any] | Any) -> HoldView:
    return HoldView(
        hold_id=row.hold_id,
        claim_key=row.claim_key,
        platform=row.platform,
        viewer_id=row.viewer_id,
        viewer_name=row.viewer_name,
        variant_id=row.variant_id,
        product_handle=row.product_handle,
        sku=row.sku,
        quantity=row.quantity,
        status=row.status,
        created_at=cast(datetime, utc(row.created_at)),
        expires_at=utc(row.expires_at),
        show_id=row.show_id,
    )


def _wait_view(row: Any, status: str, sku: str = "") -> HoldView:
    return HoldView(
        hold_id=f"w{row.id}",
        claim_key=row.claim_key,
        platform=row.platform,
        viewer_id=row.viewer_id,
        viewer_name=row.viewer_name,
        variant_id=row.variant_id,
        product_handle=row.product_handle,
        sku=sku,
        quantity=row.quantity,
        status=status,
        created_at=cast(datetime, utc(row.sent_at)),
        expires_at=None,
        show_id=row.show_id,
    )


class HoldBook:
    """Stock promises to buyers, kept in the database.

    Promotions from the waitlist that happen inside ``expire_due``, ``cancel*``, ``release`` and
    ``on_stock_changed`` are also handed to ``on_promoted`` (when given) and queued for
    :meth:`take_promotions`, so the app can tell each promoted buyer.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime],
        config: HoldConfig,
        on_promoted: Callable[[list[HoldView]], None] | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._config = config
        self._on_promoted = on_promoted
        self._promotions: list[HoldView] = []
        self._pg = engine.dialect.name == "postgresql"
        self._raw = RawClaims(engine, config)

    # --- claims ---------------------------------------------------------------------------

    def claim(self, req: ClaimRequest) -> ClaimOutcome:
        """Reserve stock for one buy message, or waitlist it; idempotent on ``claim_key``."""
        if not req.claim_key or req.quantity <= 0 or not req.variant_id:
            return ClaimOutcome(kind="invalid", reason="bad_request")
        now = self._clock()
        if req.sent_at.tzinfo is None or req.sent_at.utcoffset():
            req = replace(req, sent_at=cast(datetime, utc(req.sent_at)))
        for _ in range(5):
            try:
                return self._raw.claim(req, now)
            except Duplicate:
                first = self._first_outcome(req.claim_key)
                if first is not None:
                    return first
            except Retry:
                _LOGGER.warning("claim %s retried after a deadlock", req.claim_key)
        raise RuntimeError(f"claim {req.claim_key} could not be recorded")

    def claim_many(self, reqs: Sequence[ClaimRequest]) -> list[ClaimOutcome]:
        """Claim a burst of buy messages in one transaction (one commit), in the given order.

        Same outcomes as calling :meth:`claim` for each; much faster when a drop brings many
        claims at once. Falls back to one claim per transaction after a duplicate key or a
        deadlock on PostgreSQL.
        """
        now = self._clock()
        ready: list[ClaimRequest] = []
        for req in reqs:
            if req.sent_at.tzinfo is None or req.sent_at.utcoffset():
                req = replace(req, sent_at=cast(datetime, utc(req.sent_at)))
            ready.append(req)
        valid = [r for r in ready if r.claim_key and r.quantity > 0 and r.variant_id]
        try:
            got = self._raw.claim_many(valid, now) if valid else []
        except (Duplicate, Retry):
            return [self.claim(r) for r in ready]
        by_key: dict[int, ClaimOutcome | None] = {id(r): o for r, o in zip(valid, got, strict=True)}
        out: list[ClaimOutcome] = []
        for req in ready:
            if id(req) not in by_key:
                out.append(ClaimOutcome(kind="invalid", reason="bad_request"))
                continue
            outcome = by_key[id(req)]
            out.append(outcome if outcome is not None else self.claim(req))
        return out

    def close(self) -> None:
        """Return the driver connections the claim path keeps (also done at garbage collection)."""
        self._raw.close()

    def _insert_hold(
        self,
        conn: Connection,
        req: ClaimRequest | Any,
        sku: str,
        now: datetime,
        claim_key: str,
    ) -> HoldView:
        hold_id = uuid.uuid4().hex[:16]
        values = {
            "hold_id": hold_id,
            "claim_key": claim_key,
            "platform": req.platform,
            "viewer_id": req.viewer_id,
            "viewer_name": req.viewer_name,
            "variant_id": req.variant_id,
            "product_handle": req.product_handle,
            "sku": sku,
            "quantity": req.quantity,
            "status": "active",
            "show_id": req.show_id,
            "created_at": now,
            "expires_at": now + self._config.ttl,
            "reminded": False,
            "settled": True,
        }
        conn.execute(_HOLD_INSERT, values)
        return _view(_Values(values))

    def _first_outcome(self, claim_key: str) -> ClaimOutcome | None:
        with reading(self._engine) as conn:
            row = conn.execute(select(CLAIMS).where(CLAIMS.c.claim_key == claim_key)).first()
            if row is None:
                return None
            hold = None
            if row.hold_id:
                h = conn.execute(select(HOLDS).where(HOLDS.c.hold_id == row.hold_id)).first()
                hold = _view(h) if h is not None else None
        return ClaimOutcome(
            kind=cast(ClaimKind, row.kind),
            hold=hold,
            waitlist_position=row.waitlist_position,
            duplicate=True,
            available_after=row.available_after,
            reason=row.reason,
        )

    # --- ending holds ---------------------------------------------------------------------

    def _end(
        self, where: Any, *, status: str, by: str | None, include_waitlist: Any = None
    ) -> list[HoldView]:
        now = self._clock()

        def attempt() -> tuple[list[HoldView], set[str]]:
            with write_txn(self._engine) as conn:
                rows = conn.execute(
                    select(HOLDS)
                    .where(and_(where, HOLDS.c.status == "active"))
                    .order_by(HOLDS.c.hold_id)
                    .with_for_update()
                ).all()
                ended: list[HoldView] = []
                returned: dict[str, int] = {}
                for r in rows:
                    res = conn.execute(
                        update(HOLDS)
                        .where(HOLDS.c.hold_id == r.hold_id, HOLDS.c.status == "active")
                        .values(status=status, ended_at=now, ended_by=by)
                    )
                    if res.rowcount == 1:
                        ended.append(replace(_view(r), status=status))
                        returned[r.variant_id] = returned.get(r.variant_id, 0) + r.quantity
                for variant_id in sorted(returned):
                    conn.execute(
                        update(STOCK)
                        .where(STOCK.c.variant_id == variant_id)
                        .values(reserved=STOCK.c.reserved - returned[variant_id])
                    )
                changed = set(returned)
                if include_waitlist is not None:
                    left = self._leave_waitlist(conn, include_waitlist)
                    ended.extend(left)
                    changed.update(w.variant_id for w in left)  # the next in line may fit now
                return ended, changed

        ended, variants = retrying(attempt)
        for variant_id in sorted(variants):
            self.promote_waitlist(variant_id)
        return ended

    def _leave_waitlist(self, conn: Connection, where: Any) -> list[HoldView]:
        rows = conn.execute(select(WAITS).where(and_(where, WAITS.c.status == "waiting"))).all()
        out: list[HoldView] = []
        for variant_id in sorted({r.variant_id for r in rows}):
            conn.execute(_STOCK_ROW_LOCKED if self._pg else _STOCK_ROW, {"v": variant_id})
            for r in (r for r in rows if r.variant_id == variant_id):
                res = conn.execute(
                    update(WAITS)
                    .where(WAITS.c.id == r.id, WAITS.c.status == "waiting")
                    .values(status="cancelled")
                )
                if res.rowcount == 1:
                    conn.execute(
                        update(STOCK)
                        .where(STOCK.c.variant_id == variant_id)
                        .values(waiting=STOCK.c.waiting - 1)
                    )
                    out.append(_wait_view(r, "left_waitlist"))
        return out

    def cancel(
        self, *, viewer_id: str, platform: str, product_handle: str | None = None
    ) -> list[HoldView]:
        """Cancel the buyer's active holds and waitlist entries (of one product if given)."""
        h = and_(HOLDS.c.platform == platform, HOLDS.c.viewer_id == viewer_id)
        w = and_(WAITS.c.platform == platform, WAITS.c.viewer_id == viewer_id)
        if product_handle is not None:
            h = and_(h, HOLDS.c.product_handle == product_handle)
            w = and_(w, WAITS.c.product_handle == product_handle)
        return self._end(h, status="cancelled", by=f"{platform}:{viewer_id}", include_waitlist=w)

    def cancel_by_claim(self, claim_key: str) -> list[HoldView]:
        """Cancel what a (deleted) message claimed: its hold or its waitlist entry."""
        return self._end(
            HOLDS.c.claim_key == claim_key,
            status="cancelled",
            by="deleted",
            include_waitlist=WAITS.c.claim_key == claim_key,
        )

    def cancel_by_viewer(self, platform: str, viewer_id: str) -> list[HoldView]:
        """Cancel everything a (banned) viewer holds or waits for."""
        return self._end(
            and_(HOLDS.c.platform == platform, HOLDS.c.viewer_id == viewer_id),
            status="cancelled",
            by="banned",
            include_waitlist=and_(WAITS.c.platform == platform, WAITS.c.viewer_id == viewer_id),
        )

    def release(self, hold_id: str, *, by: str) -> HoldView | None:
        """Release one hold (moderator); None when it is not active."""
        ended = self._end(HOLDS.c.hold_id == hold_id, status="released", by=by)
        return ended[0] if ended else None

    def expire_due(self) -> list[HoldView]:
        """Expire the holds past their TTL, return their stock and promote waiting buyers."""
        return self._end(HOLDS.c.expires_at <= self._clock(), status="expired", by="ttl")

    # --- reading --------------------------------------------------------------------------

    def active_holds(self, *, platform: str, viewer_id: str) -> list[HoldView]:
        """Return the buyer's active holds, oldest first."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(HOLDS)
                .where(
                    HOLDS.c.platform == platform,
                    HOLDS.c.viewer_id == viewer_id,
                    HOLDS.c.status == "active",
                )
                .order_by(HOLDS.c.created_at, HOLDS.c.hold_id)
            ).all()
        return [_view(r) for r in rows]

    def hold(self, hold_id: str) -> HoldView | None:
        """Return one hold in any status."""
        with reading(self._engine) as conn:
            row = conn.execute(select(HOLDS).where(HOLDS.c.hold_id == hold_id)).first()
        return _view(row) if row is not None else None

    def waitlist(self, variant_id: str) -> list[HoldView]:
        """Return the variant's waiting entries in serving order."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(WAITS)
                .where(WAITS.c.variant_id == variant_id, WAITS.c.status == "waiting")
                .order_by(WAITS.c.sent_at, WAITS.c.id)
            ).all()
        return [_wait_view(r, "waiting") for r in rows]

    def free_stock(self, variant_id: str) -> int | None:
        """Return what can still be promised of a variant (None = unlimited; 0 if unknown)."""
        with reading(self._engine) as conn:
            row = conn.execute(_STOCK_ROW, {"v": variant_id}).first()
        if row is None:
            return 0
        return free_of(row.sellable, row.reserved, row.pending_sold, bool(row.unlimited))

    def due_reminders(self, before: timedelta) -> list[HoldView]:
        """Return active holds expiring within ``before``, each exactly once."""
        limit = self._clock() + before
        out: list[HoldView] = []
        with write_txn(self._engine) as conn:
            rows = conn.execute(
                select(HOLDS).where(
                    HOLDS.c.status == "active",
                    HOLDS.c.reminded.is_(False),
                    HOLDS.c.expires_at <= limit,
                )
            ).all()
            for r in rows:
                res = conn.execute(
                    update(HOLDS)
                    .where(HOLDS.c.hold_id == r.hold_id, HOLDS.c.reminded.is_(False))
                    .values(reminded=True)
                )
                if res.rowcount == 1:
                    out.append(_view(r))
        return out

    # --- stock returning and sales --------------------------------------------------------

    def set_stock(
        self,
        variant_id: str,
        sellable: int | None,
        *,
        level_at: datetime | None = None,
        sku: str = "",
        product_handle: str = "",
    ) -> list[HoldView]:
        """Set the store's sellable stock of a variant (None = unlimited) and promote waiters.

        The mirror does this on every sync and webhook; the app and tests may call it directly.
        """
        at = level_at if level_at is not None else self._clock()

        def attempt() -> None:
            with write_txn(self._engine) as conn:
                write_stock(
                    conn,
                    variant_id,
                    sellable=sellable or 0,
                    unlimited=sellable is None,
                    level_at=at,
                    sku=sku,
                    product_handle=product_handle,
                )

        retrying(attempt)
        return self.on_stock_changed(variant_id)

    def promote_waitlist(self, variant_id: str) -> list[HoldView]:
        """Give holds to the waiting buyers of a variant, first come first served, while stock
        lasts (strict order: a head that does not fit stops the line)."""
        now = self._clock()

        def attempt() -> list[HoldView]:
            made: list[HoldView] = []
            with write_txn(self._engine) as conn:
                row = conn.execute(
                    _STOCK_ROW_LOCKED if self._pg else _STOCK_ROW, {"v": variant_id}
                ).first()
                if row is None or row.waiting <= 0:
                    return made
                free = free_of(row.sellable, row.reserved, row.pending_sold, bool(row.unlimited))
                heads = conn.execute(
                    select(WAITS)
                    .where(WAITS.c.variant_id == variant_id, WAITS.c.status == "waiting")
                    .order_by(WAITS.c.sent_at, WAITS.c.id)
                    .limit(500)
                ).all()
                taken = 0
                for head in heads:
                    if free is not None and free - taken < head.quantity:
                        break
                    hold = self._insert_hold(conn, head, row.sku, now, head.claim_key)
                    conn.execute(
                        update(WAITS)
                        .where(WAITS.c.id == head.id)
                        .values(status="promoted", hold_id=hold.hold_id)
                    )
                    taken += head.quantity
                    made.append(hold)
                if made:
                    conn.execute(
                        update(STOCK)
                        .where(STOCK.c.variant_id == variant_id)
                        .values(
                            reserved=STOCK.c.reserved + taken,
                            waiting=STOCK.c.waiting - len(made),
                        )
                    )
            return made

        made = retrying(attempt)
        if made:
            _LOGGER.info("promoted %s waiting buyer(s) of variant %s", len(made), variant_id)
            on_commit(self._engine, lambda: self._promoted(made))
        return made

    def _promoted(self, made: list[HoldView]) -> None:
        """Promotions are told once their transaction committed (the batch's, if any)."""
        self._promotions.extend(made)
        if self._on_promoted is not None:
            self._on_promoted(list(made))

    def on_stock_changed(self, variant_id: str) -> list[HoldView]:
        """Promote waiting buyers after the store's stock of a variant changed (restock)."""
        return self.promote_waitlist(variant_id)

    def variants_waiting(self, among: Iterable[str] | None = None) -> set[str]:
        """Return the variants that have buyers waiting (only among ``among`` when given)."""
        stmt = select(STOCK.c.variant_id).where(STOCK.c.waiting > 0)
        if among is not None:
            ids = sorted(set(among))
            if not ids:
                return set()
            stmt = stmt.where(STOCK.c.variant_id.in_(ids))
        with reading(self._engine) as conn:
            return {r[0] for r in conn.execute(stmt)}

    def take_promotions(self) -> list[HoldView]:
        """Return and forget the promotions made since the last call."""
        out, self._promotions = self._promotions, []
        return out

    def convert(
        self, hold_ids: Iterable[str], order_id: str, *, ordered_at: datetime | None = None
    ) -> list[HoldView]:
        """Turn holds into a sale. The unit leaves ``reserved`` and is counted as sold until the
        store's level shows the order (a level at or after ``ordered_at``), never twice."""
        ids = sorted({h for h in hold_ids if h})
        if not ids:
            return []
        at = ordered_at if ordered_at is not None else self._clock()

        def attempt() -> list[HoldView]:
            out: list[HoldView] = []
            with write_txn(self._engine) as conn:
                rows = conn.execute(
                    select(HOLDS)
                    .where(HOLDS.c.hold_id.in_(ids), HOLDS.c.status != "converted")
                    .order_by(HOLDS.c.hold_id)
                    .with_for_update()
                ).all()
                for r in rows:
                    level = conn.execute(
                        select(STOCK.c.level_at)
                        .where(STOCK.c.variant_id == r.variant_id)
                        .with_for_update()
                    ).scalar()
                    settled = level is not None and cast(datetime, utc(level)) >= at
                    conn.execute(
                        update(HOLDS)
                        .where(HOLDS.c.hold_id == r.hold_id)
                        .values(status="converted", order_id=order_id, order_at=at, settled=settled)
                    )
                    freed = r.quantity if r.status == "active" else 0
                    pending = 0 if settled else r.quantity
                    conn.execute(
                        update(STOCK)
                        .where(STOCK.c.variant_id == r.variant_id)
                        .values(
                            reserved=STOCK.c.reserved - freed,
                            pending_sold=STOCK.c.pending_sold + pending,
                        )
                    )
                    out.append(replace(_view(r), status="converted"))
            return out

        converted = retrying(attempt)
        for variant_id in sorted(self.variants_waiting(h.variant_id for h in converted)):
            # a sale the store's level already showed frees the unit its hold reserved
            self.promote_waitlist(variant_id)
        return converted


class _Values:
    """Attribute access over a dict of column values (to build a view of an inserted row)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def hold_ids_from_note(note_attributes: Sequence[Any] | None, key: str) -> list[str]:
    """Return the hold ids in an order's ``note_attributes`` (``[{name, value}]``) under ``key``."""
    out: list[str] = []
    for attr in note_attributes or ():
        if isinstance(attr, dict) and attr.get("name") == key:
            out.extend(p.strip() for p in str(attr.get("value", "")).split(",") if p.strip())
    return out
