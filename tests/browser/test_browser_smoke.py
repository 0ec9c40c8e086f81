"""The browser harness itself: Debian's Chromium renders a page served on 127.0.0.1."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.async_api import BrowserContext

from shopstream.runtime.webserver import serve_asgi


async def test_chromium_renders_and_runs_script(context: BrowserContext) -> None:
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        return "<!doctype html><title>t</title><p id=p>-</p><script>p.textContent='ran'</script>"

    async with serve_asgi(app, host="127.0.0.1", port=0) as url:
        page = await context.new_page()
        await page.goto(url + "/")
        assert await page.text_content("#p") == "ran"
