"""State of the emulated Shopify store: products (REST shape), levels per location, orders."""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "demo_products.json"
MAIN_LOCATION = "1001"


def iso(dt: datetime) -> str:
    """Format like Shopify's stamps: UTC, ``Z``, whole seconds (``2024-10-15T14:22:31Z``)."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# Variant fields Shopify stopped sending in product webhooks as of 2024-07 (duplicates of the
# inventory item; shopify.dev/changelog/product-variant-field-cleanup, and the list in
# community.shopify.dev/t/webhook-containing-both-product-variant-inventory-item/5701).
REMOVED_WEBHOOK_FIELDS = (
    "inventory_management",
    "fulfillment_service",
    "grams",
    "weight",
    "weight_unit",
    "requires_shipping",
)


def load_demo(path: Path = DEMO_CATALOG) -> list[dict[str, Any]]:
    """Return the demo catalog's products (``products.json`` shape)."""
    return list(json.loads(path.read_text(encoding="utf-8"))["products"])


def generate_catalog(variants: int, *, per_product: int = 10) -> list[dict[str, Any]]:
    """Generate a catalog of ``variants`` variants (sizes x colours), deterministic."""
    sizes = ["XS", "S", "M", "L", "XL"]
    colours = ["Black", "White", "Red", "Blue", "Green", "Grey", "Navy", "Pink"]
    stamp = "2026-11-01T12:00:00Z"
    products: list[dict[str, Any]] = []
    vid = itertools.count(60_000_000_001)
    for p in range((variants + per_product - 1) // per_product):
        pid = 9_000_000_001 + p
        count = min(per_product, variants - p * per_product)
        combos = list(itertools.product(colours, sizes))[:count]
        product_variants = []
        for pos, (colour, size) in enumerate(combos, 1):
            v = next(vid)
            product_variants.append(
                {
                    "id": v,
                    "product_id": pid,
                    "title": f"{size} / {colour}",
                    "sku": f"GEN-{p:05d}-{size}-{colour[:3].upper()}",
                    "price": f"{10 + p % 50}.00",
                    "position": pos,
                    "option1": size,
                    "option2": colour,
                    "option3": None,
                    "inventory_quantity": (v * 7) % 23,
                    "inventory_management": None if p % 97 == 0 else "shopify",
                    "inventory_policy": "continue" if p % 89 == 0 else "deny",
                    "inventory_item_id": v + 10_000_000_000,
                    "updated_at": stamp,
                }
            )
        products.append(
            {
                "id": pid,
                "title": f"Generated product {p}",
                "handle": f"generated-{p}",
                "tags": f"generated, live:G{p}",
                "status": "active",
                "updated_at": stamp,
                "options": [
                    {"name": "Size", "position": 1, "values": sorted({c[1] for c in combos})},
                    {"name": "Color", "position": 2, "values": sorted({c[0] for c in combos})},
                ],
                "variants": product_variants,
            }
        )
    return products


class EmulatedStore:
    """Products, variants and inventory levels, guarded by one lock (the app serves from a
    worker thread while tests and the demo change stock from theirs)."""

    def __init__(
        self,
        products: Iterable[Mapping[str, Any]],
        *,
        locations: Sequence[str] = (MAIN_LOCATION,),
        currency: str = "USD",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.currency = currency
        self.locations = list(locations)
        self.products: dict[str, dict[str, Any]] = {}
        self.variants: dict[str, dict[str, Any]] = {}
        self.by_item: dict[str, str] = {}
        self.levels: dict[tuple[str, str], dict[str, Any]] = {}
        self.orders: list[dict[str, Any]] = []
        self._last = datetime(2000, 1, 1, tzinfo=UTC)
        self._order_ids = itertools.count(6_000_000_001)
        for product in products:
            self._add(copy.deepcopy(dict(product)))

    def now(self) -> datetime:
        """Return the UTC time in whole seconds, never earlier than the last one: like
        Shopify's, two changes in the same second share one ``updated_at``."""
        t = self.clock().astimezone(UTC).replace(microsecond=0)
        if t < self._last:
            t = self._last
        self._last = t
        return t

    def _add(self, product: dict[str, Any]) -> None:
        pid = str(product["id"])
        self.products[pid] = product
        for v in product.get("variants", []):
            vid = str(v["id"])
            v.setdefault("inventory_item_id", int(vid) + 10_000_000_000)
            v.setdefault("updated_at", product.get("updated_at"))
            self.variants[vid] = v
            item = str(v["inventory_item_id"])
            self.by_item[item] = vid
            qty = int(v.pop("inventory_quantity", 0) or 0)
            for n, loc in enumerate(self.locations):
                self.levels[(item, loc)] = {
                    "available": qty if n == 0 else 0,
                    "updated_at": v.get("updated_at") or iso(self.now()),
                }

    def ordered_variant_ids(self) -> list[str]:
        """Return every variant id in a stable order (pagination)."""
        return sorted(self.variants, key=int)

    def available(self, variant_id: str, location: str | None = None) -> int:
        """Return the available stock of a variant (at one location, or summed)."""
        item = str(self.variants[variant_id]["inventory_item_id"])
        locs = [location] if location else self.locations
        return sum(int(self.levels[(item, loc)]["available"]) for loc in locs)

    # --- changes (each returns the webhook payloads it causes) ----------------------------

    def set_available(
        self, variant_id: str, available: int, *, location: str | None = None, delta: bool = False
    ) -> dict[str, Any]:
        """Set (or adjust) a variant's available stock; return the ``inventory_levels/update``."""
        with self.lock:
            v = self.variants[str(variant_id)]
            item = str(v["inventory_item_id"])
            loc = location or self.locations[0]
            level = self.levels[(item, loc)]
            level["available"] = level["available"] + available if delta else available
            stamp = iso(self.now())
            level["updated_at"] = stamp
            v["updated_at"] = stamp
            return {
                "inventory_item_id": int(item),
                "location_id": int(loc),
                "available": level["available"],
                "updated_at": stamp,
                "admin_graphql_api_id": (
                    f"gid://shopify/InventoryLevel/{loc}?inventory_item_id={item}"
                ),
            }

    def update_variant(self, variant_id: str, **changes: Any) -> dict[str, Any]:
        """Change variant fields (price, sku, inventory_policy, ...); return ``products/update``."""
        with self.lock:
            v = self.variants[str(variant_id)]
            v.update(changes)
            stamp = iso(self.now())
            v["updated_at"] = stamp
            product = self.products[str(v["product_id"])]
            product["updated_at"] = stamp
            return self.product_payload(str(v["product_id"]))

    def delete_product(self, product_id: str) -> dict[str, Any]:
        """Delete a product; return the ``products/delete`` payload."""
        with self.lock:
            product = self.products.pop(str(product_id))
            for v in product.get("variants", []):
                vid = str(v["id"])
                self.variants.pop(vid, None)
                item = str(v["inventory_item_id"])
                self.by_item.pop(item, None)
                for loc in self.locations:
                    self.levels.pop((item, loc), None)
            return {"id": int(product_id)}

    def add_product(self, product: Mapping[str, Any]) -> dict[str, Any]:
        """Create a product; return the ``products/create`` payload."""
        with self.lock:
            data = copy.deepcopy(dict(product))
            data.setdefault("updated_at", iso(self.now()))
            self._add(data)
            return self.product_payload(str(data["id"]))

    def product_payload(self, product_id: str) -> dict[str, Any]:
        """Return a product in the REST webhook shape."""
        with self.lock:
            product = copy.deepcopy(self.products[str(product_id)])
            product["admin_graphql_api_id"] = f"gid://shopify/Product/{product['id']}"
            for v in product.get("variants", []):
                for name in REMOVED_WEBHOOK_FIELDS:
                    v.pop(name, None)
                v["inventory_quantity"] = self.available(str(v["id"]))
                v["old_inventory_quantity"] = v["inventory_quantity"]
                v["admin_graphql_api_id"] = f"gid://shopify/ProductVariant/{v['id']}"
            # as in Shopify's 2025-10 sample: every variant's gid, newest first
            product["variant_gids"] = [
                {"admin_graphql_api_id": v["admin_graphql_api_id"], "updated_at": v["updated_at"]}
                for v in sorted(
                    product.get("variants", []), key=lambda v: str(v["updated_at"]), reverse=True
                )
            ]
            return product

    def place_order(
        self,
        lines: Sequence[tuple[str, int]],
        *,
        note_attributes: Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
        order: Mapping[str, Any] | None = None,
        financial_status: str = "paid",
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Place an order: stock drops at the first location; return the ``orders/create``
        payload and the ``inventory_levels/update`` payloads it causes.

        ``financial_status`` ``pending`` or ``authorized`` places an unpaid order
        (:meth:`mark_paid` pays it later)."""
        with self.lock:
            created = self.now()
            levels = [self.set_available(vid, -qty, delta=True) for vid, qty in lines]
            if order is not None:
                payload = dict(order)
            else:
                oid = next(self._order_ids)
                if isinstance(note_attributes, Mapping):
                    notes = [{"name": k, "value": v} for k, v in note_attributes.items()]
                else:
                    notes = [dict(n) for n in note_attributes or ()]
                payload = {
                    "id": oid,
                    "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
                    "name": f"#{oid % 100000}",
                    "created_at": iso(created),
                    "updated_at": iso(created),
                    "currency": self.currency,
                    "financial_status": financial_status,
                    "cancelled_at": None,
                    "cancel_reason": None,
                    "source_name": "web",
                    "note_attributes": notes,
                    "line_items": [
                        {
                            "id": oid * 10 + i,
                            "variant_id": int(vid),
                            "product_id": int(self.variants[vid]["product_id"]),
                            "sku": self.variants[vid].get("sku"),
                            "quantity": qty,
                            "price": self.variants[vid].get("price"),
                        }
                        for i, (vid, qty) in enumerate(lines)
                    ],
                }
                payload["total_price"] = format(
                    sum(
                        (Decimal(str(li["price"] or 0)) * li["quantity"])
                        for li in payload["line_items"]
                    ),
                    "f",
                )
            self.orders.append(payload)
            return payload, levels

    # --- after the order (each returns the webhook payload(s) Shopify sends) --------------

    def order(self, order_id: str) -> dict[str, Any]:
        """Return the recorded order (KeyError when unknown)."""
        with self.lock:
            for o in self.orders:
                if str(o.get("id")) == str(order_id):
                    return o
            raise KeyError(order_id)

    def mark_paid(self, order_id: str) -> dict[str, Any]:
        """Capture the payment of an unpaid order; return the ``orders/paid`` payload."""
        with self.lock:
            o = self.order(order_id)
            o["financial_status"] = "paid"
            o["updated_at"] = iso(self.now())
            return copy.deepcopy(o)

    def cancel_order(
        self, order_id: str, *, reason: str = "customer", restock: bool = True
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Cancel an order (its stock back at the first location when ``restock``); return the
        ``orders/cancelled`` payload and the level updates. An unpaid order becomes
        ``voided``, a paid one ``refunded`` (its money refunded in full)."""
        with self.lock:
            o = self.order(order_id)
            stamp = iso(self.now())
            o["cancelled_at"] = o["updated_at"] = stamp
            o["cancel_reason"] = reason
            o["financial_status"] = "refunded" if o["financial_status"] == "paid" else "voided"
            levels = []
            if restock:
                for li in o.get("line_items", []):
                    vid = str(li.get("variant_id"))
                    if vid in self.variants:
                        levels.append(self.set_available(vid, int(li["quantity"]), delta=True))
            return copy.deepcopy(o), levels

    def refund(
        self,
        order_id: str,
        lines: Sequence[tuple[int | str, int]] = (),
        *,
        amount: Decimal | None = None,
    ) -> dict[str, Any]:
        """Refund ``lines`` ((line item id, quantity)) of an order, or just ``amount``; return
        the ``refunds/create`` payload (REST Refund shape: refund lines with ``subtotal_set``,
        one successful ``refund`` transaction)."""
        with self.lock:
            o = self.order(order_id)
            by_id = {str(li["id"]): li for li in o.get("line_items", [])}
            refund_id = next(self._order_ids) + 3_000_000_000
            stamp = iso(self.now())
            refund_lines = []
            for n, (line_id, qty) in enumerate(lines):
                li = by_id[str(line_id)]
                subtotal = format(Decimal(str(li["price"])) * qty, "f")
                money = {"amount": subtotal, "currency_code": self.currency}
                refund_lines.append(
                    {
                        "id": refund_id * 10 + n,
                        "line_item_id": li["id"],
                        "quantity": qty,
                        "restock_type": "no_restock",
                        "subtotal": float(subtotal),
                        "subtotal_set": {"shop_money": money, "presentment_money": money},
                        "line_item": copy.deepcopy(li),
                    }
                )
            if amount is None:
                amount = sum(
                    (Decimal(r["subtotal_set"]["shop_money"]["amount"]) for r in refund_lines),
                    Decimal(0),
                )
            o["financial_status"] = "partially_refunded"
            o["updated_at"] = stamp
            return {
                "id": refund_id,
                "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
                "order_id": o["id"],
                "created_at": stamp,
                "processed_at": stamp,
                "restock": False,
                "refund_line_items": refund_lines,
                "order_adjustments": [],
                "transactions": [
                    {
                        "id": refund_id + 1,
                        "order_id": o["id"],
                        "kind": "refund",
                        "status": "success",
                        "gateway": "bogus",
                        "amount": format(amount, "f"),
                        "currency": self.currency,
                        "created_at": stamp,
                    }
                ],
            }
