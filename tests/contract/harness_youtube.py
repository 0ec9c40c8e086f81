"""The YouTube contract harness: the in-process emulator and a connector pointed at it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from connectors.youtube.config import QuotaSettings, YouTubeConfig, YouTubeSecrets
from connectors.youtube.connector import YouTubeConnector
from connectors.youtube.cursor import MemoryCursorStore
from sandbox.youtube import YouTubeEmulator
from tests.contract.harness import FailureKind, Phase, SentRecord

_REASONS = {"rate_limit": "rateLimitExceeded", "server_error": "backendError"}


class YouTubeHarness:
    """Contract harness; a polling transport, so a "reconnect" is a dropped poll (503)."""

    platform = "youtube"

    def __init__(self) -> None:
        # A large budget and a short interval keep the suite fast; pacing has its own tests.
        self.emulator = YouTubeEmulator(polling_interval_ms=50, daily_quota=1_000_000)
        self.store = MemoryCursorStore()

    async def __aenter__(self) -> Self:
        await self.emulator.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.emulator.__aexit__(exc_type, exc, tb)

    def connector(self) -> YouTubeConnector:
        emu = self.emulator
        client_id, client_secret, refresh_token = emu.oauth_client
        config = YouTubeConfig.for_emulator(
            emu.base_url,
            video_id=emu.video_id,
            quota=QuotaSettings(daily_budget=1_000_000, min_interval_seconds=0.05),
        )
        secrets = YouTubeSecrets(
            client_id=client_id, client_secret=client_secret, refresh_token=refresh_token
        )
        return YouTubeConnector(config, secrets=secrets, cursor_store=self.store)

    async def inject_message(self, *, text: str, author_id: str, author_name: str) -> str:
        return self.emulator.inject_message(text, author_name=author_name, author_id=author_id)

    async def server_reconnect(self) -> None:
        # YouTube chat is polled over HTTP: the closest event is a dropped poll (503), after
        # which the connector must resume from its page token without duplicates.
        self.emulator.fail_next("list", "backendError")

    def fail_next(self, kind: FailureKind, *, on: Phase) -> bool:
        route = "list" if on == "read" else "insert"
        if kind == "auth":
            self.emulator.expire_access_tokens()
            self.emulator.revoke_refresh_token()
            return True
        self.emulator.fail_next(route, _REASONS[kind])
        return True

    async def sent(self) -> list[SentRecord]:
        return [SentRecord(text=text) for text in self.emulator.sent]

    async def wait_disconnected(self) -> bool:
        return True  # polling: no connection outlives a request


def HARNESS() -> YouTubeHarness:
    """Return a fresh YouTube harness."""
    return YouTubeHarness()
