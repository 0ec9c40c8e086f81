"""The host's dashboard in Chromium during a sandbox show: a claim typed in chat appears in the
feed, each control button reaches the emulated chat, and access is refused without the secret
or with a wrong CSRF token."""

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
        yield running


async def dashboard(context: BrowserContext, show: LiveShow) -> Page:
    page = await context.new_page()
    await page.goto(show.runner.login_url())  # the one-time link `shopstream run` prints
    await expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
    return page


async def said_after(show: LiveShow, before: int) -> str:
    """The first thing the bot posted in the chat after ``before`` messages."""
    said = await show.until(lambda: len(show.bot_said()) > before and show.bot_said())
    return str(said[before])


async def test_a_claim_appears_and_every_control_reaches_the_chat(
    context: BrowserContext, show: LiveShow
) -> None:
    page = await dashboard(context, show)
    show.viewer_says("!buy 201", name="<script>window.pwned=1</script>")
    row = page.locator("#feed tr").first
    await expect(row).to_contain_text("Glow Serum", timeout=WAIT_MS)
    await expect(row.locator(".viewer")).to_have_text("<script>window.pwned=1</script>")
    await expect(row.locator(".outcome")).to_have_text("held")
    assert await page.evaluate("window.pwned") is None  # shown as text, never run
    await expect(page.locator("#chat li").first).to_contain_text("understood as buy")
    await page.select_option("#filter-platform", "youtube")
    await expect(page.locator("#feed tr")).to_have_count(0)
    await page.select_option("#filter-platform", "twitch")
    await page.select_option("#filter-outcome", "held")
    await expect(page.locator("#feed tr")).to_have_count(1)
    said = len(show.bot_said())  # the claim's reply

    steps = [
        ("#btn-pause", "paused"),
        ("#btn-resume", "open again"),
        ("#btn-next", "Classic Tee"),
    ]
    for button, words in steps:
        await page.click(button)
        text = await said_after(show, said)
        said += 1
        assert words.lower() in text.lower(), (button, text)
    await page.select_option("#feature-code", "301")
    await page.click("#btn-feature")
    assert "Canvas Tote" in await said_after(show, said)
    said += 1
    await page.select_option("#drop-code", "201")
    await page.fill("#drop-qty", "3")
    await page.fill("#drop-cap", "1")
    await page.fill("#drop-seconds", "120")
    await page.click("#btn-drop")
    assert "Glow Serum" in await said_after(show, said)
    said += 1
    await expect(page.locator("#drops")).to_contain_text("Drop 201: 3/3 left", timeout=WAIT_MS)
    await expect(page.locator("#drops")).to_contain_text("· 1:5")  # the countdown runs
    await page.select_option("#close-code", "201")
    await page.click("#btn-close-drop")
    await said_after(show, said)
    said += 1
    await expect(page.locator("#drops")).to_be_empty(timeout=WAIT_MS)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("#btn-close")
    await said_after(show, said)
    await expect(page.locator("#closed")).to_be_visible(timeout=WAIT_MS)
    kinds = [e.actor for e in show.core.records.audit_entries("mod_command")]
    assert kinds == ["dashboard"] * 7


async def test_refused_without_the_secret_with_a_bad_token_or_bad_values(
    context: BrowserContext, show: LiveShow
) -> None:
    stranger = await context.new_page()
    await stranger.goto(show.base_url + "/")
    await expect(stranger.locator("h1")).to_contain_text("shopstream")
    await expect(stranger.locator("#controls-card")).to_have_count(0)
    await stranger.fill('input[name="token"]', "a guess")
    await stranger.click('button[type="submit"]')
    await expect(stranger.locator(".flash.bad")).to_contain_text("not the dashboard's secret")

    page = await dashboard(context, show)
    await page.evaluate("document.querySelector('meta[name=csrf]').content = 'forged'")
    await page.click("#btn-pause")
    await expect(page.locator("#flash")).to_contain_text("not valid", timeout=WAIT_MS)
    assert not show.core.control.state.paused
    # the refusal handed out a fresh token: the next honest action works
    await page.select_option("#drop-code", "201")
    await page.fill("#drop-qty", "26")
    await page.click("#btn-drop")
    await expect(page.locator("#flash")).to_contain_text("Only 25 of 201", timeout=WAIT_MS)
    await page.fill("#drop-qty", "3")
    await page.fill("#drop-cap", "5")
    await page.click("#btn-drop")
    await expect(page.locator("#flash")).to_contain_text("more than the drop's 3 units")
    assert show.core.control.state.drops == () and show.bot_said() == []
    refused = [e.kind for e in show.core.records.audit_entries() if "refused" in e.kind]
    assert refused == [
        "dashboard_login_refused",
        "dashboard_action_refused",
        "dashboard_refused",
        "dashboard_refused",
    ]
