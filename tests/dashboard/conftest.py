"""A live sandbox show with its dashboard, for the HTTP tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.dashboard.live_show import HOST_TOKEN, OVERLAY_TOKEN, LiveShow, live_show


@pytest_asyncio.fixture
async def show(
    tmp_path: Path, sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LiveShow]:
    monkeypatch.setenv("SHOPSTREAM_DASHBOARD_TOKEN", HOST_TOKEN)
    monkeypatch.setenv("SHOPSTREAM_OVERLAY_TOKEN", OVERLAY_TOKEN)
    async with live_show(tmp_path, sqlite_db_url) as running:
        running.runner.dashboard.refresh = 0.1  # stock and holds read at once, not every 2 s
        yield running
