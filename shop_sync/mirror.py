"""The catalog mirror: products, variants and stock levels, and the stock rows holds use.

Sellable rule: a variant is sellable when it is untracked, or its policy is ``CONTINUE``, or its
available stock summed over the counted locations is above zero. Older data (by ``updated_at``)
never overwrites newer data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from shop_sync.config import ShopConfig
from shop_sync.models import (
    HoldStock,
    ShopLevel,
    ShopProduct,
    ShopSyncState,
    ShopVariant,
    table,
    utc,
)
from shop_sync.stock import HOLDS, free_of, retrying, write_stock, write_txn
from shop_sync.translate import LevelRecord, ProductRecord, VariantRecord, numeric_id

_LOGGER = logging.getLogger(__name__)

PRODUCTS = table(ShopProduct)
VARIANTS = table(ShopVariant)
LEVELS = table(ShopLevel)
STOCKS = table(HoldStock)
STATE = table(ShopSyncState)
_CHUNK = 500
_T = TypeVar("_T")


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass(frozen=True, slots=True, kw_only=True)
class MirrorVariant:
    """A mirrored variant with its product, price and what can still be promised."""

    variant_id: str
    gid: str
    product_id: str
    handle: str
    product_title: str
    title: str
    sku: str
    options: tuple[str | None, str | None, str | None]
    price: Decimal
    currency: str
    tracked: bool
    policy: str
    inventory_item_id: str
    sellable_now: int | None


def _same(old: Any, row: dict[str, Any], cols: Sequence[str]) -> bool:
    for c in cols:
        a = old[c]
        if isinstance(a, datetime):
            a = utc(a)
        if a != row[c]:
            return False
    return True


def _upsert(
    conn: Connection, tbl: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert new rows; update changed ones unless they are newer (``updated_at``)."""
    if not rows:
        return
    first = keys[0]
    compare = [c for c in rows[0] if c not in keys and c != "synced_at"]
    existing: dict[tuple[Any, ...], Any] = {}
    for chunk in _chunks(sorted({r[first] for r in rows})):
        for old in conn.execute(select(tbl).where(tbl.c[first].in_(chunk))).mappings():
            existing[tuple(old[k] for k in keys)] = old
    fresh = [r for r in rows if tuple(r[k] for k in keys) not in existing]
    known = [
        r
        for r in rows
        if (prev := existing.get(tuple(r[k] for k in keys))) is not None
        and not _same(prev, r, compare)
    ]
    if fresh:
        conn.execute(tbl.insert(), fresh)
    if known:
        cols = [c for c in known[0] if c not in keys]
        stmt = (
            update(tbl)
            .where(
                and_(
                    *(tbl.c[k] == bindparam(f"k_{k}") for k in keys),
                    or_(tbl.c.updated_at.is_(None), tbl.c.updated_at <= bindparam("k_at")),
                )
            )
            .values({c: bindparam(f"v_{c}") for c in cols})
        )
        params = [
            {
                **{f"k_{k}": r[k] for k in keys},
                "k_at": r["updated_at"],
                **{f"v_{c}": r[c] for c in cols},
            }
            for r in known
        ]
        conn.execute(stmt, params)


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelOutcome:
    """What :meth:`Mirror.apply_level` did: the level's variant (None: unknown item), and
    whether the level is ``unsettled`` (same second as the mirror's, another figure: not
    stored; re-read it from the store)."""

    variant_id: str | None
    unsettled: bool = False


def _same_second(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return False
    ua, ub = utc(a), utc(b)
    return (
        ua is not None and ub is not None and ua.replace(microsecond=0) == ub.replace(microsecond=0)
    )


def _with_known(v: VariantRecord, known: Any) -> VariantRecord:
    """Fill what a webhook variant does not say (tracking, inventory item) from the mirror.

    A variant the mirror has never seen counts as tracked until a GraphQL read says otherwise
    (``InventoryItem.tracked``): counting stock that does not limit can only refuse a sale,
    treating tracked stock as unlimited oversells it.
    """
    tracked = v.tracked
    if tracked is None:
        tracked = bool(known.tracked) if known is not None else True
    item = v.inventory_item_id or (str(known.inventory_item_id) if known is not None else "")
    if tracked is v.tracked and item == v.inventory_item_id:
        return v
    return replace(v, tracked=tracked, inventory_item_id=item)


class Mirror:
    """The store's catalog and stock as last seen, kept in the database."""

    def __init__(
        self,
        engine: Engine,
        config: ShopConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._config = config
        self._clock = clock
        self._counted = {numeric_id(loc) for loc in config.locations}
        self.currency = config.currency

    # --- writing --------------------------------------------------------------------------

    def _write(self, fn: Callable[[Connection], _T]) -> _T:
        def attempt() -> _T:
            for tries in range(3):
                try:
                    with write_txn(self._engine) as conn:
                        return fn(conn)
                except IntegrityError:  # a concurrent insert of the same row: go again
                    if tries == 2:
                        raise
            raise AssertionError("unreachable")

        return retrying(attempt)

    def apply_variants(self, records: Sequence[VariantRecord], *, currency: str = "") -> list[str]:
        """Store variants read from the API (with their products and levels).

        Returns:
            The variant ids whose stock rows were rewritten.
        """
        if currency:
            self.currency = currency
        now = self._clock()

        def run(conn: Connection) -> list[str]:
            products = {r.product.product_id: r.product for r in records}
            _upsert(
                conn,
                PRODUCTS,
                ["product_id"],
                [self._product_row(p, now) for p in products.values()],
            )
            _upsert(conn, VARIANTS, ["variant_id"], [self._variant_row(r, now) for r in records])
            levels = [lv for r in records for lv in r.levels or ()]
            _upsert(
                conn,
                LEVELS,
                ["inventory_item_id", "location_id"],
                [self._level_row(lv, now) for lv in levels],
            )
            ids = [r.variant_id for r in records]
            self._write_stock(conn, ids)
            return ids

        return self._write(run)

    def apply_product(self, product: ProductRecord, variants: Sequence[VariantRecord]) -> list[str]:
        """Store a product from a webhook; its variants missing from the payload are removed."""
        now = self._clock()

        def run(conn: Connection) -> list[str]:
            current = conn.execute(
                select(PRODUCTS.c.updated_at).where(PRODUCTS.c.product_id == product.product_id)
            ).first()
            incoming = product.updated_at or now
            if current is not None and current[0] is not None and utc(current[0]) > incoming:  # type: ignore[operator]
                _LOGGER.info("ignored an older update of product %s", product.product_id)
                return []
            _upsert(conn, PRODUCTS, ["product_id"], [self._product_row(product, now)])
            known = self._known_variants(conn, [v.variant_id for v in variants])
            rows = [
                self._variant_row(_with_known(v, known.get(v.variant_id)), now) for v in variants
            ]
            _upsert(conn, VARIANTS, ["variant_id"], rows)
            keep = {v.variant_id for v in variants}
            gone = [
                r[0]
                for r in conn.execute(
                    select(VARIANTS.c.variant_id).where(VARIANTS.c.product_id == product.product_id)
                )
                if r[0] not in keep
            ]
            self._remove_variants(conn, gone)
            ids = sorted(keep)
            self._write_stock(conn, ids)
            return ids

        return self._write(run)

    @staticmethod
    def _known_variants(conn: Connection, variant_ids: Sequence[str]) -> dict[str, Any]:
        known: dict[str, Any] = {}
        for chunk in _chunks(sorted(set(variant_ids))):
            for r in conn.execute(
                select(
                    VARIANTS.c.variant_id, VARIANTS.c.tracked, VARIANTS.c.inventory_item_id
                ).where(VARIANTS.c.variant_id.in_(chunk))
            ):
                known[r.variant_id] = r
        return known

    def delete_product(self, product_id: str) -> list[str]:
        """Remove a product and its variants; their stock becomes unclaimable."""

        def run(conn: Connection) -> list[str]:
            gone = [
                r[0]
                for r in conn.execute(
                    select(VARIANTS.c.variant_id).where(VARIANTS.c.product_id == product_id)
                )
            ]
            self._remove_variants(conn, gone)
            conn.execute(delete(PRODUCTS).where(PRODUCTS.c.product_id == product_id))
            return gone

        return self._write(run)

    def apply_level(self, level: LevelRecord) -> LevelOutcome:
        """Store one inventory level (from a webhook) unless it is older than the mirror's.

        Shopify stamps levels in whole seconds, so two updates in the same second cannot be
        ordered by ``updated_at``, nor by arrival (webhooks are unordered, commerce.md §2.3).
        A level stamped in the mirror's second with another figure is not stored: the outcome
        says ``unsettled`` and the caller re-reads the level from the store.
        """
        now = self._clock()

        def run(conn: Connection) -> LevelOutcome:
            variant = conn.execute(
                select(VARIANTS.c.variant_id).where(
                    VARIANTS.c.inventory_item_id == level.inventory_item_id
                )
            ).first()
            if variant is None:
                return LevelOutcome(variant_id=None)
            vid = str(variant[0])
            conn.execute(  # one writer per variant (see _write_stock)
                select(STOCKS.c.variant_id).where(STOCKS.c.variant_id == vid).with_for_update()
            ).all()
            held = conn.execute(
                select(LEVELS.c.available, LEVELS.c.updated_at).where(
                    LEVELS.c.inventory_item_id == level.inventory_item_id,
                    LEVELS.c.location_id == level.location_id,
                )
            ).first()
            unsettled = (
                held is not None
                and held.available != level.available
                and _same_second(held.updated_at, level.updated_at)
            )
            if unsettled:
                return LevelOutcome(variant_id=vid, unsettled=True)
            _upsert(
                conn, LEVELS, ["inventory_item_id", "location_id"], [self._level_row(level, now)]
            )
            self._write_stock(conn, [vid])
            return LevelOutcome(variant_id=vid)

        outcome = self._write(run)
        if outcome.variant_id is None:
            _LOGGER.warning("ignored a level of unknown inventory item %s", level.inventory_item_id)
        return outcome

    def prune(self, seen_variant_ids: Iterable[str]) -> list[str]:
        """Remove the variants a full sync did not see (deleted in the store)."""
        seen = set(seen_variant_ids)

        def run(conn: Connection) -> list[str]:
            gone = [r[0] for r in conn.execute(select(VARIANTS.c.variant_id)) if r[0] not in seen]
            self._remove_variants(conn, gone)
            conn.execute(
                delete(PRODUCTS).where(
                    PRODUCTS.c.product_id.not_in(select(VARIANTS.c.product_id).distinct())
                )
            )
            return gone

        return self._write(run)

    def _remove_variants(self, conn: Connection, variant_ids: Sequence[str]) -> None:
        for chunk in _chunks(list(variant_ids)):
            items = [
                r[0]
                for r in conn.execute(
                    select(VARIANTS.c.inventory_item_id).where(VARIANTS.c.variant_id.in_(chunk))
                )
            ]
            conn.execute(delete(LEVELS).where(LEVELS.c.inventory_item_id.in_(items)))
            conn.execute(delete(VARIANTS).where(VARIANTS.c.variant_id.in_(chunk)))
            conn.execute(
                update(STOCKS)
                .where(STOCKS.c.variant_id.in_(chunk))
                .values(sellable=0, unlimited=False)
            )

    def _product_row(self, p: ProductRecord, now: datetime) -> dict[str, Any]:
        return {
            "product_id": p.product_id,
            "gid": p.gid,
            "handle": p.handle,
            "title": p.title,
            "status": p.status,
            "tags": ", ".join(p.tags),
            "options_json": json.dumps([[n, list(v)] for n, v in p.options]),
            "updated_at": p.updated_at or now,
            "synced_at": now,
        }

    def _variant_row(self, v: VariantRecord, now: datetime) -> dict[str, Any]:
        return {
            "variant_id": v.variant_id,
            "gid": v.gid,
            "product_id": v.product.product_id,
            "inventory_item_id": v.inventory_item_id,
            "sku": v.sku,
            "title": v.title,
            "position": v.position,
            "option1": v.options[0],
            "option2": v.options[1],
            "option3": v.options[2],
            "price": str(v.price),
            "currency": self.currency,
            "tracked": v.tracked is not False,  # None (not said) counts as tracked
            "policy": v.policy,
            "updated_at": v.updated_at or now,
            "synced_at": now,
        }

    @staticmethod
    def _level_row(lv: LevelRecord, now: datetime) -> dict[str, Any]:
        return {
            "inventory_item_id": lv.inventory_item_id,
            "location_id": lv.location_id,
            "available": lv.available,
            "updated_at": lv.updated_at or now,
        }

    def _write_stock(self, conn: Connection, variant_ids: Sequence[str]) -> None:
        """Recompute the stock rows of ``variant_ids`` from variants and counted levels."""
        for chunk in _chunks(sorted(set(variant_ids))):
            # lock the stock rows before reading unsettled sales (see HoldBook.convert)
            conn.execute(
                select(STOCKS.c.variant_id)
                .where(STOCKS.c.variant_id.in_(chunk))
                .order_by(STOCKS.c.variant_id)
                .with_for_update()
            ).all()
            unsettled = {
                r[0]
                for r in conn.execute(
                    select(HOLDS.c.variant_id)
                    .where(
                        HOLDS.c.variant_id.in_(chunk),
                        HOLDS.c.status == "converted",
                        HOLDS.c.settled.is_(False),
                    )
                    .distinct()
                )
            }
            rows = conn.execute(
                select(
                    VARIANTS.c.variant_id,
                    VARIANTS.c.sku,
                    VARIANTS.c.tracked,
                    VARIANTS.c.policy,
                    VARIANTS.c.inventory_item_id,
                    PRODUCTS.c.handle,
                    PRODUCTS.c.status,
                )
                .join(PRODUCTS, PRODUCTS.c.product_id == VARIANTS.c.product_id)
                .where(VARIANTS.c.variant_id.in_(chunk))
            ).all()
            items = [r.inventory_item_id for r in rows]
            levels: dict[str, list[Any]] = {}
            for lv in conn.execute(select(LEVELS).where(LEVELS.c.inventory_item_id.in_(items))):
                if not self._counted or lv.location_id in self._counted:
                    levels.setdefault(lv.inventory_item_id, []).append(lv)
            computed = []
            for r in rows:
                lvs = levels.get(r.inventory_item_id, [])
                active = r.status == "ACTIVE"
                stamps = [utc(lv.updated_at) for lv in lvs if lv.updated_at is not None]
                at = max((t for t in stamps if t is not None), default=None)
                computed.append(
                    {
                        "variant_id": r.variant_id,
                        "sku": r.sku,
                        "product_handle": r.handle,
                        "sellable": sum(lv.available for lv in lvs) if active else 0,
                        "unlimited": active and (not r.tracked or r.policy == "CONTINUE"),
                        "level_at": at,
                    }
                )
            for c in (c for c in computed if c["variant_id"] in unsettled):
                write_stock(conn, **c)
            self._bulk_stock(conn, [c for c in computed if c["variant_id"] not in unsettled])

    @staticmethod
    def _bulk_stock(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        ids = [r["variant_id"] for r in rows]
        existing = {
            old["variant_id"]: old
            for old in conn.execute(select(STOCKS).where(STOCKS.c.variant_id.in_(ids))).mappings()
        }
        fresh = [r for r in rows if r["variant_id"] not in existing]
        if fresh:
            conn.execute(STOCKS.insert(), fresh)
        cols = [k for k in rows[0] if k != "variant_id"]
        known = [
            {f"b_{k}": v for k, v in r.items()}
            for r in rows
            if r["variant_id"] in existing and not _same(existing[r["variant_id"]], r, cols)
        ]
        if known:
            conn.execute(
                update(STOCKS)
                .where(STOCKS.c.variant_id == bindparam("b_variant_id"))
                .values({c: bindparam(f"b_{c}") for c in cols}),
                known,
            )

    # --- state ----------------------------------------------------------------------------

    def get_state(self, name: str) -> str | None:
        """Return a sync bookkeeping value."""
        with self._engine.connect() as conn:
            return conn.execute(select(STATE.c.value).where(STATE.c.name == name)).scalar()

    def set_state(self, name: str, value: str) -> None:
        """Store a sync bookkeeping value."""
        now = self._clock()

        def run(conn: Connection) -> list[str]:
            res = conn.execute(
                update(STATE).where(STATE.c.name == name).values(value=value, at=now)
            )
            if res.rowcount == 0:
                conn.execute(STATE.insert().values(name=name, value=value, at=now))
            return []

        self._write(run)

    # --- reading --------------------------------------------------------------------------

    def variant(self, variant_id: str) -> MirrorVariant | None:
        """Return one mirrored variant, or None."""
        found = self._variants(VARIANTS.c.variant_id == variant_id)
        return found[0] if found else None

    def variant_ids(self) -> list[str]:
        """Return every mirrored variant id."""
        with self._engine.connect() as conn:
            return [r[0] for r in conn.execute(select(VARIANTS.c.variant_id))]

    def sellable_quantity(self, variant_id: str) -> int | None:
        """Return what can still be promised of a variant: the store's sellable stock minus
        active holds and sales not yet in the store's figure. None = unlimited; 0 if unknown."""
        with self._engine.connect() as conn:
            row = conn.execute(select(STOCKS).where(STOCKS.c.variant_id == variant_id)).first()
        if row is None:
            return 0
        return free_of(row.sellable, row.reserved, row.pending_sold, bool(row.unlimited))

    def _variants(self, where: Any = None) -> list[MirrorVariant]:
        stmt = (
            select(VARIANTS, PRODUCTS.c.handle, PRODUCTS.c.title.label("product_title"), STOCKS)
            .join(PRODUCTS, PRODUCTS.c.product_id == VARIANTS.c.product_id)
            .outerjoin(STOCKS, STOCKS.c.variant_id == VARIANTS.c.variant_id)
        )
        if where is not None:
            stmt = stmt.where(where)
        out = []
        with self._engine.connect() as conn:
            for r in conn.execute(stmt).mappings():
                sellable = (
                    0
                    if r["sellable"] is None
                    else free_of(
                        r["sellable"], r["reserved"], r["pending_sold"], bool(r["unlimited"])
                    )
                )
                out.append(
                    MirrorVariant(
                        variant_id=r["variant_id"],
                        gid=r["gid"],
                        product_id=r["product_id"],
                        handle=r["handle"],
                        product_title=r["product_title"],
                        title=r["title"],
                        sku=r["sku"],
                        options=(r["option1"], r["option2"], r["option3"]),
                        price=Decimal(r["price"]),
                        currency=r["currency"],
                        tracked=bool(r["tracked"]),
                        policy=r["policy"],
                        inventory_item_id=r["inventory_item_id"],
                        sellable_now=sellable,
                    )
                )
        return out

    def catalog_products(self) -> list[dict[str, Any]]:
        """Return the active catalog in Shopify ``products.json`` shape.

        Each variant's ``inventory_quantity`` is what can be promised now (for an unlimited
        variant: the store's available sum); ``inventory_management`` and ``inventory_policy``
        say whether the number limits anything.
        """
        with self._engine.connect() as conn:
            products = conn.execute(
                select(PRODUCTS)
                .where(PRODUCTS.c.status == "ACTIVE")
                .order_by(PRODUCTS.c.product_id)
            ).all()
            levels: dict[str, int] = {}
            for lv in conn.execute(select(LEVELS)):
                if not self._counted or lv.location_id in self._counted:
                    levels[lv.inventory_item_id] = (
                        levels.get(lv.inventory_item_id, 0) + lv.available
                    )
        by_product: dict[str, list[MirrorVariant]] = {}
        for v in self._variants():
            by_product.setdefault(v.product_id, []).append(v)
        out = []
        for p in products:
            variants = sorted(
                by_product.get(p.product_id, []),
                key=lambda v: int(v.variant_id) if v.variant_id.isdigit() else 0,
            )
            options = json.loads(p.options_json or "[]")
            out.append(
                {
                    "id": int(p.product_id),
                    "admin_graphql_api_id": p.gid,
                    "title": p.title,
                    "handle": p.handle,
                    "tags": p.tags,
                    "status": p.status.lower(),
                    "options": [
                        {"name": n, "position": i, "values": vals}
                        for i, (n, vals) in enumerate(options, 1)
                    ],
                    "variants": [self._variant_json(p.product_id, v, levels) for v in variants],
                }
            )
        return out

    @staticmethod
    def _variant_json(product_id: str, v: MirrorVariant, levels: dict[str, int]) -> dict[str, Any]:
        qty = v.sellable_now if v.sellable_now is not None else levels.get(v.inventory_item_id, 0)
        return {
            "id": int(v.variant_id),
            "admin_graphql_api_id": v.gid,
            "product_id": int(product_id),
            "title": v.title,
            "sku": v.sku,
            "price": f"{v.price:.2f}",
            "currency": v.currency,
            "option1": v.options[0],
            "option2": v.options[1],
            "option3": v.options[2],
            "inventory_quantity": qty,
            "inventory_management": "shopify" if v.tracked else None,
            "inventory_policy": v.policy.lower(),
            "inventory_item_id": int(v.inventory_item_id)
            if v.inventory_item_id.isdigit()
            else None,
            "available": v.sellable_now is None or v.sellable_now > 0,
        }
