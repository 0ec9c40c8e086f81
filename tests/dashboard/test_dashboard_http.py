"""The dashboard over HTTP during a sandbox show: access, CSRF, replays, escaping, controls."""

from __future__ import annotations

import re
import time

import httpx

from tests.dashboard.live_show import HOST_TOKEN, LiveShow


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf" content="([^"]+)">', page)
    assert found, page[:500]
    return found.group(1)


async def signed_in(client: httpx.AsyncClient) -> str:
    r = await client.post("/login", data={"token": HOST_TOKEN})
    assert r.status_code == 303
    page = await client.get("/")
    assert page.status_code == 200 and "Show control" in page.text
    return csrf_of(page.text)


async def test_the_smoke(show: LiveShow) -> None:
    t = time.monotonic()
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        csrf = await signed_in(client)
        r = await client.post("/dashboard/control/pause", data={"csrf": csrf})
        assert r.status_code == 200, r.text
        assert r.json()["ok"] is True
    await show.until(lambda: any("paus" in t.lower() for t in show.bot_said()))
    print(time.monotonic() - t, show.bot_said())
