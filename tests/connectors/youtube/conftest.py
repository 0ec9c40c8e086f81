"""Fixtures for the YouTube tests: a fake clock, the emulator and connectors pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.youtube.config import QuotaSettings, YouTubeConfig, YouTubeSecrets
from connectors.youtube.connector import YouTubeConnector
from connectors.youtube.cursor import MemoryCursorStore
from sandbox.youtube import YouTubeEmulator
from tests.connectors.youtube.youtube_helpers import ConnectorFactory
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A clock at 12:00 PST, far from the quota reset."""
    return FakeClock(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[YouTubeEmulator]:
    """A running emulator on the fake clock."""
    async with YouTubeEmulator(clock=clock, polling_interval_ms=2000) as emulator:
        yield emulator


@pytest.fixture
def make_connector(emu: YouTubeEmulator, clock: FakeClock) -> ConnectorFactory:
    """Build connectors for ``emu`` (keyword arguments change the config or the quota)."""

    def factory(
        *,
        store: MemoryCursorStore | None = None,
        quota: dict[str, Any] | None = None,
        **config: Any,
    ) -> YouTubeConnector:
        client_id, client_secret, refresh_token = emu.oauth_client
        settings = YouTubeConfig.for_emulator(
            emu.base_url,
            quota=QuotaSettings(**{"min_interval_seconds": 0.0, **(quota or {})}),
            **({"video_id": emu.video_id} | config),
        )
        secrets = YouTubeSecrets(
            client_id=client_id, client_secret=client_secret, refresh_token=refresh_token
        )
        return YouTubeConnector(
            settings,
            secrets=secrets,
            cursor_store=store if store is not None else MemoryCursorStore(),
            clock=clock,
            sleep=clock.sleep,
        )

    return factory
