"""The ``GET /l/{code}`` route: redirect to the checkout, or explain why not (no checkout link)."""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from checkout_links.shortlinks import ShortLinks

DEFAULT_WAITLIST_HINT = (
    "Type !waitlist and the product in the live chat to join the waitlist: "
    "you will get a new link if one comes back."
)


def _page(title: str, text: str, status: int) -> HTMLResponse:
    doc = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<meta name='robots' content='noindex'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers={"Cache-Control": "no-store"})


def shortlink_router(
    service: ShortLinks,
    *,
    waitlist_hint: str = DEFAULT_WAITLIST_HINT,
    paid_order: Callable[[tuple[str, ...]], str | None] | None = None,
) -> APIRouter:
    """Return the router serving ``GET /l/{code}``.

    302 to the checkout URL while the hold lasts; 404 page for an unknown or tampered code;
    once the link has ended, the order and thanks when ``paid_order`` finds the order that
    paid its holds (the link ends when they sell), else a 410 page offering the waitlist
    (text only, no checkout link).
    """
    router = APIRouter()

    @router.get("/l/{code}", response_model=None)
    def follow(code: str) -> Response:
        result = service.resolve(code)
        if result.kind == "redirect" and result.target_url:
            return RedirectResponse(
                result.target_url, status_code=302, headers={"Cache-Control": "no-store"}
            )
        if result.kind == "expired":
            order = paid_order(result.hold_ids) if paid_order is not None else None
            if order is not None:
                return _page(
                    "Thank you for your order",
                    f"Order {order} is paid: what was held for you is yours. "
                    "Your confirmation comes from the shop by email.",
                    200,
                )
            return _page(
                "This hold has expired",
                "The items were held for you for a limited time, and that time is up. "
                + waitlist_hint,
                410,
            )
        return _page("Link not found", "This link does not exist or is no longer valid.", 404)

    return router
