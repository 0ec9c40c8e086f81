"""The emulator's Admin GraphQL endpoint: Shopify's published schema, executed by graphql-core.

A document is parsed and validated against the Admin schema of :mod:`sandbox.shopify.graphql_schema`
(syntax and validation errors come back as GraphQL errors, with no data), its requested cost is
computed by Shopify's published rules (:mod:`sandbox.shopify.graphql_cost`) and refused over 1,000
points with ``MAX_COST_EXCEEDED``, the leaky bucket is charged (``THROTTLED`` when it cannot pay),
and the resolvers of :mod:`sandbox.shopify.graphql_server` answer from the store. Every answer
carries ``extensions.cost`` (requested, actual, ``throttleStatus``), queries and mutations alike.

Bulk operations (``bulkOperationRunQuery``) execute the bulk query without page limits in a
thread and write its JSONL: every node of a connection is one line; a node of a nested
connection carries ``__parentId``, its parent's id (shopify.dev "Perform bulk operations with the
GraphQL Admin API"). With ``groupObjects: true`` children follow their parent; otherwise (the
default) every child still comes after its parent, but not right after it.
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    get_named_type,
    parse,
    validate,
)

from sandbox.shopify.graphql_cost import (
    MAX_QUERY_COST,
    actual_cost,
    is_connection,
    requested_cost,
    root_fields,
)
from sandbox.shopify.graphql_fast import CompiledExecutor
from sandbox.shopify.graphql_schema import load_schema
from sandbox.shopify.graphql_server import (
    Context,
    cursor,
    field_resolver,
    implemented,
    type_resolver,
)
from sandbox.shopify.store import EmulatedStore, iso

__all__ = ["MAX_QUERY_COST", "AdminGraphQL", "Bucket", "BulkOperation", "levels_connection"]

Notify = Callable[[str, dict[str, Any]], object]


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
            # rounded down, so a client waiting for what it reads is never short
            "currentlyAvailable": math.floor(self.available * 10) / 10,
            "restoreRate": self.restore_rate,
        }


@dataclass(slots=True)
class BulkOperation:
    """One bulk query run."""

    id: str
    query: str
    created_at: str
    status: str = "CREATED"
    error_code: str | None = None
    completed_at: str | None = None
    data: bytes = b""
    object_count: int = 0
    root_count: int = 0
    built_seconds: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


# --- parsing and validation, cached by document text ---------------------------------------


@dataclass(frozen=True, slots=True)
class Checked:
    document: DocumentNode | None
    errors: tuple[dict[str, Any], ...]


def _shopify_error(err: GraphQLError) -> dict[str, Any]:
    """A validation error in Shopify's shape (message, locations, ``extensions.code``)."""
    out = err.formatted
    message = err.message
    code = "validationError"
    if message.startswith("Cannot query field"):
        # graphql-ruby's wording and code, as Shopify answers
        parts = message.split("'")
        if len(parts) >= 4:
            message = f"Field '{parts[1]}' doesn't exist on type '{parts[3]}'"
        code = "undefinedField"
    elif message.startswith("Unknown argument"):
        code = "argumentNotAccepted"
    elif "required" in message and "argument" in message:
        code = "missingRequiredArguments"
    elif message.startswith("Variable"):
        code = "variableMismatch"
    out["message"] = message
    out["extensions"] = {"code": code}
    return dict(out)


@lru_cache(maxsize=512)
def check(query: str, schema_key: str = "admin") -> Checked:
    """Parse and validate a document (cached: clients send the same few documents)."""
    schema = load_schema("storefront" if schema_key == "storefront" else "admin")
    try:
        document = parse(query)
    except GraphQLError as err:
        formatted = dict(err.formatted)
        formatted["message"] = f"syntax error: {err.message}"
        formatted.pop("path", None)
        return Checked(None, (formatted,))
    errors = validate(schema, document)
    if errors:
        return Checked(None, tuple(_shopify_error(e) for e in errors))
    return Checked(document, ())


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in ops if o.name and o.name.value == name), None)
    return ops[0] if len(ops) == 1 else None


def _errors(*messages: str, code: str | None = None) -> dict[str, Any]:
    errs: list[dict[str, Any]] = []
    for m in messages:
        err: dict[str, Any] = {"message": m}
        if code:
            err["extensions"] = {"code": code}
        errs.append(err)
    return {"errors": errs}


def max_cost_error(cost: int) -> dict[str, Any]:
    """Shopify's refusal of a document over the single-query maximum: no data, no top-level
    ``extensions`` (as answered by a live shop, 2026-08; the wording is Shopify's)."""
    return {
        "errors": [
            {
                "message": (
                    f"Query cost is {cost}, which exceeds the single query max cost limit "
                    f"({MAX_QUERY_COST}).\n\nSee https://shopify.dev/docs/api/usage/rate-limits "
                    "for more information on how the\ncost of a query is calculated.\n\n"
                    "To query larger amounts of data with fewer limits, bulk operations should "
                    "be used instead.\nSee https://shopify.dev/docs/api/usage/bulk-operations/"
                    "queries for usage details.\n"
                ),
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": cost,
                    "maxCost": MAX_QUERY_COST,
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
    }


class AdminGraphQL:
    """The Admin GraphQL endpoint's brain (the HTTP part lives in :mod:`sandbox.shopify.app`)."""

    def __init__(self, store: EmulatedStore, bucket: Bucket, *, shop: str = "") -> None:
        self.store = store
        self.bucket = bucket
        self.shop = shop or "demo-shop.myshopify.com"
        self.schema: GraphQLSchema = load_schema("admin")
        self.bulk: dict[str, BulkOperation] = {}
        self._bulk_ids = itertools.count(1)
        self.calls: list[str] = []
        self.notify: Notify | None = None
        """Where the webhooks mutations cause go (the emulator sets its sender)."""

    def answer(
        self,
        query: str,
        variables: Mapping[str, Any],
        base_url: str,
        operation_name: str | None = None,
    ) -> dict[str, Any] | None:
        """Return the response body, or None for a valid document whose root fields this
        emulator does not answer (the app's fallbacks may)."""
        checked = check(query)
        if checked.document is None:
            return {"errors": list(checked.errors)}
        document = checked.document
        op = _operation(document, operation_name)
        if op is None:
            return _errors("An operation name is required when a document has several operations")
        root = "Mutation" if op.operation == OperationType.MUTATION else "QueryRoot"
        if op.operation == OperationType.SUBSCRIPTION:
            return _errors("Subscriptions are not supported")
        if not all(implemented(root, name) for name in root_fields(document, operation_name)):
            return None
        self.calls.append(query.split("(", 1)[0].split("{", 1)[0].strip())
        requested = requested_cost(self.schema, document, variables, operation_name)
        if requested > MAX_QUERY_COST:
            return max_cost_error(requested)
        ctx = Context(store=self.store, server=self, base_url=base_url)
        with self.store.lock:
            available = self.bucket.refill()
            if requested > available + 1e-6:  # float dust of the clocks
                body = _errors("Throttled", code="THROTTLED")
                body["extensions"] = {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": self.bucket.status(),
                    }
                }
                return body
            result = execute_sync(
                self.schema,
                document,
                context_value=ctx,
                variable_values=dict(variables),
                operation_name=operation_name,
                field_resolver=field_resolver,
                type_resolver=type_resolver,
            )
            if result.data is None and result.errors and not ctx.changes:
                actual = 0
            else:
                actual = actual_cost(self.schema, document, result.data, variables, operation_name)
            self.bucket.available -= actual
            body = {}
            if result.errors:
                body["errors"] = [dict(e.formatted) for e in result.errors]
            body["data"] = result.data
            body["extensions"] = {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": actual,
                    "throttleStatus": self.bucket.status(),
                }
            }
        if self.notify is not None:
            for topic, payload in ctx.changes:
                self.notify(topic, payload)
        return body

    # --- bulk operations ------------------------------------------------------------------

    def start_bulk(self, bulk_query: str, group: bool, base_url: str) -> dict[str, Any]:
        """Run ``bulkOperationRunQuery``: validate the bulk query, then build its JSONL."""
        checked = check(bulk_query)
        problem = None
        if checked.document is None:
            problem = "; ".join(str(e["message"]) for e in checked.errors)
        else:
            op = _operation(checked.document, None)
            if op is None or op.operation != OperationType.QUERY:
                problem = "Bulk queries must be a single query operation"
            elif not _has_connection(self.schema, checked.document):
                problem = "Bulk queries must contain at least one connection."
        running = [o for o in self.bulk.values() if o.status in ("CREATED", "RUNNING")]
        if problem is None and running:
            problem = "A bulk query operation for this app and shop is already in progress."
        if problem is not None:
            code = "OPERATION_IN_PROGRESS" if running and checked.document else "INVALID"
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["query"], "message": problem, "code": code}],
            }
        assert checked.document is not None
        op_id = f"gid://shopify/BulkOperation/{next(self._bulk_ids)}"
        bulk = BulkOperation(id=op_id, query=bulk_query, created_at=iso(datetime.now(UTC)))
        self.bulk[op_id] = bulk
        threading.Thread(
            target=self._build, args=(bulk, checked.document, group), daemon=True
        ).start()
        return {"bulkOperation": self.bulk_obj(op_id, base_url), "userErrors": []}

    def _build(self, op: BulkOperation, document: DocumentNode, group: bool) -> None:
        op.status = "RUNNING"
        started = time.perf_counter()
        ctx = Context(store=self.store, server=self, bulk=True)
        collecting = gc.isenabled()
        gc.disable()  # ~10^5 short-lived dicts: the cyclic collector would rescan them all
        try:
            with self.store.lock:
                data = CompiledExecutor(self.schema, document, {}).run(ctx)
            levels = flatten(self.schema, document, data)
        except GraphQLError:
            op.status, op.error_code = "FAILED", "INTERNAL_SERVER_ERROR"
            op.done.set()
            return
        finally:
            if collecting:
                gc.enable()
        dump = json.JSONEncoder(separators=(",", ":")).encode
        if group:
            lines = [dump(obj) for _depth, obj in levels]  # flatten's order: grouped
        else:
            # every child after its parent, but never right after it: depth by depth, each
            # depth in reverse
            ordered = sorted(levels, key=lambda pair: pair[0])
            lines = []
            for _depth, group_rows in itertools.groupby(ordered, key=lambda pair: pair[0]):
                rows = [obj for _, obj in group_rows]
                lines += [dump(obj) for obj in (rows if _depth == 0 else reversed(rows))]
        op.data = ("\n".join(lines) + "\n").encode() if lines else b""
        op.object_count = len(lines)
        op.root_count = sum(1 for depth, _ in levels if depth == 0)
        op.completed_at = iso(datetime.now(UTC))
        op.built_seconds = time.perf_counter() - started
        op.status = "COMPLETED"
        op.done.set()

    def bulk_obj(self, op_id: str, base_url: str) -> dict[str, Any] | None:
        op = self.bulk.get(op_id)
        if op is None:
            return None
        done = op.status == "COMPLETED"
        return {
            "__typename": "BulkOperation",
            "id": op.id,
            "status": op.status,
            "errorCode": op.error_code,
            "type": "QUERY",
            "query": op.query,
            "createdAt": op.created_at,
            "completedAt": op.completed_at,
            "objectCount": str(op.object_count),
            "rootObjectCount": str(op.root_count),
            "fileSize": str(len(op.data)) if done and op.data else None,
            "url": (
                f"{base_url}/bulk/{op.id.rsplit('/', 1)[-1]}.jsonl" if done and op.data else None
            ),
            "partialDataUrl": None,
        }

    def current_bulk_obj(self, kind: str, base_url: str) -> dict[str, Any] | None:
        if kind != "QUERY" or not self.bulk:
            return None
        return self.bulk_obj(list(self.bulk)[-1], base_url)


def _has_connection(schema: GraphQLSchema, document: DocumentNode) -> bool:
    op = _operation(document, None)
    root = schema.query_type
    if op is None or root is None:
        return False
    for sel in op.selection_set.selections:
        fdef = root.fields.get(sel.name.value) if isinstance(sel, FieldNode) else None
        if fdef is not None and is_connection(get_named_type(fdef.type)):
            return True
    return False


def flatten(
    schema: GraphQLSchema, document: DocumentNode, data: Mapping[str, Any]
) -> list[tuple[int, dict[str, Any]]]:
    """Cut a bulk result into JSONL objects, depth first: every node of a connection becomes
    one object; nested connections are taken out of their parent, their nodes get
    ``__parentId``. Returns (depth, object) pairs, each parent before its children."""
    out: list[tuple[int, dict[str, Any]]] = []
    op = _operation(document, None)
    root = schema.query_type
    assert op is not None and root is not None

    def items(conn: Mapping[str, Any]) -> list[Any]:
        if isinstance(conn.get("nodes"), list):
            return list(conn["nodes"])
        return [e.get("node") for e in conn.get("edges") or () if isinstance(e, Mapping)]

    def node(t: Any, sel: Any, obj: Any, depth: int, parent: str | None) -> None:
        if not isinstance(obj, dict):
            return
        row = dict(obj)
        if parent is not None:
            row["__parentId"] = parent
        out.append((depth, row))
        cut(t, sel, row, depth, str(obj.get("id")))

    plans: dict[tuple[str, int], list[tuple[str, bool, Any, FieldNode]]] = {}

    def plan(t: Any, sel: Any) -> list[tuple[str, bool, Any, FieldNode]]:
        """The fields of a selection that hold connections (True) or objects (False)."""
        key = (getattr(t, "name", ""), id(sel))
        found = plans.get(key)
        if found is None:
            found = []
            fields = getattr(t, "fields", {})
            for f in sel.selections if sel else ():
                if not isinstance(f, FieldNode) or f.selection_set is None:
                    continue
                fdef = fields.get(f.name.value)
                if fdef is None:
                    continue
                ft = get_named_type(fdef.type)
                name = f.alias.value if f.alias else f.name.value
                found.append((name, is_connection(ft), ft, f))
            plans[key] = found
        return found

    def cut(t: Any, sel: Any, row: dict[str, Any], depth: int, node_id: str) -> None:
        """Take the connections out of ``row`` (and out of its nested objects, copied)."""
        for key, is_conn, ft, f in plan(t, sel):
            value = row.get(key)
            if not isinstance(value, Mapping):
                continue
            if is_conn:
                connection(ft, f, row.pop(key), depth + 1, node_id)
            else:
                row[key] = inner = dict(value)
                cut(ft, f.selection_set, inner, depth, node_id)

    def connection(
        t: Any, f: FieldNode, conn: Mapping[str, Any], depth: int, parent: str | None
    ) -> None:
        assert isinstance(t, GraphQLObjectType)
        node_t = get_named_type(t.fields["nodes"].type)
        sel = None
        for s in f.selection_set.selections if f.selection_set else ():
            if isinstance(s, FieldNode) and s.name.value == "nodes":
                sel = s.selection_set
            elif isinstance(s, FieldNode) and s.name.value == "edges":
                for e in s.selection_set.selections if s.selection_set else ():
                    if isinstance(e, FieldNode) and e.name.value == "node":
                        sel = e.selection_set
        for obj in items(conn):
            node(node_t, sel, obj, depth, parent)

    for f in op.selection_set.selections:
        if isinstance(f, FieldNode) and f.name.value in root.fields:
            t = get_named_type(root.fields[f.name.value].type)
            value = data.get(f.alias.value if f.alias else f.name.value)
            if is_connection(t) and isinstance(value, Mapping):
                connection(t, f, value, 0, None)
    return out


# --- the levels connection, as a function (tests page it directly) ------------------------


def level_node(store: EmulatedStore, item: str, loc: str) -> dict[str, Any]:
    """Return an ``InventoryLevel`` in the shape :mod:`shop_sync.queries` selects."""
    level = store.levels[(item, loc)]
    return {
        "updatedAt": level["updated_at"],
        "location": {"id": f"gid://shopify/Location/{loc}"},
        "quantities": [{"name": "available", "quantity": level["available"]}],
    }


def levels_connection(
    store: EmulatedStore, item: str, *, first: int | None, after: Any = None
) -> dict[str, Any]:
    """Return an item's ``inventoryLevels`` connection as the server pages it: ``first``
    levels after the cursor ``after``, with ``pageInfo`` (all when ``first`` is None)."""
    from sandbox.shopify.graphql_server import connection

    items = list(enumerate(store.locations))
    args: dict[str, Any] = {"first": first, "after": after}
    conn = connection(items, lambda loc: level_node(store, item, loc), args, bulk=first is None)
    return {"pageInfo": conn["pageInfo"](), "nodes": conn["nodes"]}


_ = cursor  # re-exported for tests that build cursors


# --- Storefront: documents validated and selected on Shopify's Storefront schema ------------


def storefront_errors(query: str) -> dict[str, Any] | None:
    """The errors body for a Storefront document that does not parse or validate, else None."""
    checked = check(query, "storefront")
    return None if checked.document is not None else {"errors": list(checked.errors)}


def storefront_answer(
    query: str, variables: Mapping[str, Any], root: Mapping[str, Any]
) -> dict[str, Any]:
    """Execute a valid Storefront document over ``root`` (the root fields' values, in the
    GraphQL shape): the answer holds what the document selects, as Shopify's does."""
    checked = check(query, "storefront")
    assert checked.document is not None
    result = execute_sync(
        load_schema("storefront"),
        checked.document,
        root_value=dict(root),
        variable_values=dict(variables),
        field_resolver=field_resolver,
        type_resolver=type_resolver,
    )
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [dict(e.formatted) for e in result.errors]
    body["data"] = result.data
    return body
