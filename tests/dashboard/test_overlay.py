"""The OBS overlay over HTTP: its token opens the page and its stream and nothing else; the
stream carries the featured product, stock, the drop and short names, never chat text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from shopstream.dashboard.access import DashboardAccess
from shopstream.dashboard.live import (
    ChatSeen,
    ClaimSeen,
    DropSeen,
    LiveHub,
    ShowSeen,
    StockSeen,
)
from shopstream.dashboard.overlay import OverlayState, overlay_router
from shopstream.runtime.webserver import serve_asgi

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
TOKEN = "overlay-token-for-tests-0123456789"
HANDLES = {"201": "glow-serum", "101": "classic-tee"}


def _claim(n: int, viewer: str, outcome: str = "held") -> ClaimSeen:
    return ClaimSeen(
        at=T0,
        claim=f"twitch:m{n}",
        platform="twitch",
        viewer=viewer,
        product="Glow Serum",
        variant="",
        qty=1,
        outcome=outcome,
    )


def _stock(sellable: int | None, variant: str = "1") -> StockSeen:
    return StockSeen(handle="glow-serum", variant_id=variant, title="Glow Serum", sellable=sellable)


async def _events(url: str, stop: asyncio.Event) -> AsyncIterator[dict[str, object]]:
    async with (
        httpx.AsyncClient(timeout=5) as http,
        http.stream("GET", f"{url}/overlay/events", params={"token": TOKEN}) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        async for line in resp.aiter_lines():
            if line.startswith("data: "):
                yield json.loads(line[6:])


@pytest.fixture
def hub() -> LiveHub:
    return LiveHub(interval=60, clock=lambda: T0)


@pytest.fixture
def access() -> DashboardAccess:
    return DashboardAccess(host_token="host-secret-for-tests-0123456789", overlay_token=TOKEN)


async def test_the_overlay_needs_its_token_and_never_shows_it(
    hub: LiveHub, access: DashboardAccess
) -> None:
    app = FastAPI()
    app.include_router(overlay_router(hub, access, handle_of=HANDLES.get))
    async with serve_asgi(app) as url, httpx.AsyncClient(timeout=5) as http:
        refused = [
            await http.get(f"{url}{path}", params=params)
            for path in ("/overlay", "/overlay/events")
            for params in ({}, {"token": "wrong"}, {"token": TOKEN[:-1]}, {"token": ""})
        ]
        page = await http.get(f"{url}/overlay", params={"token": TOKEN})
    assert [r.status_code for r in refused] == [403] * 8
    assert all(TOKEN not in r.text and r.headers["cache-control"] == "no-store" for r in refused)
    assert page.status_code == 200
    assert TOKEN not in page.text  # the page reads it from its own address
    assert "background:transparent" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in page.headers  # no session: the token opens the overlay alone


async def test_the_stream_carries_the_show_stock_drop_and_short_names(
    hub: LiveHub, access: DashboardAccess
) -> None:
    stop = asyncio.Event()
    app = FastAPI()
    app.include_router(
        overlay_router(hub, access, handle_of=HANDLES.get, stop=stop, clock=lambda: T0)
    )
    hub.publish(ShowSeen(featured="201", featured_title="Glow Serum", featured_price="$42.50"))
    hub.publish(_stock(3))
    hub.flush()
    async with serve_asgi(app) as url:
        stream = _events(url, stop)
        try:
            first = await anext(stream)
            assert first["featured"] == {
                "title": "Glow Serum",
                "price": "$42.50",
                "left": 3,
                "sold_out": False,
            }
            assert first["claims"] == [] and first["drop"] is None
            hub.publish(_claim(1, "Ada Lovelace"))
            hub.publish(_claim(2, "<script>"))
            hub.publish(_claim(3, "Bob Sold-Out", outcome="sold_out"))  # not a ticker line
            hub.publish(
                ChatSeen(at=T0, platform="twitch", viewer="Ada Lovelace", text="secret chat")
            )
            hub.publish(_stock(0))
            hub.flush()
            second = await anext(stream)
            assert [c["who"] for c in second["claims"]] == ["Ada", "<script>"]
            assert second["featured"]["left"] == 0 and second["featured"]["sold_out"] is True
            assert "secret chat" not in json.dumps(second) and "Lovelace" not in json.dumps(second)
            ends = T0 + timedelta(seconds=90)
            drop = DropSeen(
                code="201", title="Glow Serum", remaining=7, total=20, cap=2, ends_at=ends
            )
            hub.publish(ShowSeen(featured="201", featured_title="Glow Serum", drops=(drop,)))
            hub.flush()
            third = await anext(stream)
            assert third["drop"] == {
                "title": "Glow Serum",
                "remaining": 7,
                "total": 20,
                "ends_at": ends.isoformat(timespec="seconds"),
            }
            assert third["featured"]["left"] == 7  # the drop's units, while it is open
            assert third["now"] == T0.isoformat()  # the page corrects its clock by this
        finally:
            stop.set()  # the show ends: the stream ends, so the web server can stop
        assert [x async for x in stream] == []
    assert hub.subscribers == 0


def test_unlimited_stock_and_nothing_featured() -> None:
    state = OverlayState(HANDLES.get)
    state.apply({"type": "snapshot", "show": {"featured": None, "drops": []}, "stock": {}})
    assert state.to_json(T0)["featured"] is None
    state.apply(
        {
            "type": "batch",
            "show": {"featured": "201", "featured_title": "Glow Serum", "drops": []},
            "stock": {"a": _stock(4, "1").to_json(), "b": _stock(None, "2").to_json()},
        }
    )
    featured = state.to_json(T0)["featured"]
    assert featured["left"] is None and featured["sold_out"] is False
