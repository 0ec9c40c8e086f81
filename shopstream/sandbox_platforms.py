"""The sandbox platforms: YouTube, Facebook and Twitch emulators, and real connectors for them.

The connectors are the production classes, configured from settings with only the base
URLs and credentials swapped for the emulators'. Only ``demo``, ``rehearse``, ``run`` in
sandbox mode, tests and benchmarks use this module.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from connectors.base import Connector
from connectors.facebook import FacebookConnector, FacebookCredentials
from connectors.twitch.config import TwitchSecrets
from connectors.twitch.connector import TwitchConnector
from connectors.youtube.config import YouTubeSecrets
from connectors.youtube.connector import YouTubeConnector
from shopstream.core import replace_model
from shopstream.settings import Settings
from shopstream.storage.records import Records

PLATFORMS = ("youtube", "facebook", "twitch")


@dataclass(slots=True)
class SandboxPlatforms:
    """Running platform emulators, keyed by platform name."""

    emulators: dict[str, Any] = field(default_factory=dict)

    def say(self, platform: str, text: str, *, author_id: str, author_name: str) -> str:
        """A viewer types ``text`` on ``platform``; return the platform's message id."""
        emu = self.emulators[platform]
        if platform == "youtube":
            return str(emu.inject_message(text, author_name=author_name, author_id=author_id))
        return str(emu.inject_message(text, author_id=author_id, author_name=author_name))

    def host_says(self, text: str) -> str:
        """The broadcaster types on Twitch (moderator commands in the demo)."""
        emu = self.emulators["twitch"]
        host = emu.world.broadcaster
        return str(emu.inject_message(text, author_id=host.id, author_name=host.login))

    def endpoints(self) -> dict[str, dict[str, Any]]:
        """Where each running emulator listens and the credentials it accepts (plain data)."""
        return emulator_endpoints(self.emulators)

    def connectors(
        self, settings: Settings, records: Records, *, planned_minutes: float | None = None
    ) -> list[Connector]:
        """Production connectors pointed at the running emulators."""
        return connectors_for(self.endpoints(), settings, records, planned_minutes=planned_minutes)


def emulator_endpoints(emulators: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The facts a connector needs about each emulator, as picklable data.

    Benchmarks run the emulators in another process and build the connectors from these.
    """
    facts: dict[str, dict[str, Any]] = {}
    if "youtube" in emulators:
        emu = emulators["youtube"]
        facts["youtube"] = {
            "base_url": emu.base_url,
            "stream_target": emu.stream_target,
            "video_id": emu.video_id,
            "oauth_client": tuple(emu.oauth_client),
        }
    if "facebook" in emulators:
        emu = emulators["facebook"]
        facts["facebook"] = {
            "graph_url": emu.graph_url,
            "streaming_url": emu.streaming_url,
            "page_token": emu.page_token,
        }
    if "twitch" in emulators:
        emu = emulators["twitch"]
        facts["twitch"] = {
            "channel": emu.world.broadcaster.login,
            "eventsub_url": emu.eventsub_url,
            "helix_url": emu.helix_url,
            "oauth_url": emu.oauth_url,
            "irc_tls_port": emu.irc_tls_port,
            "ca_file": str(emu.ca_file),
            "token": emu.token,
            "client_id": emu.client_id,
            "refresh_token": emu.refresh_token,
            "client_secret": emu.client_secret,
        }
    return facts


def connectors_for(
    endpoints: dict[str, dict[str, Any]],
    settings: Settings,
    records: Records,
    *,
    planned_minutes: float | None = None,
) -> list[Connector]:
    """Production connectors pointed at emulators described by :func:`emulator_endpoints`."""
    made: list[Connector] = []
    if "youtube" in endpoints:
        yt = endpoints["youtube"]
        cfg = settings.connectors.youtube
        quota = replace_model(
            cfg.quota, planned_show_minutes=planned_minutes or settings.show.planned_minutes
        )
        yt_cfg = replace_model(
            cfg,
            enabled=True,
            api_endpoint=yt["base_url"],
            token_uri=f"{yt['base_url']}/token",
            video_id=yt["video_id"],
            quota=quota,
            stream_target=yt.get("stream_target") or None,
            stream_insecure=bool(yt.get("stream_target")),  # the emulator, on 127.0.0.1
        )
        client_id, client_secret, refresh_token = yt["oauth_client"]
        made.append(
            YouTubeConnector(
                yt_cfg,
                secrets=YouTubeSecrets(
                    client_id=client_id, client_secret=client_secret, refresh_token=refresh_token
                ),
                cursor_store=records,
            )
        )
    if "facebook" in endpoints:
        fb = endpoints["facebook"]
        fb_cfg = replace_model(
            settings.connectors.facebook,
            enabled=True,
            graph_url=fb["graph_url"],
            streaming_url=fb["streaming_url"],
        )
        made.append(
            FacebookConnector(
                fb_cfg, credentials=FacebookCredentials(page_token=SecretStr(fb["page_token"]))
            )
        )
    if "twitch" in endpoints:
        tw = endpoints["twitch"]
        tw_cfg = replace_model(
            settings.connectors.twitch,
            enabled=True,
            channel=tw["channel"],
            eventsub_url=tw["eventsub_url"],
            helix_url=tw["helix_url"],
            oauth_url=tw["oauth_url"],
            irc_host="127.0.0.1",
            irc_port=tw["irc_tls_port"],
            irc_tls=True,
            irc_ca_file=tw["ca_file"],
        )
        made.append(
            TwitchConnector(
                tw_cfg,
                secrets=TwitchSecrets(
                    token=tw["token"],
                    client_id=tw["client_id"],
                    refresh_token=tw["refresh_token"],
                    client_secret=tw["client_secret"],
                ),
            )
        )
    return made


@contextlib.asynccontextmanager
async def sandbox_platforms(
    platforms: Sequence[str] = PLATFORMS, *, youtube_poll_ms: int = 500
) -> AsyncIterator[SandboxPlatforms]:
    """Start the emulators of ``platforms`` on 127.0.0.1 (ephemeral ports)."""
    from sandbox.facebook import FacebookEmulator
    from sandbox.twitch import TwitchEmulator
    from sandbox.youtube import YouTubeEmulator

    running = SandboxPlatforms()
    async with contextlib.AsyncExitStack() as stack:
        if "youtube" in platforms:
            running.emulators["youtube"] = await stack.enter_async_context(
                YouTubeEmulator(polling_interval_ms=youtube_poll_ms, backlog=0)
            )
        if "facebook" in platforms:
            running.emulators["facebook"] = await stack.enter_async_context(FacebookEmulator())
        if "twitch" in platforms:
            twitch = await stack.enter_async_context(TwitchEmulator())
            twitch.set_moderator(True)  # hosts mod their shop bot: 100 messages / 30 s
            running.emulators["twitch"] = twitch
        yield running
