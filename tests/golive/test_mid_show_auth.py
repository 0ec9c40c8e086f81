"""A token revoked mid-show stops only that connector (``invalid_auth`` and the fix, in its
status and the log); the other platform keeps selling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.base import Connector
from sandbox.show.demo import run_sandbox_show, sandbox_settings
from sandbox.show.platforms import sandbox_platforms
from sandbox.show.store import SandboxStore
from shopstream.core import Core
from shopstream.runtime.show import ShowRunner
from shopstream.settings import parse_settings
from shopstream.storage.records import Records

WAIT = 20.0


async def _until(condition: Callable[[], bool], what: str | Callable[[], str]) -> None:
    """Wait for ``condition`` (checked as the show runs), at most ``WAIT`` seconds."""
    try:
        async with asyncio.timeout(WAIT):
            while not condition():  # noqa: ASYNC110 - the show's own state is the sync point
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(
            f"timed out waiting for {what if isinstance(what, str) else what()}"
        ) from None


def _claims(records: Records, platform: str) -> list[str]:
    return [c.status for c in records.claims() if c.platform == platform]


async def test_revoked_twitch_token_mid_show_stops_only_twitch(
    tmp_path: Path, sqlite_db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = sandbox_settings(parse_settings({"app": {"data_dir": str(tmp_path)}}))
    seen: dict[str, str] = {}
    async with sandbox_platforms(("facebook", "twitch")) as running:
        twitch_emu = running.emulators["twitch"]

        async def connectors_for(store: SandboxStore, core: Core) -> list[Connector]:
            return running.connectors(settings, core.records)

        async def play(store: SandboxStore, runner: ShowRunner) -> None:
            by_platform = {c.platform: c for c in runner.connectors}
            twitch, facebook = by_platform["twitch"], by_platform["facebook"]
            sessions = twitch_emu.eventsub.sessions
            await _until(
                lambda: any(
                    sub["type"] == "channel.chat.message"
                    for session in sessions.values()
                    for sub in session.subscriptions
                ),
                "twitch subscribed to chat",
            )
            await _until(lambda: str(facebook.health.status) == "ok", "facebook up")
            running.say("twitch", "!buy 101 S Red", author_id="9001", author_name="early")
            records = runner.core.records
            await _until(
                lambda: "held" in _claims(records, "twitch"),
                lambda: f"a twitch claim ({_claims(records, 'twitch')}, {twitch.health.status})",
            )
            twitch_emu.revoke_tokens()  # the host removed the app's access on twitch.tv
            twitch_emu.eventsub.revoke("channel.chat.message")
            # the connector reports invalid_auth as it fails; the supervisor then stops it and
            # writes the fix into the detail: wait for the supervisor's word
            await _until(
                lambda: (
                    str(twitch.health.status) == "invalid_auth"
                    and twitch.health.detail.startswith("re-authorise")
                ),
                "twitch stopped",
            )
            seen["twitch_detail"] = twitch.health.detail
            running.say("facebook", "!buy 101 M Red", author_id="77", author_name="later")
            await _until(lambda: "held" in _claims(records, "facebook"), "a facebook claim")
            seen["facebook_status"] = str(facebook.health.status)

        with caplog.at_level(logging.ERROR, logger="shopstream.runtime.supervisor"):
            outcome = await run_sandbox_show(
                settings, connectors_for, database_url=sqlite_db_url, after_start=play
            )
    status = outcome.result.connector_status
    twitch_name = next(n for n in status if n.startswith("twitch"))
    assert status[twitch_name] == "invalid_auth"
    assert seen["twitch_detail"] == "re-authorise: run `shopstream auth twitch`"
    assert seen["facebook_status"] == "ok"  # still selling after Twitch stopped
    assert outcome.holds.get("active", 0) == 2  # the early Twitch buyer's and the later FB one
    logged = [r.getMessage() for r in caplog.records if "authorisation refused" in r.getMessage()]
    assert len(logged) == 1 and "fix: run `shopstream auth twitch`" in logged[0]
    assert "the other platforms go on" in logged[0]
