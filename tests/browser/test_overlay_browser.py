"""The OBS overlay in Chromium during a sandbox show: a claim a viewer types appears in the
ticker (a viewer named ``<script>`` as text), the featured product and its drop show at
1920×1080 and 1280×720 on a transparent page, and the overlay is refused without its token
or with a wrong one (and its token opens nothing else)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Page, expect

from tests.dashboard.live_show import HOST_TOKEN, OVERLAY_TOKEN, LiveShow, live_show

WAIT_MS = 4000


@pytest_asyncio.fixture
async def show(
    tmp_path: Path, sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LiveShow]:
    monkeypatch.setenv("SHOPSTREAM_DASHBOARD_TOKEN", HOST_TOKEN)
    monkeypatch.setenv("SHOPSTREAM_OVERLAY_TOKEN", OVERLAY_TOKEN)
    async with live_show(tmp_path, sqlite_db_url) as running:
        running.runner.dashboard.refresh = 0.1  # stock read at once, not every 2 s
        yield running


async def _inside(page: Page, width: int, height: int) -> None:
    """Every shown panel lies inside the browser source's frame."""
    outside = await page.evaluate(
        """([w, h]) => [...document.querySelectorAll('.panel')]
            .filter(e => !e.hidden)
            .map(e => [e.id, e.getBoundingClientRect()])
            .filter(([id, r]) => r.left < 0 || r.top < 0 || r.right > w || r.bottom > h)
            .map(([id]) => id)""",
        [width, height],
    )
    assert outside == []


async def test_a_claim_typed_in_chat_appears_in_the_overlay(
    context: BrowserContext, show: LiveShow
) -> None:
    page = await context.new_page()
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await page.goto(show.base_url + show.runner.access.overlay_path())
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == (
        "rgba(0, 0, 0, 0)"
    )
    result = await show.runner.dashboard.control("drop", {"code": "201", "qty": "5", "cap": "1"})
    assert result.ok, result.message
    await expect(page.locator("#title")).to_have_text("Glow Serum", timeout=WAIT_MS)
    await expect(page.locator("#drop")).to_be_visible()
    await expect(page.locator("#dropleft")).to_have_text("5 of 5 left")

    show.viewer_says("!buy 201", name="<script>", uid="1")
    show.viewer_says("!buy 201", name="Ada Lovelace", uid="2")
    ticker = page.locator("#claims li")
    await expect(ticker).to_have_count(2, timeout=WAIT_MS)
    await expect(ticker.first).to_have_text("Ada claimed Glow Serum")
    await expect(ticker.nth(1).locator(".who")).to_have_text("<script>")  # text, not markup
    assert await page.locator("script").count() == 1  # the page's own, nothing injected
    await expect(page.locator("#dropleft")).to_have_text("3 of 5 left", timeout=WAIT_MS)
    assert "Lovelace" not in (await page.text_content("body") or "")  # first names only
    await _inside(page, 1920, 1080)
    await page.set_viewport_size({"width": 1280, "height": 720})
    await _inside(page, 1280, 720)
    await page.close()  # its event stream ends with it


async def test_the_overlay_is_refused_without_its_token_and_opens_nothing_else(
    context: BrowserContext, show: LiveShow
) -> None:
    page = await context.new_page()
    for path in ("/overlay", "/overlay?token=wrong", f"/overlay?token={HOST_TOKEN}"):
        response = await page.goto(show.base_url + path)
        assert response is not None and response.status == 403, path
        await expect(page.locator("body")).to_contain_text("needs its token")
    # the overlay's token signs nobody in: the dashboard still asks for the host's secret
    await page.goto(f"{show.base_url}/?token={OVERLAY_TOKEN}")
    await expect(page.locator("input[name=token]")).to_be_visible()
    state = await page.goto(f"{show.base_url}/dashboard/state?token={OVERLAY_TOKEN}")
    assert state is not None and state.status == 401
    assert await context.cookies() == []
