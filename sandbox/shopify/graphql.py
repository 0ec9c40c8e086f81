"""Answers to the Admin GraphQL documents shopstream sends, with cost extensions and throttling.

The documents are recognised by their root fields, not parsed: ``productVariants`` (pages, with
the ``query:`` filter ``updated_at:>'...'``), ``nodes(ids:)``, ``inventoryItem(id:)``, ``shop``,
``bulkOperationRunQuery``, ``node(id:)`` / ``currentBulkOperation``. The selection set is not
interpreted: the whole node shape of :func:`variant_node` is returned, except that
``inventoryLevels(first: N)`` returns N levels with ``pageInfo`` (``after`` is honoured by
``inventoryItem(id:)``, as Shopify pages a connection).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.shopify.store import EmulatedStore

MAX_QUERY_COST = 1000
_UPDATED_AFTER = re.compile(r"updated_at:>'?([0-9T:\-\.Z+]+)'?")
_LEVELS_FIRST = re.compile(r"inventoryLevels\(first:\s*(\d+)")
_ITEM_ROOT = re.compile(r"\binventoryItem\s*\(")


def _parse(ts: Any) -> datetime | None:
    if not isinstance(ts, str):
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(slots=True)
class Bucket:
    """Shopify's leaky bucket of query cost points."""

    maximum: float = 2000.0
    restore_rate: float = 100.0
    clock: Callable[[], float] = time.monotonic
    available: float = -1.0
    at: float = 0.0

    def refill(self) -> float:
        now = self.clock()
        if self.available < 0:
            self.available, self.at = self.maximum, now
        self.available = min(self.maximum, self.available + (now - self.at) * self.restore_rate)
        self.at = now
        return self.available

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available, 1),
            "restoreRate": self.restore_rate,
        }


@dataclass(slots=True)
class BulkOperation:
    """One bulk query run."""

    id: str
    status: str = "RUNNING"
    data: bytes = b""
    object_count: int = 0
    root_count: int = 0
    done: threading.Event = field(default_factory=threading.Event)


def _cursor(index: int) -> str:
    return base64.b64encode(str(index).encode()).decode()


def _uncursor(after: Any) -> int:
    """The index a cursor of :func:`_cursor` points after (0 for none or a foreign one)."""
    try:
        return int(base64.b64decode(str(after)).decode()) if after else 0
    except ValueError:
        return 0


def levels_connection(
    store: EmulatedStore, item: str, *, first: int | None, after: Any = None
) -> dict[str, Any]:
    """Return an item's ``inventoryLevels`` connection: ``first`` levels after the cursor
    ``after``, with ``pageInfo``; ``first`` None returns them all (the bulk JSONL)."""
    start = _uncursor(after)
    locations = store.locations[start:] if first is None else store.locations[start : start + first]
    end = start + len(locations)
    return {
        "pageInfo": {
            "hasNextPage": end < len(store.locations),
            "endCursor": _cursor(end) if locations else None,
        },
        "nodes": [level_node(store, item, loc) for loc in locations],
    }


def levels_first(query: str) -> int | None:
    """The ``first`` of the document's ``inventoryLevels(first: N)`` (None when absent)."""
    m = _LEVELS_FIRST.search(query)
    return int(m.group(1)) if m else None


def variant_node(
    store: EmulatedStore, vid: str, *, levels: bool = True, first: int | None = None
) -> dict[str, Any]:
    """Return a variant in the GraphQL shape of :mod:`shop_sync.queries`, with its first
    ``first`` levels (all when None)."""
    v = store.variants[vid]
    p = store.products[str(v["product_id"])]
    item = str(v["inventory_item_id"])
    names = [o["name"] for o in sorted(p.get("options", []), key=lambda o: o.get("position", 0))]
    values = [v.get("option1"), v.get("option2"), v.get("option3")]
    node: dict[str, Any] = {
        "id": f"gid://shopify/ProductVariant/{vid}",
        "legacyResourceId": vid,
        "sku": v.get("sku") or None,
        "title": v.get("title", ""),
        "price": str(v.get("price", "0.00")),
        "position": v.get("position", 1),
        "inventoryPolicy": str(v.get("inventory_policy") or "deny").upper(),
        "updatedAt": v.get("updated_at"),
        "selectedOptions": [
            {"name": n, "value": val} for n, val in zip(names, values, strict=False) if val
        ],
        "product": {
            "id": f"gid://shopify/Product/{p['id']}",
            "legacyResourceId": str(p["id"]),
            "handle": p.get("handle", ""),
            "title": p.get("title", ""),
            "status": str(p.get("status") or "active").upper(),
            "tags": [t.strip() for t in str(p.get("tags") or "").split(",") if t.strip()],
            "updatedAt": p.get("updated_at"),
            "options": [
                {"name": o["name"], "position": o.get("position", 1), "values": o.get("values", [])}
                for o in p.get("options", [])
            ],
        },
        "inventoryItem": {
            "id": f"gid://shopify/InventoryItem/{item}",
            "legacyResourceId": item,
            "tracked": v.get("inventory_management") is not None,
        },
    }
    if levels:
        node["inventoryItem"]["inventoryLevels"] = levels_connection(store, item, first=first)
    return node


def level_node(store: EmulatedStore, item: str, loc: str) -> dict[str, Any]:
    """Return an ``InventoryLevel`` in the GraphQL shape."""
    level = store.levels[(item, loc)]
    return {
        "updatedAt": level["updated_at"],
        "location": {"id": f"gid://shopify/Location/{loc}"},
        "quantities": [{"name": "available", "quantity": level["available"]}],
    }


def _error(message: str, code: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message}
    if code:
        err["extensions"] = {"code": code}
    return {"errors": [err]}


class AdminGraphQL:
    """The Admin GraphQL endpoint's brain (the HTTP part lives in :mod:`sandbox.shopify.app`)."""

    def __init__(self, store: EmulatedStore, bucket: Bucket) -> None:
        self.store = store
        self.bucket = bucket
        self.bulk: dict[str, BulkOperation] = {}
        self._bulk_ids = itertools.count(1)
        self.calls: list[str] = []

    def answer(
        self, query: str, variables: Mapping[str, Any], base_url: str
    ) -> dict[str, Any] | None:
        """Return the response body, or None for a document this module does not know."""
        if "bulkOperationRunQuery" in query:
            return self._run_bulk(str(variables.get("query") or ""))
        if "BulkOperation" in query or "currentBulkOperation" in query:
            return self._poll_bulk(str(variables.get("id") or ""), base_url)
        first = levels_first(query)
        if _ITEM_ROOT.search(query):
            return self._costed(query, variables, lambda v: self._item_levels(v, first))
        if "productVariants" in query:
            return self._costed(query, variables, lambda v: self._page(v, first))
        if re.search(r"\bnodes\s*\(", query):
            return self._costed(query, variables, lambda v: self._nodes(v, first))
        if re.search(r"\bshop\s*\{", query):
            return self._costed(
                query, variables, lambda _v: ({"shop": {"currencyCode": self.store.currency}}, 1)
            )
        return None

    # --- cost -----------------------------------------------------------------------------

    def _requested(self, query: str, variables: Mapping[str, Any]) -> int:
        m = _LEVELS_FIRST.search(query)
        levels = int(m.group(1)) if m else 0
        if _ITEM_ROOT.search(query):
            return 2 + levels
        if "productVariants" in query:
            first = int(variables.get("first") or 0)
        else:
            first = len(variables.get("ids") or ())
        return 2 + first * (3 + levels)

    def _costed(
        self,
        query: str,
        variables: Mapping[str, Any],
        fn: Callable[[Mapping[str, Any]], tuple[dict[str, Any], int]],
    ) -> dict[str, Any]:
        self.calls.append(query.split("(", 1)[0].strip())
        requested = self._requested(query, variables)
        if requested > MAX_QUERY_COST:
            return _error(
                f"Query cost is {requested}, which exceeds the single query max cost limit "
                f"({MAX_QUERY_COST}).",
                "MAX_COST_EXCEEDED",
            )
        with self.store.lock:
            available = self.bucket.refill()
            if requested > available:
                body = _error("Throttled", "THROTTLED")
                body["extensions"] = {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": self.bucket.status(),
                    }
                }
                return body
            data, actual = fn(variables)
            self.bucket.available -= actual
            return {
                "data": data,
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": actual,
                        "throttleStatus": self.bucket.status(),
                    }
                },
            }

    # --- reads ----------------------------------------------------------------------------

    def _levels_cost(self, first: int | None) -> int:
        n = len(self.store.locations)
        return n if first is None else min(first, n)

    def _item_levels(
        self, variables: Mapping[str, Any], first: int | None
    ) -> tuple[dict[str, Any], int]:
        item = str(variables.get("id") or "").rsplit("/", 1)[-1]
        if item not in self.store.by_item:
            return {"inventoryItem": None}, 1
        connection = levels_connection(
            self.store, item, first=first or 50, after=variables.get("after")
        )
        node = {"id": f"gid://shopify/InventoryItem/{item}", "inventoryLevels": connection}
        return {"inventoryItem": node}, 2 + len(connection["nodes"])

    def _page(self, variables: Mapping[str, Any], levels: int | None) -> tuple[dict[str, Any], int]:
        first = max(1, min(250, int(variables.get("first") or 50)))
        start = _uncursor(variables.get("after"))
        ids = self.store.ordered_variant_ids()
        match = _UPDATED_AFTER.search(str(variables.get("query") or ""))
        if match:
            since = _parse(match.group(1))
            ids = [
                i
                for i in ids
                if (t := _parse(self.store.variants[i].get("updated_at"))) and since and t > since
            ]
        page = ids[start : start + first]
        end = start + len(page)
        nodes = [variant_node(self.store, vid, first=levels) for vid in page]
        data = {
            "productVariants": {
                "pageInfo": {
                    "hasNextPage": end < len(ids),
                    "endCursor": _cursor(end) if page else None,
                },
                "nodes": nodes,
            }
        }
        return data, 2 + len(page) * (3 + self._levels_cost(levels))

    def _nodes(
        self, variables: Mapping[str, Any], levels: int | None
    ) -> tuple[dict[str, Any], int]:
        out: list[dict[str, Any] | None] = []
        for gid in variables.get("ids") or ():
            vid = str(gid).rsplit("/", 1)[-1]
            known = vid in self.store.variants
            out.append(variant_node(self.store, vid, first=levels) if known else None)
        return {"nodes": out}, 2 + len(out) * (3 + self._levels_cost(levels))

    # --- bulk -----------------------------------------------------------------------------

    def _run_bulk(self, bulk_query: str) -> dict[str, Any]:
        by_product = re.search(r"\bproducts\s*\{", bulk_query) is not None
        if not by_product and "productVariants" not in bulk_query:
            return {
                "data": {
                    "bulkOperationRunQuery": {
                        "bulkOperation": None,
                        "userErrors": [{"field": ["query"], "message": "Invalid bulk query"}],
                    }
                }
            }
        op = BulkOperation(id=f"gid://shopify/BulkOperation/{next(self._bulk_ids)}")
        self.bulk[op.id] = op
        threading.Thread(target=self._build, args=(op, by_product), daemon=True).start()
        return {
            "data": {
                "bulkOperationRunQuery": {
                    "bulkOperation": {"id": op.id, "status": "CREATED"},
                    "userErrors": [],
                }
            }
        }

    def _build(self, op: BulkOperation, by_product: bool) -> None:
        roots: list[dict[str, Any]] = []
        middle: list[dict[str, Any]] = []
        leaves: list[dict[str, Any]] = []
        with self.store.lock:
            ids = self.store.ordered_variant_ids()
            seen_products: set[str] = set()
            for vid in ids:
                node = variant_node(self.store, vid, levels=False)
                if by_product:
                    product = node.pop("product")
                    if product["id"] not in seen_products:
                        seen_products.add(product["id"])
                        roots.append(product)
                    node["__parentId"] = product["id"]
                    middle.append(node)
                else:
                    roots.append(node)
                item = str(node["inventoryItem"]["legacyResourceId"])
                for loc in self.store.locations:
                    child = level_node(self.store, item, loc)
                    child["__parentId"] = node["id"]
                    leaves.append(child)
        # every child comes after its parent, in reverse: never right after it
        dump = json.JSONEncoder(separators=(",", ":")).encode
        lines = [dump(n) for n in roots]
        lines += [dump(n) for n in reversed(middle)]
        lines += [dump(c) for c in reversed(leaves)]
        op.data = ("\n".join(lines) + "\n").encode()
        op.object_count = len(lines)
        op.root_count = len(roots)
        op.status = "COMPLETED"
        op.done.set()

    def _poll_bulk(self, op_id: str, base_url: str) -> dict[str, Any]:
        op = (
            self.bulk.get(op_id) if op_id else (list(self.bulk.values())[-1] if self.bulk else None)
        )
        key = "node" if op_id else "currentBulkOperation"
        if op is None:
            return {"data": {key: None}}
        done = op.status == "COMPLETED"
        return {
            "data": {
                key: {
                    "id": op.id,
                    "status": op.status,
                    "errorCode": None,
                    "objectCount": str(op.object_count),
                    "rootObjectCount": str(op.root_count),
                    "fileSize": str(len(op.data)) if done else None,
                    "url": f"{base_url}/bulk/{op.id.rsplit('/', 1)[-1]}.jsonl" if done else None,
                    "partialDataUrl": None,
                }
            }
        }
