"""``shopstream check`` in live mode against the four emulators: every credential validated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sandbox.facebook.emulator import FacebookEmulator
from sandbox.shopify.emulator import SANDBOX_TOKEN, ShopifyEmulator
from sandbox.twitch.device import narrow_scopes
from sandbox.twitch.emulator import TwitchEmulator
from sandbox.youtube.emulator import YouTubeEmulator
from shopstream.cli import app


def _settings(
    tmp_path: Path,
    shop: ShopifyEmulator,
    yt: YouTubeEmulator,
    tw: TwitchEmulator,
    fb: FacebookEmulator,
) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        f"""
[app]
mode = "live"
data_dir = "{tmp_path / "data"}"
[shop]
admin_base_url = "{shop.base_url}"
[connectors.youtube]
enabled = true
api_endpoint = "{yt.base_url}"
token_uri = "{yt.base_url.rstrip("/")}/token"
[connectors.twitch]
enabled = true
channel = "shopstream_demo"
oauth_url = "{tw.oauth_url}"
helix_url = "{tw.helix_url}"
eventsub_url = "{tw.eventsub_url}"
[connectors.facebook]
enabled = true
graph_url = "{fb.graph_url}"
streaming_url = "{fb.streaming_url}"
""",
        encoding="utf-8",
    )
    return path


def _env(yt: YouTubeEmulator, tw: TwitchEmulator, fb: FacebookEmulator) -> dict[str, str]:
    client_id, secret, refresh = yt.oauth_client
    return {
        "SHOPSTREAM_SHOPIFY_TOKEN": SANDBOX_TOKEN,
        "SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET": "whsec-live-check",
        "SHOPSTREAM_LINK_SIGNING_KEY": "k" * 32,
        "SHOPSTREAM_YOUTUBE_CLIENT_ID": client_id,
        "SHOPSTREAM_YOUTUBE_CLIENT_SECRET": secret,
        "SHOPSTREAM_YOUTUBE_REFRESH_TOKEN": refresh,
        "SHOPSTREAM_TWITCH_TOKEN": f"oauth:{tw.token}\n",  # as pasted from an IRC tool
        "SHOPSTREAM_TWITCH_CLIENT_ID": tw.client_id,
        "SHOPSTREAM_FACEBOOK_PAGE_TOKEN": fb.page_token,
        "SHOPSTREAM_FACEBOOK_APP_ID": fb.oauth.app_id,
        "SHOPSTREAM_FACEBOOK_APP_SECRET": fb.oauth.app_secret,
    }


async def _check(path: Path, env: dict[str, str]) -> Result:
    return await asyncio.to_thread(
        CliRunner().invoke, app, ["check", "--settings", str(path)], env=env
    )


async def test_live_check_validates_every_platform_then_names_the_broken_one(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    with ShopifyEmulator() as shop:
        async with (
            YouTubeEmulator() as yt,
            TwitchEmulator(tls=False) as tw,
            FacebookEmulator() as fb,
        ):
            yt.state.auth.accept_any_token = False  # only tokens the token endpoint issued
            path = _settings(tmp_path, shop, yt, tw, fb)
            env = _env(yt, tw, fb)
            good = await _check(path, env)
            narrow_scopes(tw.world, tw.token, ["user:read:chat"])
            fb.oauth.revoke(fb.page_token)
            bad = await _check(path, env)
    assert good.exit_code == 0, good.output
    lines = good.output.splitlines()
    for prefix in ("store: ok", "youtube: ok", "twitch: ok", "facebook: ok"):
        assert any(line.startswith(prefix) for line in lines), (prefix, good.output)
    assert any("bot shopstream_bot, channel shopstream_demo" in line for line in lines)
    assert any("quota_left=" in line for line in lines), good.output  # YouTube's quota
    assert bad.exit_code == 1, bad.output
    out = bad.output
    assert "twitch: invalid_auth (token of shopstream_bot lacks user:write:chat)" in out
    assert "twitch:   fix: run `shopstream auth twitch`" in out
    assert "facebook: invalid_auth (Error validating access token" in out
    assert "facebook:   fix: run `shopstream auth facebook`" in out
    assert tw.token not in out and fb.page_token not in out


async def test_live_run_with_a_refused_store_token_stops_before_starting(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    with ShopifyEmulator() as shop:
        async with (
            YouTubeEmulator() as yt,
            TwitchEmulator(tls=False) as tw,
            FacebookEmulator() as fb,
        ):
            path = _settings(tmp_path, shop, yt, tw, fb)
            env = {**_env(yt, tw, fb), "SHOPSTREAM_SHOPIFY_TOKEN": "shpat_revoked"}
            result = await asyncio.to_thread(
                CliRunner().invoke, app, ["run", "--settings", str(path)], env=env
            )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert "store: invalid_auth (demo-shop.myshopify.com refused the Admin token)" in result.output
    assert "store:   fix: run `shopstream auth shopify`" in result.output
    assert not (tmp_path / "data" / "shopstream.db").exists()
