"""Real-browser tests: Debian's headless Chromium driven by Playwright (no browser download).

``.ci/run`` installs the ``chromium`` package; Playwright is pointed at its executable
(``SHOPSTREAM_CHROMIUM`` overrides the path). A failing test saves a screenshot of every page
it opened to ``SHOPSTREAM_SCREENSHOTS`` (default ``.screenshots/`` in the checkout), named after
the test.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, async_playwright

CHROMIUM = os.environ.get("SHOPSTREAM_CHROMIUM", "/usr/bin/chromium")
# The flags a closed network needs: without the background-networking ones Chromium keeps
# trying Google's hosts (and gets refused) at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("SHOPSTREAM_SCREENSHOTS", ".screenshots"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed  # type: ignore[attr-defined]
    return report


_FAILED = pytest.StashKey[bool]()


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    """A fresh headless Chromium (its own empty profile), closed after the test."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


@pytest_asyncio.fixture
async def context(
    browser: Browser, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserContext]:
    """A browser context (its own cookies); on failure every open page is saved as a PNG."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield ctx
    finally:
        if request.node.stash.get(_FAILED, False):
            os.makedirs(SCREENSHOTS, exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            for n, page in enumerate(ctx.pages):
                # a crashed page has nothing to show; the test's failure stands either way
                with contextlib.suppress(Exception):
                    shot = str(SCREENSHOTS / f"{stem}-{n}.png")
                    await page.screenshot(path=shot, full_page=True)
        await ctx.close()
