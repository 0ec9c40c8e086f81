"""Emulated Shopify checkout surface: Storefront ``cartCreate``, Admin ``draftOrderCreate``, pages.

Mount it into the Shopify emulator app (``create_app(..., extra_routers=(...))``)::

    emulator = CheckoutEmulator()                  # demo catalog, currency USD
    app.include_router(checkout_routes(emulator))  # Storefront API + checkout pages

and let the Admin GraphQL endpoint delegate the mutations it does not know::

    answer = emulator.handle_admin_mutation(query, variables, base_url=str(request.base_url))
    if answer is not None:
        return answer                               # {"data": ...} or {"errors": ...}

Routes (all on the emulator's own host):

- ``POST /api/{version}/graphql.json``: Storefront API; answers ``cartCreate`` with the real
  payload shape (``cart {id checkoutUrl ...} userErrors warnings``); other documents get a
  GraphQL error. The selection set is not interpreted: the whole payload is always returned.
- ``GET /checkouts/cn/{token}``: the cart's checkout page (``checkoutUrl``).
- ``GET /checkouts/do/{token}``: the draft order's invoice page (``invoiceUrl``).
- ``GET /cart/{lines}`` and ``GET /{locale}/cart/{lines}``: the cart permalink landing page.
- ``POST /checkouts/{kind}/{token}/complete``: place the order; its ``orders/create`` payload
  (REST shape, with ``note_attributes`` and ``landing_site``) goes to ``on_order``.

Faults: :meth:`CheckoutEmulator.inject` makes the next Storefront calls fail with HTTP 503,
HTTP 401 or a ``THROTTLED`` error on HTTP 200 (the draft-order delegate honours ``throttled``).
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

_LOGGER = logging.getLogger(__name__)

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "demo_products.json"
_VARIANT_GID = re.compile(r"^gid://shopify/ProductVariant/(\d+)$")
_MUTATION = re.compile(r"\b(cartCreate|draftOrderCreate)\s*\(")
Fault = Literal["http_503", "http_401", "throttled"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatedVariant:
    """A variant the emulated checkout can sell."""

    variant_id: str
    product_id: str
    product_title: str
    title: str
    sku: str
    price: Decimal


def load_variants(path: Path = DEMO_CATALOG) -> dict[str, EmulatedVariant]:
    """Read a Shopify ``products.json`` document into variants keyed by numeric id."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return variants_from_products(data.get("products", []))


def variants_from_products(products: Iterable[Mapping[str, Any]]) -> dict[str, EmulatedVariant]:
    """Variants keyed by numeric id from products in ``products.json`` shape."""
    out: dict[str, EmulatedVariant] = {}
    for product in products:
        for v in product.get("variants", []):
            out[str(v["id"])] = EmulatedVariant(
                variant_id=str(v["id"]),
                product_id=str(product["id"]),
                product_title=str(product.get("title", "")),
                title=str(v.get("title", "")),
                sku=str(v.get("sku") or ""),
                price=Decimal(str(v.get("price", "0"))),
            )
    return out


@dataclass(slots=True, kw_only=True)
class EmulatedCheckout:
    """A cart, draft order or permalink visit that can be completed into an order."""

    kind: Literal["cn", "do", "permalink"]
    token: str
    lines: list[tuple[EmulatedVariant, int]]
    attributes: list[tuple[str, str]]
    discount_codes: list[str]
    email: str | None = None
    landing_site: str | None = None
    reserve_until: datetime | None = None
    order_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def subtotal(self) -> Decimal:
        """Sum of line prices."""
        return sum((v.price * q for v, q in self.lines), Decimal("0"))


def _error(message: str, code: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message}
    if code:
        err["extensions"] = {"code": code}
    return {"errors": [err]}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class CheckoutEmulator:
    """State of the emulated checkout: carts, draft orders, placed orders and injected faults."""

    def __init__(
        self,
        *,
        variants: Mapping[str, EmulatedVariant] | None = None,
        currency: str = "USD",
        base_url: str = "",
        discount_codes: tuple[str, ...] = ("LIVE10",),
        storefront_token: str | None = None,
        on_order: Callable[[dict[str, Any]], object] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.variants = dict(load_variants() if variants is None else variants)
        self.currency = currency
        self.base_url = base_url.rstrip("/")
        self.discount_codes = {c.upper() for c in discount_codes}
        self.storefront_token = storefront_token
        self.on_order = on_order
        self.clock = clock
        self.checkouts: dict[str, EmulatedCheckout] = {}
        self.orders: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    # --- control -------------------------------------------------------------------------

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Make the next ``times`` API calls fail with ``fault``."""
        self._faults.extend([fault] * times)

    def _next_fault(self) -> Fault | None:
        return self._faults.pop(0) if self._faults else None

    def _base(self, base_url: str | None) -> str:
        return (base_url or self.base_url or "http://127.0.0.1").rstrip("/")

    # --- shared validation ---------------------------------------------------------------

    def _lines(
        self, raw_lines: Any, id_key: str, path: str
    ) -> tuple[list[tuple[EmulatedVariant, int]], list[dict[str, Any]]]:
        lines: list[tuple[EmulatedVariant, int]] = []
        errors: list[dict[str, Any]] = []
        if not isinstance(raw_lines, list) or not raw_lines:
            return [], [{"field": ["input", path], "message": "at least one line is required"}]
        for i, line in enumerate(raw_lines):
            where = ["input", path, str(i)]
            gid = line.get(id_key) if isinstance(line, Mapping) else None
            match = _VARIANT_GID.match(gid) if isinstance(gid, str) else None
            variant = self.variants.get(match.group(1)) if match else None
            qty = line.get("quantity", 1) if isinstance(line, Mapping) else None
            if variant is None:
                errors.append(
                    {
                        "field": [*where, id_key],
                        "message": f"The merchandise with id {gid} does not exist.",
                        "code": "INVALID_MERCHANDISE_LINE",
                    }
                )
            elif not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
                errors.append(
                    {
                        "field": [*where, "quantity"],
                        "message": "Quantity must be at least 1",
                        "code": "INVALID",
                    }
                )
            else:
                lines.append((variant, qty))
        return lines, errors

    @staticmethod
    def _attributes(raw: Any) -> list[tuple[str, str]]:
        if not isinstance(raw, list):
            return []
        return [
            (str(a.get("key")), str(a.get("value")))
            for a in raw
            if isinstance(a, Mapping) and a.get("key") is not None
        ]

    # --- Storefront cartCreate -----------------------------------------------------------

    def handle_storefront(
        self, query: str, variables: Mapping[str, Any], *, base_url: str | None = None
    ) -> dict[str, Any]:
        """Answer one Storefront GraphQL document (``cartCreate`` only), validated against
        Shopify's Storefront schema and answered with what it selects."""
        from sandbox.shopify.graphql import storefront_answer, storefront_errors

        invalid = storefront_errors(query or "")
        if invalid is not None:
            return invalid
        answer = self._cart_create(query, variables, base_url=base_url)
        if "data" not in answer or answer["data"] is None:
            return answer
        return storefront_answer(query, variables, answer["data"])

    def _cart_create(
        self, query: str, variables: Mapping[str, Any], *, base_url: str | None = None
    ) -> dict[str, Any]:
        match = _MUTATION.search(query or "")
        if not match or match.group(1) != "cartCreate":
            return _error("This emulator's Storefront API answers cartCreate only.")
        cart_in = variables.get("input") if isinstance(variables, Mapping) else None
        if not isinstance(cart_in, Mapping):
            return _error("Variable $input of type CartInput! was provided invalid value")
        lines, errors = self._lines(cart_in.get("lines"), "merchandiseId", "lines")
        if errors:
            return {"data": {"cartCreate": {"cart": None, "userErrors": errors, "warnings": []}}}
        token = secrets.token_hex(12)
        codes = [str(c) for c in cart_in.get("discountCodes") or []]
        buyer = cart_in.get("buyerIdentity") or {}
        checkout = EmulatedCheckout(
            kind="cn",
            token=token,
            lines=lines,
            attributes=self._attributes(cart_in.get("attributes")),
            discount_codes=codes,
            email=buyer.get("email") if isinstance(buyer, Mapping) else None,
        )
        self.checkouts[token] = checkout
        key = secrets.token_hex(8)
        total = checkout.subtotal()
        cart = {
            "id": f"gid://shopify/Cart/{token}?key={key}",
            "checkoutUrl": f"{self._base(base_url)}/checkouts/cn/{token}?key={key}",
            "totalQuantity": sum(q for _, q in lines),
            "cost": {"totalAmount": {"amount": f"{total:.2f}", "currencyCode": self.currency}},
            "attributes": [{"key": k, "value": v} for k, v in checkout.attributes],
            "discountCodes": [
                {"code": c, "applicable": c.upper() in self.discount_codes} for c in codes
            ],
            "note": cart_in.get("note"),
            "lines": {
                "nodes": [
                    {
                        "__typename": "CartLine",
                        "id": f"gid://shopify/CartLine/{token}-{i}",
                        "quantity": q,
                        "merchandise": {
                            "__typename": "ProductVariant",
                            "id": f"gid://shopify/ProductVariant/{v.variant_id}",
                        },
                    }
                    for i, (v, q) in enumerate(lines)
                ]
            },
        }
        return {"data": {"cartCreate": {"cart": cart, "userErrors": [], "warnings": []}}}

    # --- Admin draftOrderCreate ----------------------------------------------------------

    def handle_admin_mutation(
        self, query: str, variables: Mapping[str, Any] | None, *, base_url: str | None = None
    ) -> dict[str, Any] | None:
        """Answer an Admin GraphQL document if it is ``draftOrderCreate``; otherwise None.

        Args:
            query: The GraphQL document as posted.
            variables: Its variables (``{"input": DraftOrderInput}``).
            base_url: The emulator's base URL (for ``invoiceUrl``); default ``self.base_url``.

        Returns:
            The whole GraphQL response body (``{"data": ...}`` or ``{"errors": ...}``), or None
            when the document is not one this module answers.
        """
        match = _MUTATION.search(query or "")
        if not match or match.group(1) != "draftOrderCreate":
            return None
        self.requests.append({"api": "admin", "variables": dict(variables or {})})
        if self._next_fault() == "throttled":
            return _error("Throttled", "THROTTLED")
        draft_in = (variables or {}).get("input")
        if not isinstance(draft_in, Mapping):
            return _error("Variable $input of type DraftOrderInput! was provided invalid value")
        lines, errors = self._lines(draft_in.get("lineItems"), "variantId", "lineItems")
        until: datetime | None = None
        raw_until = draft_in.get("reserveInventoryUntil")
        if raw_until is not None:
            try:
                until = datetime.fromisoformat(str(raw_until).replace("Z", "+00:00"))
                if until.tzinfo is None or until <= self.clock():
                    raise ValueError
            except ValueError:
                errors.append(
                    {
                        "field": ["input", "reserveInventoryUntil"],
                        "message": "Reserve inventory until must be a future date and time",
                    }
                )
        if errors:
            for err in errors:
                err.pop("code", None)
            return {"data": {"draftOrderCreate": {"draftOrder": None, "userErrors": errors}}}
        number = next(self._ids)
        token = secrets.token_hex(12)
        checkout = EmulatedCheckout(
            kind="do",
            token=token,
            lines=lines,
            attributes=self._attributes(draft_in.get("customAttributes")),
            discount_codes=[str(c) for c in draft_in.get("discountCodes") or []],
            email=draft_in.get("email"),
            reserve_until=until,
            extra={"tags": list(draft_in.get("tags") or []), "number": number},
        )
        self.checkouts[token] = checkout
        draft = {
            "id": f"gid://shopify/DraftOrder/{number}",
            "name": f"#D{number}",
            "invoiceUrl": f"{self._base(base_url)}/checkouts/do/{token}",
            "status": "OPEN",
            "reserveInventoryUntil": _iso(until) if until else None,
            "customAttributes": [{"key": k, "value": v} for k, v in checkout.attributes],
            "tags": checkout.extra["tags"],
            "totalPriceSet": {
                "shopMoney": {"amount": f"{checkout.subtotal():.2f}", "currencyCode": self.currency}
            },
        }
        return {"data": {"draftOrderCreate": {"draftOrder": draft, "userErrors": []}}}

    # --- permalinks and orders -----------------------------------------------------------

    def visit_permalink(self, path: str, query: str) -> EmulatedCheckout | None:
        """Record a permalink visit (``/cart/1:2,3:1?...``); None when the lines are invalid."""
        spec = path.rsplit("/cart/", 1)[-1]
        lines: list[tuple[EmulatedVariant, int]] = []
        for part in spec.split(","):
            vid, _, qty = part.partition(":")
            variant = self.variants.get(vid)
            if variant is None or not qty.isdigit() or int(qty) < 1:
                return None
            lines.append((variant, int(qty)))
        params = parse_qsl(query, keep_blank_values=True)
        attributes = [
            (k[len("attributes[") : -1], v)
            for k, v in params
            if k.startswith("attributes[") and k.endswith("]")
        ]
        codes = [c for k, v in params if k == "discount" for c in v.split(",") if c]
        email = next((v for k, v in params if k == "checkout[email]"), None)
        token = secrets.token_hex(12)
        checkout = EmulatedCheckout(
            kind="permalink",
            token=token,
            lines=lines,
            attributes=attributes,
            discount_codes=codes,
            email=email,
            landing_site=path + (f"?{query}" if query else ""),
        )
        self.checkouts[token] = checkout
        return checkout

    def complete(self, token: str) -> dict[str, Any] | None:
        """Place the order of checkout ``token`` (once) and hand its payload to ``on_order``."""
        checkout = self.checkouts.get(token)
        if checkout is None:
            return None
        if checkout.order_id is not None:
            return next(o for o in self.orders if str(o["id"]) == checkout.order_id)
        number = 1000 + len(self.orders) + 1
        order_id = str(5_000_000_000 + number)
        checkout.order_id = order_id
        subtotal = checkout.subtotal()
        order: dict[str, Any] = {
            "id": int(order_id),
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "name": f"#{number}",
            "order_number": number,
            "email": checkout.email,
            "created_at": _iso(self.clock()),
            "currency": self.currency,
            "presentment_currency": self.currency,
            "subtotal_price": f"{subtotal:.2f}",
            "total_price": f"{subtotal:.2f}",
            "financial_status": "paid",
            "source_name": "shopify_draft_order" if checkout.kind == "do" else "web",
            "landing_site": checkout.landing_site,
            "referring_site": None,
            "note": None,
            "note_attributes": [{"name": k, "value": v} for k, v in checkout.attributes],
            "discount_codes": [
                {"code": c, "amount": "0.00", "type": "percentage"} for c in checkout.discount_codes
            ],
            "tags": ", ".join(checkout.extra.get("tags", [])),
            "line_items": [
                {
                    "id": int(order_id) * 10 + i,
                    "variant_id": int(v.variant_id),
                    "product_id": int(v.product_id),
                    "title": v.product_title,
                    "variant_title": v.title,
                    "sku": v.sku,
                    "quantity": q,
                    "price": f"{v.price:.2f}",
                }
                for i, (v, q) in enumerate(checkout.lines)
            ],
        }
        self.orders.append(order)
        if self.on_order is not None:
            self.on_order(order)
        return order


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status)


def _checkout_page(emulator: CheckoutEmulator, checkout: EmulatedCheckout) -> HTMLResponse:
    rows = "".join(
        f"<li data-variant='{v.variant_id}'>{html.escape(v.product_title)} — "
        f"{html.escape(v.title)} × {q} @ {v.price:.2f} {emulator.currency}</li>"
        for v, q in checkout.lines
    )
    attrs = "".join(f"<li>{html.escape(k)} = {html.escape(v)}</li>" for k, v in checkout.attributes)
    codes = html.escape(", ".join(checkout.discount_codes)) or "none"
    kind = "cn" if checkout.kind == "permalink" else checkout.kind
    body = (
        f"<ul id='lines'>{rows}</ul><p>Subtotal: {checkout.subtotal():.2f} "
        f"{emulator.currency}</p><p>Discount codes: {codes}</p><ul id='attributes'>{attrs}</ul>"
        f"<form method='post' action='/checkouts/{kind}/{checkout.token}/complete'>"
        "<button>Pay now</button></form>"
    )
    return _page("Checkout (Shopify emulator)", body)


def checkout_routes(emulator: CheckoutEmulator) -> APIRouter:
    """Return the router serving the Storefront API and the checkout pages of ``emulator``."""
    router = APIRouter()

    @router.post("/api/{version}/graphql.json")
    async def storefront_graphql(version: str, request: Request) -> Response:
        fault = emulator._next_fault()
        if fault == "http_503":
            return JSONResponse({"errors": "Service Unavailable"}, status_code=503)
        if fault == "http_401" or (
            emulator.storefront_token is not None
            and request.headers.get("X-Shopify-Storefront-Access-Token")
            != emulator.storefront_token
        ):
            return JSONResponse({"errors": "[API] Invalid API key or access token"}, 401)
        if fault == "throttled":
            return JSONResponse(_error("Throttled", "THROTTLED"))
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse(_error("Could not parse the request body as JSON"), 400)
        if not isinstance(body, dict):
            return JSONResponse(_error("Request body must be a JSON object"), 400)
        variables = body.get("variables") or {}
        emulator.requests.append(
            {
                "api": "storefront",
                "version": version,
                "variables": variables,
                "token": request.headers.get("X-Shopify-Storefront-Access-Token"),
            }
        )
        answer = emulator.handle_storefront(
            str(body.get("query", "")), variables, base_url=str(request.base_url)
        )
        return JSONResponse(answer)

    @router.get("/checkouts/{kind}/{token}", response_class=HTMLResponse)
    def checkout_page(kind: str, token: str) -> HTMLResponse:
        checkout = emulator.checkouts.get(token)
        if checkout is None or kind not in ("cn", "do"):
            return _page("Checkout not found", "<p>This checkout does not exist.</p>", 404)
        return _checkout_page(emulator, checkout)

    @router.post("/checkouts/{kind}/{token}/complete")
    def complete(kind: str, token: str) -> Response:
        order = emulator.complete(token)
        if order is None:
            return _page("Checkout not found", "<p>This checkout does not exist.</p>", 404)
        return _page("Thank you", f"<p>Order {html.escape(str(order['name']))} placed.</p>")

    def _permalink(request: Request) -> HTMLResponse:
        url = urlsplit(str(request.url))
        checkout = emulator.visit_permalink(url.path, url.query)
        if checkout is None:
            return _page("Cart not found", "<p>Some items are no longer available.</p>", 404)
        return _checkout_page(emulator, checkout)

    @router.get("/cart/{spec}", response_class=HTMLResponse)
    def permalink(spec: str, request: Request) -> HTMLResponse:
        return _permalink(request)

    @router.get("/{locale}/cart/{spec}", response_class=HTMLResponse)
    def localized_permalink(locale: str, spec: str, request: Request) -> HTMLResponse:
        return _permalink(request)

    return router
