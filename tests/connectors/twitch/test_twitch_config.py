"""Settings defaults and secrets from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.twitch.config import TwitchConfig, TwitchSecrets


def test_defaults_need_no_credentials_and_point_nowhere_real() -> None:
    cfg = TwitchConfig()
    assert cfg.transport == "eventsub"
    assert cfg.eventsub_url is None and cfg.helix_url is None and cfg.oauth_url is None
    assert (cfg.irc_host, cfg.irc_port, cfg.irc_tls) == ("irc.chat.twitch.tv", 6697, True)
    assert all(f.description for f in TwitchConfig.model_fields.values())


def test_settings_are_strict() -> None:
    with pytest.raises(ValidationError):
        TwitchConfig(token="oops")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        TwitchConfig(transport="carrier-pigeon")  # type: ignore[arg-type]


def test_secrets_from_env_are_never_shown() -> None:
    env = {
        "SHOPSTREAM_TWITCH_TOKEN": "oauth:abc123",
        "SHOPSTREAM_TWITCH_CLIENT_ID": "cid",
        "SHOPSTREAM_TWITCH_REFRESH_TOKEN": "r-456",
        "SHOPSTREAM_TWITCH_CLIENT_SECRET": "s-789",
    }
    secrets = TwitchSecrets.from_env(env)
    assert secrets.token == "abc123" and secrets.client_id == "cid"
    assert secrets.refresh_token == "r-456" and secrets.client_secret == "s-789"
    shown = repr(secrets)
    assert not any(v in shown for v in ("abc123", "cid", "r-456", "s-789"))


def test_missing_optional_secrets_are_none() -> None:
    secrets = TwitchSecrets.from_env({})
    assert secrets.token == "" and secrets.refresh_token is None and secrets.client_secret is None
