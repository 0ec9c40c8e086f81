"""Thin Shopify GraphQL clients for carts (Storefront ``cartCreate``) and draft orders."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from checkout_links.errors import LinkAuthError, LinkError, LinkRejected, LinkUnavailable

_LOGGER = logging.getLogger(__name__)

CART_CREATE = """
mutation cartCreate($input: CartInput!) {
  cartCreate(input: $input) {
    cart {
      id
      checkoutUrl
      totalQuantity
      attributes { key value }
      discountCodes { code applicable }
      lines(first: 100) { nodes { quantity merchandise { ... on ProductVariant { id } } } }
    }
    userErrors { field message code }
    warnings { code message }
  }
}
""".strip()

DRAFT_ORDER_CREATE = """
mutation draftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id name invoiceUrl status reserveInventoryUntil customAttributes { key value } }
    userErrors { field message }
  }
}
""".strip()


def _retry_after(resp: requests.Response) -> float | None:
    try:
        value = float(resp.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def graphql_post(
    session: requests.Session,
    url: str,
    query: str,
    variables: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    timeout: float,
) -> dict[str, Any]:
    """POST one GraphQL document and return its ``data``.

    Raises:
        LinkUnavailable: network error, timeout, HTTP 429/5xx or a THROTTLED error.
        LinkAuthError: HTTP 401/403.
        LinkError: any other HTTP error, a body that is not JSON, or GraphQL errors.
    """
    try:
        resp = session.post(
            url,
            json={"query": query, "variables": dict(variables)},
            headers=dict(headers),
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise LinkUnavailable(f"cannot reach {url}: {type(exc).__name__}") from exc
    if resp.status_code in (401, 403):
        raise LinkAuthError(f"{url} refused the token (HTTP {resp.status_code})")
    if resp.status_code == 429 or resp.status_code >= 500:
        raise LinkUnavailable(
            f"{url} answered HTTP {resp.status_code}", retry_after=_retry_after(resp)
        )
    if resp.status_code != 200:
        raise LinkError(f"{url} answered HTTP {resp.status_code}")
    try:
        body = resp.json()
    except ValueError as exc:
        raise LinkError(f"{url} answered a body that is not JSON") from exc
    if not isinstance(body, dict):
        raise LinkError(f"{url} answered a JSON {type(body).__name__}, not an object")
    errors = body.get("errors")
    if errors:
        codes = {
            str((e.get("extensions") or {}).get("code", ""))
            for e in (errors if isinstance(errors, list) else [])
            if isinstance(e, dict)
        }
        if "THROTTLED" in codes:
            raise LinkUnavailable(f"{url} throttled the request")
        raise LinkError(f"GraphQL errors from {url}: {errors!r}"[:500])
    data = body.get("data")
    if not isinstance(data, dict):
        raise LinkError(f"{url} answered no data")
    return data


def _payload(data: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    payload = data.get(field)
    if not isinstance(payload, Mapping):
        raise LinkError(f"response has no {field} payload")
    user_errors = payload.get("userErrors") or []
    if user_errors:
        messages = [
            str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in user_errors
        ]
        raise LinkRejected(messages)
    return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedCart:
    """A Storefront cart: its gid and the checkout URL to send."""

    cart_id: str
    checkout_url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedDraftOrder:
    """A draft order: its gid, status and the invoice URL to send."""

    draft_order_id: str
    invoice_url: str
    status: str


class StorefrontClient:
    """Storefront API: ``POST {base}/api/{version}/graphql.json``.

    The token (public Storefront token) goes in ``X-Shopify-Storefront-Access-Token``;
    without one the request is tokenless (cart creation is allowed tokenless).
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        base_url: str,
        api_version: str,
        token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._url = f"{base_url.rstrip('/')}/api/{api_version}/graphql.json"
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self._headers["X-Shopify-Storefront-Access-Token"] = token
        self._timeout = timeout

    def cart_create(self, cart_input: Mapping[str, Any]) -> CreatedCart:
        """Create a cart from a ``CartInput`` and return its checkout URL.

        Raises:
            LinkUnavailable, LinkAuthError, LinkRejected, LinkError: see :func:`graphql_post`;
                LinkRejected when the shop answers userErrors.
        """
        data = graphql_post(
            self._session,
            self._url,
            CART_CREATE,
            {"input": cart_input},
            headers=self._headers,
            timeout=self._timeout,
        )
        payload = _payload(data, "cartCreate")
        cart = payload.get("cart")
        if not isinstance(cart, Mapping) or not isinstance(cart.get("checkoutUrl"), str):
            raise LinkError("cartCreate answered no cart.checkoutUrl")
        for warning in payload.get("warnings") or []:
            _LOGGER.info("cartCreate warning: %s", warning)
        return CreatedCart(cart_id=str(cart.get("id", "")), checkout_url=cart["checkoutUrl"])


class AdminDraftOrderClient:
    """Admin API draft orders: ``POST {base}/admin/api/{version}/graphql.json``.

    The Admin token goes in ``X-Shopify-Access-Token`` (never logged).
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        base_url: str,
        api_version: str,
        token: str | None,
        timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._url = f"{base_url.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self._headers["X-Shopify-Access-Token"] = token
        self._timeout = timeout

    def draft_order_create(self, draft_input: Mapping[str, Any]) -> CreatedDraftOrder:
        """Create a draft order from a ``DraftOrderInput`` and return its invoice URL.

        Raises:
            LinkUnavailable, LinkAuthError, LinkRejected, LinkError: see :func:`graphql_post`;
                LinkRejected when the shop answers userErrors.
        """
        data = graphql_post(
            self._session,
            self._url,
            DRAFT_ORDER_CREATE,
            {"input": draft_input},
            headers=self._headers,
            timeout=self._timeout,
        )
        payload = _payload(data, "draftOrderCreate")
        draft = payload.get("draftOrder")
        if not isinstance(draft, Mapping) or not isinstance(draft.get("invoiceUrl"), str):
            raise LinkError("draftOrderCreate answered no draftOrder.invoiceUrl")
        return CreatedDraftOrder(
            draft_order_id=str(draft.get("id", "")),
            invoice_url=draft["invoiceUrl"],
            status=str(draft.get("status", "")),
        )
