"""``shopstream auth``: values from the environment or hidden prompts, checked, stored 0600."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sandbox.facebook.emulator import FacebookEmulator
from sandbox.shopify.emulator import SANDBOX_TOKEN, ShopifyEmulator
from shopstream.cli import app
from shopstream.secrets import read_stored, store_path


def _settings(tmp_path: Path, body: str = "") -> Path:
    path = tmp_path / "settings.toml"
    text = f'[app]\nmode = "live"\ndata_dir = "{tmp_path / "data"}"\n{body}'
    path.write_text(text, encoding="utf-8")
    return path


def test_auth_links_makes_one_key_and_never_replaces_it(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    path = _settings(tmp_path)
    first = CliRunner().invoke(app, ["auth", "links", "--settings", str(path)])
    key = read_stored(tmp_path / "data")["SHOPSTREAM_LINK_SIGNING_KEY"]
    again = CliRunner().invoke(app, ["auth", "links", "--settings", str(path)])
    assert first.exit_code == 0 and again.exit_code == 0
    assert len(key) >= 32 and key not in first.output
    assert "set already" in again.output
    assert read_stored(tmp_path / "data")["SHOPSTREAM_LINK_SIGNING_KEY"] == key
    assert stat.S_IMODE(os.stat(store_path(tmp_path / "data")).st_mode) == 0o600


def test_auth_shopify_checks_a_pasted_admin_token_and_stores_it(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    with ShopifyEmulator() as emu:
        path = _settings(tmp_path, f'[shop]\nadmin_base_url = "{emu.base_url}"\n')
        pasted = f"\n  {SANDBOX_TOKEN}  \nwhsec-0123456789\n"  # no client id; token; secret
        result = CliRunner().invoke(app, ["auth", "shopify", "--settings", str(path)], input=pasted)
    assert result.exit_code == 0, result.output
    assert "store: ok (demo-shop.myshopify.com" in result.output
    stored = read_stored(tmp_path / "data")
    assert stored["SHOPSTREAM_SHOPIFY_TOKEN"] == SANDBOX_TOKEN  # trimmed
    assert stored["SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET"] == "whsec-0123456789"
    assert SANDBOX_TOKEN not in result.output and "whsec-0123456789" not in result.output


def test_auth_shopify_with_client_credentials_keeps_the_app_credentials(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    with ShopifyEmulator() as emu:
        clean_env.setenv("SHOPSTREAM_SHOPIFY_CLIENT_ID", emu.control.client_id)
        clean_env.setenv("SHOPSTREAM_SHOPIFY_CLIENT_SECRET", emu.control.client_secret)
        path = _settings(tmp_path, f'[shop]\nadmin_base_url = "{emu.base_url}"\n')
        result = CliRunner().invoke(app, ["auth", "shopify", "--settings", str(path)])
        emu.control.client_secret = "rotated"
        refused = CliRunner().invoke(app, ["auth", "shopify", "--settings", str(path)])
    assert result.exit_code == 0, result.output
    stored = read_stored(tmp_path / "data")
    assert "SHOPSTREAM_SHOPIFY_TOKEN" not in stored  # a 24-hour token is fetched at each start
    assert stored["SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET"] == stored["SHOPSTREAM_SHOPIFY_CLIENT_SECRET"]
    assert refused.exit_code == 1 and "client-credentials grant was refused" in refused.output


async def test_auth_facebook_turns_a_user_token_into_the_page_token(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    async with FacebookEmulator() as emu:
        clean_env.setenv("SHOPSTREAM_FACEBOOK_APP_ID", emu.oauth.app_id)
        clean_env.setenv("SHOPSTREAM_FACEBOOK_APP_SECRET", emu.oauth.app_secret)
        path = _settings(tmp_path, f'[connectors.facebook]\ngraph_url = "{emu.graph_url}"\n')
        result = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            ["auth", "facebook", "--settings", str(path)],
            input=f" {emu.oauth.short_user_token}\n",
        )
    assert result.exit_code == 0, result.output
    assert f"Page: Demo Boutique ({emu.page_id})" in result.output
    assert "facebook: ok" in result.output
    stored = read_stored(tmp_path / "data")
    assert stored["SHOPSTREAM_FACEBOOK_PAGE_TOKEN"] == emu.page_token
    assert stored["SHOPSTREAM_FACEBOOK_PAGE_ID"] == emu.page_id
    assert emu.page_token not in result.output


async def test_auth_facebook_refuses_a_token_pasted_with_its_scheme(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    async with FacebookEmulator() as emu:
        clean_env.setenv("SHOPSTREAM_FACEBOOK_APP_ID", emu.oauth.app_id)
        clean_env.setenv("SHOPSTREAM_FACEBOOK_APP_SECRET", emu.oauth.app_secret)
        path = _settings(tmp_path, f'[connectors.facebook]\ngraph_url = "{emu.graph_url}"\n')
        result = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            ["auth", "facebook", "--settings", str(path)],
            input=f"Bearer {emu.oauth.short_user_token}\n",
        )
    assert result.exit_code == 2
    assert "starts with 'bearer' and a space; paste only the token" in result.output
    assert emu.oauth.exchanges == 0
    assert not store_path(tmp_path / "data").exists()


def test_auth_names_the_platforms_it_knows(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["auth", "tiktok", "--settings", str(_settings(tmp_path))])
    assert result.exit_code == 2 and "youtube, twitch, facebook, shopify, links" in result.output


async def test_auth_twitch_runs_the_device_flow_and_stores_the_bot_token(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    from sandbox.twitch.emulator import TwitchEmulator

    async with TwitchEmulator(tls=False) as emu:
        emu.helix.device.approve_at_once = True  # approved on twitch.tv before the first poll
        clean_env.setenv("SHOPSTREAM_TWITCH_CLIENT_ID", f" {emu.client_id} ")
        path = _settings(tmp_path, f'[connectors.twitch]\noauth_url = "{emu.oauth_url}"\n')
        result = await asyncio.to_thread(
            CliRunner().invoke, app, ["auth", "twitch", "--settings", str(path)], input="\n"
        )
    assert result.exit_code == 0, result.output
    assert "twitch.tv/activate" in result.output and "enter the code" in result.output
    assert "twitch: ok (bot shopstream_bot" in result.output
    stored = read_stored(tmp_path / "data")
    token = stored["SHOPSTREAM_TWITCH_TOKEN"]
    assert emu.world.tokens[token].scopes == ["user:read:chat", "user:write:chat"]
    assert stored["SHOPSTREAM_TWITCH_CLIENT_ID"] == emu.client_id
    assert "SHOPSTREAM_TWITCH_CLIENT_SECRET" not in stored  # a public client has none
    assert token not in result.output
