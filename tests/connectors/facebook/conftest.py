"""Fixtures: a running Facebook emulator and connectors pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.backoff import Backoff
from connectors.facebook import FacebookConfig, FacebookConnector, FacebookCredentials
from sandbox.facebook import FacebookEmulator


@pytest.fixture
async def emu() -> AsyncIterator[FacebookEmulator]:
    """A running emulator (one LIVE video, keepalives every 0.2 s)."""
    async with FacebookEmulator(keepalive_seconds=0.2) as emulator:
        yield emulator


@pytest.fixture
def make_connector(emu: FacebookEmulator) -> Callable[..., FacebookConnector]:
    """Build a connector for the emulator; keyword arguments override config fields."""

    def build(
        *, token: str | None = None, page_id: str | None = None, **fields: Any
    ) -> FacebookConnector:
        settings: dict[str, Any] = {
            "enabled": True,
            "graph_url": emu.graph_url,
            "streaming_url": emu.streaming_url,
            "backfill_interval_seconds": 0.3,
        }
        settings.update(fields)
        return FacebookConnector(
            FacebookConfig(**settings),
            credentials=FacebookCredentials(
                page_token=SecretStr(token or emu.page_token), page_id=page_id
            ),
            backoff=Backoff(base=0.01, cap=0.05, jitter=0.0),
        )

    return build
