"""The ``GET /l/{code}`` route: the buyer's landing page (see :mod:`checkout_links.landing`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from checkout_links.landing import HeldLine, landing_state, render_landing
from checkout_links.shortlinks import Resolution, ShortLinks

_LOGGER = logging.getLogger(__name__)

DEFAULT_WAITLIST_HINT = (
    "Type !waitlist and the product in the live chat to join the waitlist: "
    "you will get a new link if one comes back."
)

Describe = Callable[[tuple[str, ...]], Sequence[HeldLine]]


def shortlink_router(
    service: ShortLinks,
    *,
    waitlist_hint: str = DEFAULT_WAITLIST_HINT,
    paid_order: Callable[[tuple[str, ...]], str | None] | None = None,
    describe: Describe | None = None,
    currency: str = "USD",
    locale: str = "en",
    on_open: Callable[[Resolution], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """Return the router serving ``GET /l/{code}``: the landing page of a short link.

    Opening the page is the link's click (counted by :meth:`ShortLinks.resolve`, then handed
    to ``on_open``, the live dashboard's "link opened"). ``describe`` tells what the link's
    holds are (without it the page shows the countdown and the button alone); ``paid_order``
    finds the order that paid them. 200 while the hold lasts and once paid, 410 once it has
    ended (with the waitlist command, no checkout link), 404 for an unknown or tampered code.
    """
    router = APIRouter()

    @router.get("/l/{code}", response_class=HTMLResponse)
    def land(code: str) -> HTMLResponse:
        found = service.resolve(code)
        lines: Sequence[HeldLine] = ()
        order: str | None = None
        if found.kind != "unknown":
            if on_open is not None:
                try:
                    on_open(found)
                except Exception:  # the live view must never cost a buyer their page
                    _LOGGER.exception("could not publish a link open")
            lines = describe(found.hold_ids) if describe is not None else ()
            ended = found.kind == "expired" or any(line.status == "converted" for line in lines)
            if ended and paid_order is not None:
                order = paid_order(found.hold_ids)
        state = landing_state(found.kind, lines, order)
        page = render_landing(
            state,
            lines=lines,
            currency=currency,
            locale=locale,
            checkout_url=found.target_url,
            expires_at=found.expires_at,
            now=clock(),
            order=order,
            waitlist_hint=waitlist_hint,
        )
        return HTMLResponse(page.html, status_code=page.status_code, headers=page.headers)

    return router
