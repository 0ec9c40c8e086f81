"""The OBS overlay: a transparent browser-source page fed by the live hub over SSE.

``GET /overlay?token=…`` is the page, ``GET /overlay/events?token=…`` its event stream; both
need the overlay token (:meth:`DashboardAccess.overlay_allows`) and grant nothing else: no
session, no action, no other route. The page never contains the token (its script reads it
from its own address). What it shows comes from :func:`overlay_view` (short names, the
featured product, drops, stock: no chat text, no full names), reduced here to one small
state: the featured product and its price, units left (or SOLD OUT), the open drop and its
end, and the latest held claims for the ticker.

:func:`link_opened` is the landing page's hook into the same hub: a buyer opening their link
marks their claims "link opened" in the dashboard's feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from checkout_links.shortlinks import Resolution
from shop_sync.holds import HoldBook
from shopstream.dashboard.access import DashboardAccess
from shopstream.dashboard.live import ClaimUpdate, LiveHub, overlay_view

TICKER = 8  # claims the ticker keeps
_ENV = Environment(
    loader=PackageLoader("shopstream.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def _headers(nonce: str | None = None) -> dict[str, str]:
    headers = {
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex, nofollow",
        "Referrer-Policy": "no-referrer",  # the token in the address goes nowhere
        "X-Content-Type-Options": "nosniff",
    }
    if nonce is not None:
        headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'"
        )
    return headers


class OverlayState:
    """What the overlay shows, kept up to date from the hub's snapshot and batches."""

    def __init__(self, handle_of: Callable[[str], str | None]) -> None:
        self._handle_of = handle_of
        self.show: Mapping[str, Any] | None = None
        self.stock: dict[str, Mapping[str, Any]] = {}
        self.claims: list[Mapping[str, Any]] = []

    def apply(self, view: Mapping[str, Any]) -> bool:
        """Take one overlay view (snapshot or batch); whether anything the page shows changed."""
        if view.get("type") == "snapshot":
            self.stock, self.claims = {}, []
        changed = view.get("type") == "snapshot"
        if view.get("show") is not None:
            self.show, changed = view["show"], True
        if view.get("stock"):
            self.stock.update(view["stock"])
            changed = True
        if view.get("claims"):
            self.claims = (self.claims + list(view["claims"]))[-TICKER:]
            changed = True
        return changed

    def _left(self, code: str | None) -> int | None:
        """Units of the featured product that can still be sold (None: unlimited)."""
        handle = self._handle_of(code) if code else None
        rows = [s for s in self.stock.values() if handle and s.get("handle") == handle]
        if not rows:
            return None
        if any(s.get("sellable") is None for s in rows):
            return None
        return sum(int(s.get("sellable") or 0) for s in rows)

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The page's whole state (it redraws from this alone)."""
        show = self.show or {}
        code = show.get("featured")
        drops = [d for d in show.get("drops", []) if isinstance(d, Mapping)]
        drop = next((d for d in drops if d.get("code") == code), drops[0] if drops else None)
        left = self._left(code)
        if drop is not None and drop.get("code") == code:
            left = int(drop.get("remaining") or 0)
        return {
            "now": now.astimezone(UTC).isoformat(),
            "featured": (
                {
                    "title": show.get("featured_title") or code,
                    "price": show.get("featured_price") or "",
                    "left": left,
                    "sold_out": left is not None and left <= 0,
                }
                if code
                else None
            ),
            "paused": bool(show.get("paused")),
            "closed": bool(show.get("closed")),
            "drop": (
                {
                    "title": drop.get("title") or drop.get("code"),
                    "remaining": drop.get("remaining"),
                    "total": drop.get("total"),
                    "ends_at": drop.get("ends_at"),
                }
                if drop is not None
                else None
            ),
            "claims": [
                {
                    "who": c.get("short"),
                    "product": c.get("product"),
                    "variant": c.get("variant"),
                    "qty": c.get("qty"),
                    "at": c.get("at"),
                }
                for c in self.claims
            ],
        }


def link_opened(hub: LiveHub, holds: HoldBook) -> Callable[[Resolution], None]:
    """The landing page's ``on_open``: the feed marks the link's claims "link opened" at once
    (the dashboard's own refresh would find it in the link table later)."""

    def opened(link: Resolution) -> None:
        found = (holds.hold(h) for h in link.hold_ids)
        claims = tuple(sorted(h.claim_key for h in found if h is not None))
        if claims:
            hub.publish(ClaimUpdate(claims=claims, link_opened=True))

    return opened


def _refused() -> HTMLResponse:
    doc = _ENV.from_string(
        "<!doctype html><meta charset=utf-8><meta name=robots content=noindex>"
        "<title>Overlay</title><p>This overlay address needs its token: copy it again from "
        "the dashboard.</p>"
    ).render()
    return HTMLResponse(doc, status_code=403, headers=_headers())


def overlay_router(
    hub: LiveHub,
    access: DashboardAccess,
    *,
    handle_of: Callable[[str], str | None],
    stop: asyncio.Event | None = None,
    keepalive: float = 15.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """Return the overlay's routes (see the module docstring).

    ``handle_of`` maps a lineup code to its product handle (stock rows are by handle);
    ``stop`` ends every open event stream (the show is over: the web server can close).
    """
    router = APIRouter()

    @router.get("/overlay", response_model=None)
    def page(token: str | None = None) -> Response:
        if not access.overlay_allows(token):
            return _refused()
        nonce = secrets.token_urlsafe(16)
        html = _ENV.get_template("overlay.html").render(nonce=nonce)
        return HTMLResponse(html, headers=_headers(nonce))

    @router.get("/overlay/events", response_model=None)
    async def events(token: str | None = None) -> Response:
        if not access.overlay_allows(token):
            return Response("overlay token missing or wrong", status_code=403, headers=_headers())
        return StreamingResponse(
            _stream(hub, handle_of, stop, keepalive, clock),
            media_type="text/event-stream",
            headers={**_headers(), "X-Accel-Buffering": "no"},
        )

    return router


async def _stream(
    hub: LiveHub,
    handle_of: Callable[[str], str | None],
    stop: asyncio.Event | None,
    keepalive: float,
    clock: Callable[[], datetime],
) -> AsyncIterator[str]:
    """The page's state at once, then again after every batch that changes it; a comment
    line every ``keepalive`` seconds (a client that left is noticed when it fails)."""
    state = OverlayState(handle_of)
    async with hub.subscribe() as sub:
        state.apply(overlay_view(hub.snapshot()))
        yield f"data: {json.dumps(state.to_json(clock()))}\n\n"
        stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
        upcoming: asyncio.Future[dict[str, Any]] | None = None
        try:
            while stopping is None or not stopping.done():
                if upcoming is None:
                    upcoming = asyncio.ensure_future(anext(sub))
                waits: set[asyncio.Future[Any]] = {upcoming}
                if stopping is not None:
                    waits.add(stopping)
                done, _ = await asyncio.wait(
                    waits, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED
                )
                if upcoming in done:
                    view, upcoming = upcoming.result(), None
                    if state.apply(overlay_view(view)):
                        yield f"data: {json.dumps(state.to_json(clock()))}\n\n"
                elif not done:
                    yield ": keepalive\n\n"
        finally:
            for fut in (upcoming, stopping):
                if fut is not None:
                    fut.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await fut
