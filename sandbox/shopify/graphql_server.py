"""The emulator's Admin GraphQL server: graphql-core executes documents against Shopify's published
schema (:mod:`sandbox.shopify.graphql_schema`); the resolvers here read and write the store state
(:class:`sandbox.shopify.store.EmulatedStore`).

Objects are dicts in the GraphQL shape (``__typename`` plus the scalar fields); fields with
arguments or links to other objects (connections, ``product``, ``inventoryItem``, ``quantities``)
have resolvers in :data:`RESOLVERS`, keyed by ``(type, field)``. Connections page like Shopify's
(``first``/``after``/``last``/``before``, at most 250, one of ``first``/``last`` required) with
opaque cursors; in a bulk operation they return every node.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.shopify.store import iso

if TYPE_CHECKING:
    from sandbox.shopify.store import EmulatedStore

MAX_PAGE = 250
"""The largest ``first``/``last`` Shopify accepts (shopify.dev "Paginating results")."""

Obj = dict[str, Any]


@dataclass(slots=True)
class Context:
    """What resolvers see: the store, the server (bulk operations), the request's base URL."""

    store: EmulatedStore
    server: Any
    base_url: str = ""
    bulk: bool = False
    changes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Webhook payloads the mutations caused (topic, payload), sent after the response."""


def gid(kind: str, key: Any) -> str:
    return f"gid://shopify/{kind}/{key}"


def gid_key(value: Any, kind: str) -> str | None:
    """The numeric id of ``gid://shopify/<kind>/<n>`` (a bare number too), else None."""
    text = str(value or "")
    prefix = f"gid://shopify/{kind}/"
    if text.startswith(prefix):
        text = text[len(prefix) :].split("?", 1)[0]
    return text if text.isdigit() else None


def _parse_time(ts: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    except ValueError:
        return None


def utc(ts: Any) -> str | None:
    """A stamp as Shopify's ``DateTime`` writes it: UTC, whole seconds, ``Z``."""
    return _utc(ts) if isinstance(ts, str) else None


@lru_cache(maxsize=4096)
def _utc(ts: str) -> str | None:
    parsed = _parse_time(ts) if ts else None
    if parsed is None or parsed.tzinfo is None:
        return str(ts) if ts else None
    return iso(parsed)


# --- objects -----------------------------------------------------------------------------


def variant_obj(store: EmulatedStore, vid: str) -> Obj:
    v = store.variants[vid]
    p = store.products[str(v["product_id"])]
    names = [o["name"] for o in sorted(p.get("options", []), key=lambda o: o.get("position", 0))]
    values = [v.get("option1"), v.get("option2"), v.get("option3")]
    return {
        "__typename": "ProductVariant",
        "_vid": vid,
        "id": gid("ProductVariant", vid),
        "legacyResourceId": vid,
        "sku": v.get("sku") or None,
        "title": v.get("title", ""),
        "displayName": f"{p.get('title', '')} - {v.get('title', '')}",
        "price": str(v.get("price", "0.00")),
        "compareAtPrice": v.get("compare_at_price"),
        "barcode": v.get("barcode"),
        "position": v.get("position", 1),
        "inventoryPolicy": str(v.get("inventory_policy") or "deny").upper(),
        "taxable": bool(v.get("taxable", True)),
        "createdAt": utc(v.get("created_at") or v.get("updated_at")),
        "updatedAt": utc(v.get("updated_at")),
        "selectedOptions": [
            {"name": n, "value": val} for n, val in zip(names, values, strict=False) if val
        ],
    }


def product_obj(store: EmulatedStore, pid: str) -> Obj:
    p = store.products[pid]
    return {
        "__typename": "Product",
        "_pid": pid,
        "id": gid("Product", pid),
        "legacyResourceId": pid,
        "handle": p.get("handle", ""),
        "title": p.get("title", ""),
        "vendor": p.get("vendor", ""),
        "productType": p.get("product_type", ""),
        "status": str(p.get("status") or "active").upper(),
        "tags": [t.strip() for t in str(p.get("tags") or "").split(",") if t.strip()],
        "createdAt": utc(p.get("created_at") or p.get("updated_at")),
        "updatedAt": utc(p.get("updated_at")),
        "options": [
            {
                "__typename": "ProductOption",
                "id": gid("ProductOption", f"{pid}{o.get('position', 1)}"),
                "name": o["name"],
                "position": o.get("position", 1),
                "values": o.get("values", []),
            }
            for o in p.get("options", [])
        ],
        "hasOnlyDefaultVariant": len(p.get("variants", [])) == 1,
        "variantsCount": {"count": len(p.get("variants", [])), "precision": "EXACT"},
    }


def item_obj(store: EmulatedStore, item: str) -> Obj:
    vid = store.by_item[item]
    v = store.variants[vid]
    return {
        "__typename": "InventoryItem",
        "_item": item,
        "_vid": vid,
        "id": gid("InventoryItem", item),
        "legacyResourceId": item,
        "sku": v.get("sku") or None,
        "tracked": v.get("inventory_management") is not None,
        "requiresShipping": True,
        "createdAt": utc(v.get("created_at") or v.get("updated_at")),
        "updatedAt": utc(v.get("updated_at")),
    }


def location_obj(store: EmulatedStore, loc: str) -> Obj:
    return {
        "__typename": "Location",
        "id": gid("Location", loc),
        "legacyResourceId": loc,
        "name": f"Location {loc}",
        "isActive": True,
        "isPrimary": loc == store.locations[0],
    }


def level_obj(store: EmulatedStore, item: str, loc: str) -> Obj:
    level = store.levels[(item, loc)]
    return {
        "__typename": "InventoryLevel",
        "_item": item,
        "_loc": loc,
        "id": f"gid://shopify/InventoryLevel/{loc}?inventory_item_id={item}",
        "isActive": True,
        "canDeactivate": False,
        "createdAt": utc(level["updated_at"]),
        "updatedAt": utc(level["updated_at"]),
    }


# --- connections -------------------------------------------------------------------------


def cursor(last_id: Any, last_value: Any) -> str:
    """An opaque cursor in Shopify's style (base64 of ``{"last_id", "last_value"}``)."""
    raw = json.dumps({"last_id": last_id, "last_value": last_value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def _uncursor(text: Any) -> Any:
    try:
        return json.loads(base64.b64decode(str(text), validate=True))["last_value"]
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {text}") from exc


def connection(
    items: Sequence[tuple[Any, Any]],
    make: Callable[[Any], Obj],
    args: Mapping[str, Any],
    *,
    bulk: bool = False,
) -> Obj:
    """Return a connection over ``items`` ((sort value, key) pairs, sorted by value): the page
    ``args`` asks for, each node made by ``make(key)`` only when it is on the page."""
    first, last = args.get("first"), args.get("last")
    if not bulk:
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last")
        for name, size in (("first", first), ("last", last)):
            if size is not None and not 0 <= size <= MAX_PAGE:
                raise GraphQLError(
                    f"The '{name}' argument must be between 0 and {MAX_PAGE} (got {size})"
                )
    values = [value for value, _ in items]
    start, end = 0, len(items)
    if args.get("after") is not None:
        start = bisect.bisect_right(values, _uncursor(args["after"]))
    if args.get("before") is not None:
        end = max(start, bisect.bisect_left(values, _uncursor(args["before"])))
    lo, hi = start, end
    if first is not None:
        hi = min(end, lo + first)
    if last is not None:
        lo = max(lo, hi - last)
    page = items[lo:hi]
    nodes = [make(key) for _, key in page]

    def edges() -> list[Obj]:
        return [
            {"cursor": partial(cursor, key, value), "node": node}
            for (value, key), node in zip(page, nodes, strict=True)
        ]

    return {
        "__typename": "Connection",
        "nodes": nodes,
        "edges": edges,  # made when selected (a bulk export selects edges, not cursors)
        "pageInfo": lambda: {
            "hasNextPage": hi < len(items),
            "hasPreviousPage": lo > 0,
            "startCursor": cursor(page[0][1], page[0][0]) if page else None,
            "endCursor": cursor(page[-1][1], page[-1][0]) if page else None,
        },
    }


# --- the search syntax (the subset the project and the tests use) ------------------------

_TERM = re.compile(r"^(-?)([a-z_]+):(>=|<=|>|<)?(.*)$")


def search_terms(query: str | None) -> list[tuple[bool, str, str, str]]:
    """Parse ``field:value`` terms (``>``, ``>=``, ``<``, ``<=``, ``-`` negation, quotes) joined
    by spaces or ``AND`` (shopify.dev "Shopify API search syntax"). Free text is ignored."""
    terms: list[tuple[bool, str, str, str]] = []
    try:
        words = shlex.split(query or "")
    except ValueError:
        words = (query or "").split()
    for word in words:
        m = _TERM.match(word)
        if m:
            terms.append(
                (m.group(1) == "-", m.group(2), m.group(3) or ":", m.group(4).strip("'\""))
            )
    return terms


def _compare(have: Any, op: str, want: str) -> bool:
    if have is None:
        return False
    if isinstance(have, datetime):
        other: Any = _parse_time(want)
        if other is None:
            return False
    elif isinstance(have, int):
        try:
            other = int(want)
        except ValueError:
            return False
    else:
        have, other = str(have).lower(), want.lower()
    if op == ">":
        return bool(have > other)
    if op == ">=":
        return bool(have >= other)
    if op == "<":
        return bool(have < other)
    if op == "<=":
        return bool(have <= other)
    if isinstance(have, list):
        return other in have
    return bool(have == other)


def matches(fields: Mapping[str, Any], terms: Iterable[tuple[bool, str, str, str]]) -> bool:
    """Whether an object's searchable ``fields`` satisfy every term (unknown fields are ignored,
    as Shopify ignores them with a search warning)."""
    for negated, name, op, want in terms:
        if name not in fields:
            continue
        have = fields[name]
        hit = (
            any(_compare(h, op, want) for h in have)
            if isinstance(have, list)
            else _compare(have, op, want)
        )
        if hit == negated:
            return False
    return True


def _variant_fields(store: EmulatedStore, vid: str) -> dict[str, Any]:
    v = store.variants[vid]
    return {
        "id": int(vid),
        "sku": v.get("sku") or "",
        "title": v.get("title", ""),
        "product_id": int(v["product_id"]),
        "updated_at": _parse_time(v.get("updated_at")),
        "created_at": _parse_time(v.get("created_at") or v.get("updated_at")),
        "inventory_item_id": int(v["inventory_item_id"]),
    }


def _product_fields(store: EmulatedStore, pid: str) -> dict[str, Any]:
    p = store.products[pid]
    return {
        "id": int(pid),
        "title": p.get("title", ""),
        "handle": p.get("handle", ""),
        "status": str(p.get("status") or "active"),
        "tag": [t.strip().lower() for t in str(p.get("tags") or "").split(",") if t.strip()],
        "updated_at": _parse_time(p.get("updated_at")),
        "created_at": _parse_time(p.get("created_at") or p.get("updated_at")),
    }


# --- resolvers ---------------------------------------------------------------------------

Resolver = Callable[[Context, Any, Mapping[str, Any]], Any]
RESOLVERS: dict[tuple[str, str], Resolver] = {}


def resolver(type_name: str, field_name: str) -> Callable[[Resolver], Resolver]:
    def register(fn: Resolver) -> Resolver:
        RESOLVERS[(type_name, field_name)] = fn
        return fn

    return register


def _ordered(keys: Iterable[str], reverse: bool = False) -> list[tuple[int, str]]:
    pairs = sorted((int(k), k) for k in keys)
    if reverse:
        pairs = [(-value, key) for value, key in reversed(pairs)]
    return pairs


@resolver("QueryRoot", "shop")
def _shop(ctx: Context, _src: Any, _args: Mapping[str, Any]) -> Obj:
    return {
        "__typename": "Shop",
        "id": gid("Shop", 1),
        "name": "Emulated shop",
        "currencyCode": ctx.store.currency,
        "myshopifyDomain": getattr(ctx.server, "shop", "demo-shop.myshopify.com"),
    }


@resolver("QueryRoot", "productVariants")
def _variants(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj:
    store = ctx.store
    terms = search_terms(args.get("query"))
    keys: Iterable[str] = store.variants
    if terms:
        keys = [k for k in keys if matches(_variant_fields(store, k), terms)]
    items = _ordered(keys, bool(args.get("reverse")))
    return connection(items, lambda k: variant_obj(store, k), args, bulk=ctx.bulk)


@resolver("QueryRoot", "products")
def _products(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj:
    store = ctx.store
    terms = search_terms(args.get("query"))
    keys: Iterable[str] = store.products
    if terms:
        keys = [k for k in keys if matches(_product_fields(store, k), terms)]
    items = _ordered(keys, bool(args.get("reverse")))
    return connection(items, lambda k: product_obj(store, k), args, bulk=ctx.bulk)


@resolver("QueryRoot", "locations")
def _locations(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj:
    items = list(enumerate(ctx.store.locations))
    return connection(items, lambda k: location_obj(ctx.store, k), args, bulk=ctx.bulk)


def node_obj(ctx: Context, value: Any) -> Obj | None:
    """The object behind a gid, of any kind the emulator keeps."""
    store = ctx.store
    text = str(value or "")
    if (k := gid_key(text, "ProductVariant")) and k in store.variants:
        return variant_obj(store, k)
    if (k := gid_key(text, "Product")) and k in store.products:
        return product_obj(store, k)
    if (k := gid_key(text, "InventoryItem")) and k in store.by_item:
        return item_obj(store, k)
    if (k := gid_key(text, "Location")) and k in store.locations:
        return location_obj(store, k)
    if text.startswith("gid://shopify/InventoryLevel/"):
        loc = gid_key(text, "InventoryLevel")
        item = text.rsplit("inventory_item_id=", 1)[-1]
        if loc and (item, loc) in store.levels:
            return level_obj(store, item, loc)
    if text.startswith("gid://shopify/BulkOperation/"):
        return ctx.server.bulk_obj(text, ctx.base_url)
    return None


@resolver("QueryRoot", "node")
def _node(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj | None:
    return node_obj(ctx, args.get("id"))


@resolver("QueryRoot", "nodes")
def _nodes(ctx: Context, _src: Any, args: Mapping[str, Any]) -> list[Obj | None]:
    ids = list(args.get("ids") or ())
    if len(ids) > MAX_PAGE:
        raise GraphQLError(f"The 'ids' argument accepts at most {MAX_PAGE} ids (got {len(ids)})")
    return [node_obj(ctx, i) for i in ids]


def _typed(kind: str) -> Resolver:
    def resolve(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj | None:
        found = node_obj(ctx, args.get("id"))
        return found if found and found["__typename"] == kind else None

    return resolve


for _kind, _root in (
    ("ProductVariant", "productVariant"),
    ("Product", "product"),
    ("InventoryItem", "inventoryItem"),
    ("Location", "location"),
    ("InventoryLevel", "inventoryLevel"),
):
    RESOLVERS[("QueryRoot", _root)] = _typed(_kind)


@resolver("QueryRoot", "currentBulkOperation")
def _current_bulk(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj | None:
    return ctx.server.current_bulk_obj(str(args.get("type") or "QUERY"), ctx.base_url)


@resolver("ProductVariant", "product")
def _variant_product(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> Obj:
    return product_obj(ctx.store, str(ctx.store.variants[src["_vid"]]["product_id"]))


@resolver("ProductVariant", "inventoryItem")
def _variant_item(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> Obj:
    return item_obj(ctx.store, str(ctx.store.variants[src["_vid"]]["inventory_item_id"]))


@resolver("ProductVariant", "inventoryQuantity")
def _variant_quantity(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> int:
    return ctx.store.available(src["_vid"])


@resolver("ProductVariant", "availableForSale")
def _variant_for_sale(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> bool:
    v = ctx.store.variants[src["_vid"]]
    if v.get("inventory_management") is None or v.get("inventory_policy") == "continue":
        return True
    return ctx.store.available(src["_vid"]) > 0


@resolver("Product", "variants")
def _product_variants(ctx: Context, src: Obj, args: Mapping[str, Any]) -> Obj:
    store = ctx.store
    keys = [str(v["id"]) for v in store.products[src["_pid"]].get("variants", [])]
    items = _ordered(keys, bool(args.get("reverse")))
    return connection(items, lambda k: variant_obj(store, k), args, bulk=ctx.bulk)


@resolver("Product", "totalInventory")
def _product_total(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> int:
    variants = ctx.store.products[src["_pid"]].get("variants", [])
    return sum(ctx.store.available(str(v["id"])) for v in variants)


@resolver("Product", "tracksInventory")
def _product_tracks(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> bool:
    variants = ctx.store.products[src["_pid"]].get("variants", [])
    return any(v.get("inventory_management") is not None for v in variants)


@resolver("InventoryItem", "variant")
def _item_variant(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> Obj:
    return variant_obj(ctx.store, src["_vid"])


@resolver("InventoryItem", "inventoryLevels")
def _item_levels(ctx: Context, src: Obj, args: Mapping[str, Any]) -> Obj:
    store, item = ctx.store, src["_item"]
    items = list(enumerate(store.locations))
    return connection(items, lambda loc: level_obj(store, item, loc), args, bulk=ctx.bulk)


@resolver("InventoryItem", "inventoryLevel")
def _item_level(ctx: Context, src: Obj, args: Mapping[str, Any]) -> Obj | None:
    loc = gid_key(args.get("locationId"), "Location")
    if loc is None or (src["_item"], loc) not in ctx.store.levels:
        return None
    return level_obj(ctx.store, src["_item"], loc)


@resolver("InventoryLevel", "location")
def _level_location(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> Obj:
    return location_obj(ctx.store, src["_loc"])


@resolver("InventoryLevel", "item")
def _level_item(ctx: Context, src: Obj, _args: Mapping[str, Any]) -> Obj:
    return item_obj(ctx.store, src["_item"])


QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "quality_control",
    "safety_stock",
)
"""Inventory state names (shopify.dev "Inventory states"); only ``available`` is kept, the rest
are 0 except ``on_hand`` (= available in an emulated store without commitments)."""


@resolver("InventoryLevel", "quantities")
def _level_quantities(ctx: Context, src: Obj, args: Mapping[str, Any]) -> list[Obj]:
    level = ctx.store.levels[(src["_item"], src["_loc"])]
    out: list[Obj] = []
    for name in args.get("names") or ():
        if name not in QUANTITY_NAMES:
            raise GraphQLError(f"The quantity name '{name}' is not valid")
        qty = int(level["available"]) if name in ("available", "on_hand") else 0
        out.append(
            {
                "id": f"gid://shopify/InventoryQuantity/{src['_loc']}?inventory_item_id="
                f"{src['_item']}&name={name}",
                "name": name,
                "quantity": qty,
                "updatedAt": utc(level["updated_at"]),
            }
        )
    return out


# --- mutations ---------------------------------------------------------------------------


@resolver("Mutation", "bulkOperationRunQuery")
def _bulk_run(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj:
    return ctx.server.start_bulk(
        str(args.get("query") or ""), bool(args.get("groupObjects")), ctx.base_url
    )


@resolver("Mutation", "productVariantsBulkUpdate")
def _variants_bulk_update(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj:
    store = ctx.store
    pid = gid_key(args.get("productId"), "Product")
    if pid is None or pid not in store.products:
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [
                {
                    "field": ["productId"],
                    "message": "Product does not exist",
                    "code": "PRODUCT_DOES_NOT_EXIST",
                }
            ],
        }
    errors: list[Obj] = []
    changes: list[tuple[str, dict[str, Any]]] = []
    for n, variant in enumerate(args.get("variants") or ()):
        vid = gid_key(variant.get("id"), "ProductVariant")
        if vid is None or str(store.variants.get(vid, {}).get("product_id")) != pid:
            errors.append(
                {
                    "field": ["variants", str(n), "id"],
                    "message": "Product variant does not exist",
                    "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
                }
            )
            continue
        change: dict[str, Any] = {}
        if variant.get("price") is not None:
            change["price"] = str(variant["price"])
        if variant.get("compareAtPrice") is not None:
            change["compare_at_price"] = str(variant["compareAtPrice"])
        if variant.get("inventoryPolicy") is not None:
            change["inventory_policy"] = str(variant["inventoryPolicy"]).lower()
        if variant.get("barcode") is not None:
            change["barcode"] = variant["barcode"]
        item = variant.get("inventoryItem") or {}
        if item.get("sku") is not None:
            change["sku"] = item["sku"]
        if item.get("tracked") is not None:
            change["inventory_management"] = "shopify" if item["tracked"] else None
        changes.append((vid, change))
    if errors:
        return {"product": None, "productVariants": None, "userErrors": errors}
    payload: dict[str, Any] | None = None
    for vid, change in changes:
        payload = store.update_variant(vid, **change)
    if payload is not None:
        ctx.changes.append(("products/update", payload))
    return {
        "product": product_obj(store, pid),
        "productVariants": [variant_obj(store, vid) for vid, _ in changes],
        "userErrors": [],
    }


def _inventory_change(
    ctx: Context, name: str, rows: Sequence[Mapping[str, Any]], *, delta: bool
) -> Obj:
    """``inventorySetQuantities`` (``delta`` False) and ``inventoryAdjustQuantities`` (True):
    each row names an item and a location; ``changeFromQuantity``, when given, must equal the
    current quantity (compare-and-set, shopify.dev "inventorySetQuantities")."""
    store = ctx.store
    field_name = "quantities" if not delta else "changes"
    errors: list[Obj] = []
    if name != "available":
        errors.append(
            {
                "field": ["input", "name"],
                "message": "The quantity name must be 'available' in this emulator",
                "code": "INVALID_NAME",
            }
        )
    checked: list[tuple[str, str, int]] = []
    for n, row in enumerate(rows):
        item = gid_key(row.get("inventoryItemId"), "InventoryItem")
        loc = gid_key(row.get("locationId"), "Location")
        where = ["input", field_name, str(n)]
        if item is None or item not in store.by_item:
            errors.append(
                {
                    "field": [*where, "inventoryItemId"],
                    "message": "The specified inventory item could not be found.",
                    "code": "INVALID_INVENTORY_ITEM",
                }
            )
            continue
        if loc is None or (item, loc) not in store.levels:
            errors.append(
                {
                    "field": [*where, "locationId"],
                    "message": "The specified location could not be found.",
                    "code": "INVALID_LOCATION",
                }
            )
            continue
        current = int(store.levels[(item, loc)]["available"])
        expected = row.get("changeFromQuantity")
        if expected is not None and int(expected) != current:
            errors.append(
                {
                    "field": [*where, "changeFromQuantity"],
                    "message": "The specified compare quantity does not match the current "
                    "quantity.",
                    "code": "CHANGE_FROM_QUANTITY_STALE",
                }
            )
            continue
        target = current + int(row["delta"]) if delta else int(row["quantity"])
        checked.append((item, loc, target))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes: list[Obj] = []
    stamp = None
    for item, loc, target in checked:
        before = int(store.levels[(item, loc)]["available"])
        payload = store.set_available(store.by_item[item], target, location=loc)
        stamp = payload["updated_at"]
        ctx.changes.append(("inventory_levels/update", payload))
        changes.append(
            {
                "name": name,
                "delta": target - before,
                "quantityAfterChange": target,
                "item": item_obj(store, item),
                "location": location_obj(store, loc),
            }
        )
    return {
        "inventoryAdjustmentGroup": {
            "id": gid("InventoryAdjustmentGroup", abs(hash((stamp, len(changes))))),
            "createdAt": stamp,
            "reason": "correction",
            "changes": changes,
        },
        "userErrors": [],
    }


@resolver("Mutation", "inventorySetQuantities")
def _inventory_set(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj:
    data = args["input"]
    result = _inventory_change(ctx, data["name"], data["quantities"], delta=False)
    if result["inventoryAdjustmentGroup"]:
        result["inventoryAdjustmentGroup"]["reason"] = data["reason"]
    return result


@resolver("Mutation", "inventoryAdjustQuantities")
def _inventory_adjust(ctx: Context, _src: Any, args: Mapping[str, Any]) -> Obj:
    data = args["input"]
    result = _inventory_change(ctx, data["name"], data["changes"], delta=True)
    if result["inventoryAdjustmentGroup"]:
        result["inventoryAdjustmentGroup"]["reason"] = data["reason"]
    return result


# --- graphql-core hooks -------------------------------------------------------------------


def field_resolver(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """Resolve a field: a registered resolver, else the dict key (the object's own field)."""
    fn = RESOLVERS.get((info.parent_type.name, info.field_name))
    if fn is not None:
        return fn(info.context, source, args)
    if isinstance(source, Mapping):
        value = source.get(info.field_name)
        return value() if callable(value) else value
    return None


def type_resolver(value: Any, _info: GraphQLResolveInfo, _type: Any) -> str | None:
    """Concrete type of an interface or union value (``Node``)."""
    return value.get("__typename") if isinstance(value, Mapping) else None


def implemented(root_type: str, field_name: str) -> bool:
    """Whether the emulator answers this root field (others go to the fallbacks)."""
    return field_name == "__typename" or (root_type, field_name) in RESOLVERS
