"""The buyer's landing page in Chromium, on a phone's width: before paying, at checkout, after.

The browser's clock is Playwright's fake one (``page.clock``), so the countdown is checked
by moving time, not by waiting for it.
"""

from __future__ import annotations

import asyncio

from playwright.async_api import BrowserContext, Page

from tests.app.test_landing_page import _shop

PHONE = {"width": 390, "height": 844}


async def _fits(page: Page) -> None:
    """Nothing is wider than the phone's screen: no sideways scrolling."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width} px wide"
    wide = await page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.tagName + '#' + e.id)"""
    )
    assert wide == []


async def test_a_buyer_opens_the_link_pays_and_reopens_it_on_a_phone(
    context: BrowserContext, sqlite_db_url: str
) -> None:
    async with _shop(sqlite_db_url, classic_tee=4) as shop:
        link = shop.link("!buy 101 M navy x2", "v1")
        page = await context.new_page()
        await page.set_viewport_size(PHONE)
        await page.clock.install()
        await page.goto(link)
        assert await page.title() == "Held for you"
        assert await page.text_content("#total") == "$48.00"
        assert await page.text_content("#left") == "15:00"
        await page.clock.run_for(61_000)
        assert await page.text_content("#left") == "13:59"
        await _fits(page)

        await page.click("#checkout")  # to the emulated checkout (the cart permalink)
        await page.wait_for_url("**/cart/**")
        before = shop.core.receiver.applied
        await page.click("text=Pay now")
        await page.wait_for_load_state()
        assert await asyncio.to_thread(shop.core.receiver.wait_applied, before + 2, 10.0)

        await page.goto(link)  # the buyer opens the link again
        assert await page.title() == "Thank you for your order"
        (order,) = shop.core.ledger.orders()
        assert f"Order {order.name} is paid" in (await page.text_content("#order") or "")
        assert await page.locator("#checkout").count() == 0
        await _fits(page)


async def test_the_countdown_ends_the_checkout_button(
    context: BrowserContext, sqlite_db_url: str
) -> None:
    async with _shop(sqlite_db_url, glow_serum=3) as shop:
        link = shop.link("sold 201", "v1")
        page = await context.new_page()
        await page.set_viewport_size(PHONE)
        await page.clock.install()
        await page.goto(link)
        await page.clock.run_for(15 * 60 * 1000)
        assert await page.text_content("#left") == "0:00"
        button = page.locator("#checkout")
        assert await button.get_attribute("aria-disabled") == "true"
        assert await button.get_attribute("href") is None
        assert await page.locator("#ended-note").is_visible()

        shop.clock.advance(15 * 60)  # on the server too: reloading shows the waitlist command
        shop.core.holds.expire_due()
        await page.reload()
        assert await page.title() == "This hold has expired"
        assert await page.text_content("#waitlist code") == "!waitlist 201"
        await _fits(page)
