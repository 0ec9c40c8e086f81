"""The web app answers status and the dashboard over a real socket on 127.0.0.1."""

from __future__ import annotations

import httpx

from shopstream.runtime.webserver import serve_asgi
from shopstream.web import create_web_app


async def test_status_and_dashboard_over_http() -> None:
    statuses = [{"name": "twitch:shop", "status": "rate_limited", "detail": "<retry in 3s>"}]
    app = create_web_app(status=lambda: statuses, counts=lambda: {"holds": 3})
    async with serve_asgi(app) as base, httpx.AsyncClient(base_url=base) as client:
        status = (await client.get("/status")).json()
        page = (await client.get("/")).text
        health = await client.get("/healthz")
    assert status == {"connectors": statuses, "counts": {"holds": 3}}
    assert "rate_limited" in page and "&lt;retry in 3s&gt;" in page  # escaped
    assert health.status_code == 200
