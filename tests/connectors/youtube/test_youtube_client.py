"""The client is built offline from the bundled discovery document, endpoint overridden."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from connectors.errors import FatalError, TransientError
from connectors.youtube.client import YouTubeApi, build_service, make_credentials
from connectors.youtube.config import (
    GOOGLE_TOKEN_URI,
    SANDBOX_TOKEN,
    YouTubeConfig,
    YouTubeSecrets,
)
from connectors.youtube.connector import YouTubeConnector
from sandbox.youtube.schema import discovery_document

SECRETS = YouTubeSecrets(client_id="id", client_secret="secret", refresh_token="refresh")


def test_bundled_discovery_document_is_the_documented_revision() -> None:
    doc = discovery_document()
    assert doc["rootUrl"] == "https://youtube.googleapis.com/"
    methods = doc["resources"]["liveChatMessages"]["methods"]
    assert "quota cost of 5 units" in methods["list"]["description"]
    assert "quota cost of 20 units" in methods["insert"]["description"]


def test_requests_go_to_the_configured_endpoint() -> None:
    service = build_service("http://127.0.0.1:9")  # built with no network (the socket guard)
    request = service.liveChatMessages().list(
        liveChatId="CHAT", part="id,snippet,authorDetails", maxResults=200, pageToken="T1"
    )
    assert request.uri.startswith("http://127.0.0.1:9/youtube/v3/liveChat/messages?")
    assert "pageToken=T1" in request.uri and "maxResults=200" in request.uri
    broadcasts = service.liveBroadcasts().list(
        part="id,snippet,status", broadcastStatus="active", broadcastType="all"
    )
    assert "broadcastType=all" in broadcasts.uri


def test_credentials_refresh_at_the_configured_token_uri() -> None:
    config = YouTubeConfig.for_emulator("http://127.0.0.1:9")
    creds = make_credentials(config, SECRETS)
    assert creds.token is None and creds.refresh_token == "refresh"
    assert creds.token_uri == "http://127.0.0.1:9/token"
    sandbox = make_credentials(config, YouTubeSecrets())
    assert sandbox.token == SANDBOX_TOKEN and sandbox.refresh_token is None


@pytest.mark.parametrize(
    ("config", "uri"),
    [
        (YouTubeConfig(), GOOGLE_TOKEN_URI),
        (YouTubeConfig(api_endpoint="http://127.0.0.1:5/"), "http://127.0.0.1:5/token"),
        (YouTubeConfig(api_endpoint="http://x", token_uri="http://t/token"), "http://t/token"),
    ],
)
def test_token_uri(config: YouTubeConfig, uri: str) -> None:
    assert config.resolved_token_uri() == uri


def test_secrets_come_from_the_environment_and_never_show() -> None:
    env = {
        "SHOPSTREAM_YOUTUBE_CLIENT_ID": "cid",
        "SHOPSTREAM_YOUTUBE_CLIENT_SECRET": "csecret",
        "SHOPSTREAM_YOUTUBE_REFRESH_TOKEN": "rtoken",
        "SHOPSTREAM_YOUTUBE_ACCESS_TOKEN": "",
    }
    secrets = YouTubeSecrets.from_env(env)
    assert secrets.can_refresh and secrets.access_token is None
    assert "csecret" not in repr(secrets) and "rtoken" not in repr(secrets)
    assert not YouTubeSecrets.from_env({}).can_refresh


@pytest.mark.parametrize(
    "data",
    [
        {"api_endpoint": "ftp://x"},
        {"max_results": 50},
        {"max_chars": 201},
        {"quota": {"daily_budget": 0}},
        {"surprise": True},
    ],
)
def test_bad_settings_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        YouTubeConfig.model_validate(data)


def test_defaults_reach_nothing_real() -> None:
    config = YouTubeConfig()
    assert config.api_endpoint is None and not config.enabled
    with pytest.raises(FatalError):
        YouTubeApi(config, YouTubeSecrets())


async def test_unreachable_endpoint_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = YouTubeConfig.for_emulator(f"http://127.0.0.1:{port}", video_id="v")
    async with YouTubeConnector(config, secrets=YouTubeSecrets()) as conn:
        with pytest.raises(TransientError):
            async for _ in conn.events():
                pass
        assert conn.health.status == "reconnecting"
