"""The per-variant stock rows that claims reserve against, and write transactions on both DBs.

Lock order, everywhere: hold rows, then stock rows (sorted by variant id), then waitlist rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.engine import Connection, Engine

from shop_sync.models import Hold, HoldStock, table
from shopstream.storage.errors import is_conflict
from shopstream.storage.unit import in_unit, writing

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

STOCK = table(HoldStock)
HOLDS = table(Hold)


@contextmanager
def write_txn(engine: Engine) -> Iterator[Connection]:
    """Open a write transaction: ``BEGIN IMMEDIATE`` on SQLite (one writer, no upgrade
    deadlocks), a plain transaction on PostgreSQL (rows are locked explicitly). Inside a
    unit of work (:mod:`shopstream.storage.unit`) its connection, committed with the unit."""
    with writing(engine, immediate=True) as conn:
        yield conn


def retrying(fn: Callable[[], T], *, attempts: int = 5) -> T:
    """Run ``fn`` again when PostgreSQL reports a deadlock or serialization failure.

    Not inside a unit of work: the whole unit failed, and it is the unit that is run
    again (the pipeline retries the batch).
    """
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:
            if not is_conflict(exc) or attempt == attempts - 1:
                raise
            if in_unit():
                raise
            _LOGGER.warning("stock transaction retried after a conflict: %s", type(exc).__name__)
    raise AssertionError("unreachable")


def free_of(sellable: int, reserved: int, pending_sold: int, unlimited: bool) -> int | None:
    """Return the stock that can still be promised (None = unlimited)."""
    if unlimited:
        return None
    return max(0, sellable - reserved - pending_sold)


_SETTLE = (
    update(HOLDS)
    .where(
        and_(
            HOLDS.c.variant_id == bindparam("v"),
            HOLDS.c.status == "converted",
            HOLDS.c.settled.is_(False),
            HOLDS.c.order_at <= bindparam("t"),
        )
    )
    .values(settled=True)
    .returning(HOLDS.c.quantity)
)


def write_stock(
    conn: Connection,
    variant_id: str,
    *,
    sellable: int,
    unlimited: bool,
    level_at: datetime | None,
    sku: str = "",
    product_handle: str = "",
) -> None:
    """Set the store's sellable stock of a variant as of ``level_at``.

    Converted holds whose order is not after ``level_at`` are already in the store's figure, so
    they leave ``pending_sold`` here: a sale is never counted twice.
    """
    # lock the stock row first: a concurrent convert() then sees this level or is settled here
    conn.execute(
        select(STOCK.c.variant_id).where(STOCK.c.variant_id == variant_id).with_for_update()
    )
    settled = 0
    if level_at is not None:
        settled = sum(r[0] for r in conn.execute(_SETTLE, {"v": variant_id, "t": level_at}))
    values: dict[str, object] = {
        "sellable": sellable,
        "unlimited": unlimited,
        "level_at": level_at,
        "sku": sku,
        "product_handle": product_handle,
    }
    if settled:
        values["pending_sold"] = func.max(STOCK.c.pending_sold - settled, 0)
        if conn.dialect.name != "sqlite":
            values["pending_sold"] = func.greatest(STOCK.c.pending_sold - settled, 0)
    res = conn.execute(update(STOCK).where(STOCK.c.variant_id == variant_id).values(**values))
    if res.rowcount == 0:
        values.pop("pending_sold", None)
        conn.execute(STOCK.insert().values(variant_id=variant_id, **values))


def delete_stock(conn: Connection, variant_id: str) -> None:
    """Make a deleted variant unclaimable (nothing sellable; holds stay until they end)."""
    conn.execute(
        update(STOCK).where(STOCK.c.variant_id == variant_id).values(sellable=0, unlimited=False)
    )


def read_free(conn: Connection, variant_id: str) -> int | None:
    """Return the free stock of ``variant_id``; 0 when unknown."""
    row = conn.execute(
        select(STOCK.c.sellable, STOCK.c.reserved, STOCK.c.pending_sold, STOCK.c.unlimited).where(
            STOCK.c.variant_id == variant_id
        )
    ).first()
    if row is None:
        return 0
    return free_of(row.sellable, row.reserved, row.pending_sold, bool(row.unlimited))
