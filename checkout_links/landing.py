"""The buyer's landing page behind ``/l/{code}``: what is held, for how long, and the checkout.

The page is one of four states of a short link: **live** (the holds with their price, a
countdown of the hold and the checkout button), **paid** (the order and thanks), **ended**
(the hold expired or was released: what to type in chat to join the waitlist) and **unknown**
(a made-up or tampered code: 404). It shows only what the link itself stands for: never the
buyer's name, another buyer or another link. Templates are Jinja2 with autoescape on.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from jinja2 import Environment, PackageLoader, select_autoescape

from shopstream.replies.money import format_price

LandingState = Literal["live", "paid", "ended", "unknown"]

_ENV = Environment(
    loader=PackageLoader("checkout_links", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldLine:
    """One hold a link stands for, as its buyer sees it."""

    product: str
    variant: str  # "" for a product without options
    quantity: int
    unit_price: Decimal
    status: str  # the hold's: active, expired, cancelled, released, converted
    waitlist_command: str  # what the buyer types in chat to wait for it ("!waitlist 101 M")


@dataclass(frozen=True, slots=True, kw_only=True)
class LandingPage:
    """A rendered landing page: its HTML, status code and the headers it must go out with."""

    state: LandingState
    status_code: int
    html: str
    headers: dict[str, str]


def landing_state(kind: str, lines: Sequence[HeldLine], order: str | None) -> LandingState:
    """Which page a link shows: ``kind`` is the short link's (redirect, expired, unknown).

    A link whose holds all ended (sold, released, expired) shows that, even while the link
    itself has time left; a link with no known holds goes by the link alone.
    """
    if kind == "unknown":
        return "unknown"
    if order is not None:
        return "paid"
    if kind == "expired":
        return "ended"
    if lines and not any(line.status == "active" for line in lines):
        return "ended"
    return "live"


def _headers(nonce: str) -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex, nofollow",
        "Referrer-Policy": "no-referrer",  # the checkout never learns the link's code
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
    }


def render_landing(
    state: LandingState,
    *,
    lines: Sequence[HeldLine] = (),
    currency: str = "USD",
    locale: str = "en",
    checkout_url: str | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    order: str | None = None,
    waitlist_hint: str = "",
    price: Callable[[Decimal, str, str], str] = format_price,
) -> LandingPage:
    """Render the page for ``state`` (see the module docstring); every value is escaped."""
    nonce = secrets.token_urlsafe(16)
    seconds_left = 0
    if expires_at is not None and now is not None:
        seconds_left = max(0, int((expires_at - now).total_seconds()))
    total = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    html = _ENV.get_template("landing.html").render(
        state=state,
        nonce=nonce,
        lines=[
            {
                "product": line.product,
                "variant": line.variant,
                "quantity": line.quantity,
                "unit_price": price(line.unit_price, currency, locale),
                "line_total": price(line.unit_price * line.quantity, currency, locale),
                "waitlist_command": line.waitlist_command,
            }
            for line in lines
        ],
        total=price(total, currency, locale) if lines else "",
        checkout_url=checkout_url if state == "live" else None,
        expires_iso=expires_at.isoformat() if expires_at is not None else "",
        seconds_left=seconds_left,
        clock=f"{seconds_left // 60}:{seconds_left % 60:02d}",
        order=order,
        waitlist_hint=waitlist_hint,
    )
    status = {"live": 200, "paid": 200, "ended": 410, "unknown": 404}[state]
    return LandingPage(state=state, status_code=status, html=html, headers=_headers(nonce))
