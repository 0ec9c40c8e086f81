"""Facebook's part of the contract suite: the Graph emulator and a connector pointed at it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from pydantic import SecretStr

from connectors.backoff import Backoff
from connectors.base import Connector
from connectors.facebook import FacebookConfig, FacebookConnector, FacebookCredentials
from sandbox.facebook import FacebookEmulator
from tests.contract.harness import FailureKind, Phase, SentRecord

# read failures hit the comment routes (stream and backfill), never the open-time lookups
_READ_ROUTE = "live_comments"
_SEND_ROUTE = "reply"
# the routes a connector reads once it is open: comment stream, backfill, the video's status
_AFTER_OPEN_READS = ("live_comments", "comments", "object")
_REVOKED_CALLS = 1_000
_FAILURES: dict[FailureKind, dict[str, int | bool]] = {
    "rate_limit": {"code": 4, "status": 400},
    "server_error": {"code": 2, "status": 503, "is_transient": True},
    "auth": {"code": 190, "status": 400, "subcode": 463},
}


class FacebookHarness:
    """A running :class:`FacebookEmulator` plus connectors configured for it."""

    platform = "facebook"

    def __init__(self) -> None:
        self.emu = FacebookEmulator()

    async def __aenter__(self) -> Self:
        await self.emu.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.emu.__aexit__(exc_type, exc, tb)

    def connector(self) -> Connector:
        config = FacebookConfig(
            enabled=True,
            graph_url=self.emu.graph_url,
            streaming_url=self.emu.streaming_url,
            backfill_interval_seconds=0.5,
        )
        credentials = FacebookCredentials(page_token=SecretStr(self.emu.page_token))
        return FacebookConnector(
            config,
            credentials=credentials,
            backoff=Backoff(base=0.01, cap=0.05, jitter=0.0),
        )

    async def inject_message(self, *, text: str, author_id: str, author_name: str) -> str:
        return self.emu.inject_message(text, author_id=author_id, author_name=author_name)

    async def server_reconnect(self) -> None:
        self.emu.disconnect_streams(clean=True)

    def fail_next(self, kind: FailureKind, *, on: Phase) -> bool:
        spec = dict(_FAILURES[kind])
        routes = [_READ_ROUTE if on == "read" else _SEND_ROUTE]
        times = 1
        if kind == "auth":
            # a revoked token stays refused: every later read (and the status check) fails too
            routes += [r for r in _AFTER_OPEN_READS if r not in routes]
            times = _REVOKED_CALLS
        for route in routes:
            self.emu.fail_next(
                route,
                code=int(spec["code"]),
                status=int(spec["status"]),
                subcode=int(spec["subcode"]) if "subcode" in spec else None,
                is_transient=bool(spec["is_transient"]) if "is_transient" in spec else None,
                times=times,
            )
        return True

    async def sent(self) -> list[SentRecord]:
        return [SentRecord(text=r.text, reply_to_id=r.target_id) for r in self.emu.replies]

    async def wait_disconnected(self) -> bool:
        await self.emu.hub.wait_streams(0)
        return True


HARNESS = FacebookHarness
