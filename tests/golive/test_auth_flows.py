"""Each platform's authorisation flow end to end against its emulator, then validated."""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from checkout_links.config import LinksConfig
from connectors.facebook.config import FacebookConfig
from connectors.twitch.config import TwitchConfig
from connectors.youtube.config import YouTubeConfig
from sandbox.facebook.emulator import FacebookEmulator
from sandbox.shopify.emulator import ShopifyEmulator
from sandbox.twitch.device import expire_token, narrow_scopes
from sandbox.twitch.emulator import TwitchEmulator
from sandbox.youtube.emulator import YouTubeEmulator
from shop_sync.config import ShopConfig
from shopstream.auth import facebook, shopify, twitch, youtube
from shopstream.auth.findings import AuthFlowError
from tests.support.clock import FakeClock

# --- Twitch: Device Code Grant with an injected clock (no sleeping) --------------------------


def _twitch_cfg(emu: TwitchEmulator, **changes: object) -> TwitchConfig:
    return TwitchConfig.model_validate(
        {"enabled": True, "oauth_url": emu.oauth_url, "helix_url": emu.helix_url, **changes}
    )


async def test_twitch_device_flow_yields_a_token_with_the_chat_scopes() -> None:
    clock = FakeClock()
    async with TwitchEmulator(tls=False, clock=clock.monotonic) as emu:
        cfg = _twitch_cfg(emu)
        shown: list[tuple[str, str]] = []

        def user_approves_after_two_polls(seconds: float) -> None:
            clock.sleep_sync(seconds)
            if len(clock.sleeps) == 2:
                emu.helix.device.approve(shown[0][1])

        with requests.Session() as http:
            body = await asyncio.to_thread(
                twitch.device_flow,
                http,
                twitch.oauth_url(cfg),
                emu.client_id,
                twitch.needed_scopes(cfg),
                show=lambda uri, code: shown.append((uri, code)),
                sleep=user_approves_after_two_polls,
                clock=clock.monotonic,
            )
            finding = await asyncio.to_thread(
                twitch.validate, http, twitch.oauth_url(cfg), body["access_token"], cfg
            )
    assert "twitch.tv/activate" in shown[0][0] and len(shown[0][1]) == 8
    assert clock.sleeps == [5.0, 5.0]  # the interval Twitch asked for, after each pending poll
    assert emu.helix.device.polls == 3
    assert body["scope"] == ["user:read:chat", "user:write:chat"] and body["refresh_token"]
    assert finding.ok and "bot shopstream_bot" in finding.summary, finding


async def test_twitch_device_code_expires_when_nobody_approves() -> None:
    clock = FakeClock()
    async with TwitchEmulator(tls=False, clock=clock.monotonic) as emu:
        with requests.Session() as http, pytest.raises(AuthFlowError, match="expired"):
            await asyncio.to_thread(
                twitch.device_flow,
                http,
                emu.oauth_url.rstrip("/"),
                emu.client_id,
                ("user:read:chat",),
                show=lambda uri, code: None,
                sleep=clock.sleep_sync,
                clock=clock.monotonic,
            )
    assert sum(clock.sleeps) >= 1800


async def test_twitch_validate_names_expired_and_missing_scopes() -> None:
    async with TwitchEmulator(tls=False) as emu:
        irc = _twitch_cfg(emu, transport="irc")
        with requests.Session() as http:
            url = twitch.oauth_url(irc)
            narrow_scopes(emu.world, emu.token, ["user:read:chat", "user:write:chat"])
            under = await asyncio.to_thread(twitch.validate, http, url, emu.token, irc)
            expire_token(emu.world, emu.token)
            expired = await asyncio.to_thread(twitch.validate, http, url, emu.token, irc)
    assert under.key == "invalid_auth" and "lacks chat:read, chat:edit" in under.summary
    assert expired.key == "invalid_auth" and "shopstream auth twitch" in expired.fix


# --- YouTube: installed-app loopback flow through google-auth-oauthlib ---------------------


async def _loopback(emu: YouTubeEmulator) -> dict[str, str]:
    cfg = YouTubeConfig.for_emulator(emu.base_url)
    auth_uri, token_uri = youtube.endpoints(cfg)
    client_id, secret, _refresh = emu.oauth_client
    browsers: list[threading.Thread] = []
    seen: list[int] = []

    def browser(url: str) -> None:
        # the user's browser: open the consent page, which redirects to the loopback listener
        def visit() -> None:
            with requests.Session() as b:
                seen.append(b.get(url, timeout=30).status_code)

        thread = threading.Thread(target=visit)
        browsers.append(thread)
        thread.start()

    try:
        return await asyncio.to_thread(
            youtube.loopback_flow,
            client_id,
            secret,
            auth_uri=auth_uri,
            token_uri=token_uri,
            open_url=browser,
            timeout_seconds=30,
        )
    finally:
        for thread in browsers:
            await asyncio.to_thread(thread.join, 30)
        assert seen == [200] * len(browsers)  # the listener's success page


async def test_youtube_loopback_flow_yields_a_refresh_token_that_validates() -> None:
    async with YouTubeEmulator() as emu:
        got = await _loopback(emu)
        assert emu.oauth.consents == 1
        cfg = YouTubeConfig.for_emulator(emu.base_url)
        client_id, secret, _ = emu.oauth_client
        with requests.Session() as http:
            finding = await asyncio.to_thread(
                youtube.validate,
                http,
                cfg,
                client_id=client_id,
                client_secret=secret,
                refresh_token=got["refresh_token"],
            )
            emu.revoke_refresh_token()
            revoked = await asyncio.to_thread(
                youtube.validate,
                http,
                cfg,
                client_id=client_id,
                client_secret=secret,
                refresh_token=got["refresh_token"],
            )
    assert got["refresh_token"] == emu.oauth_client[2]
    assert finding.ok and f"broadcast {emu.video_id} " in finding.summary, finding
    assert revoked.key == "invalid_auth" and "expired or revoked" in revoked.summary


async def test_youtube_consent_without_the_scope_is_refused_clearly() -> None:
    async with YouTubeEmulator() as emu:
        emu.oauth.drop_scopes = (youtube.YOUTUBE_SCOPE,)
        with pytest.raises(AuthFlowError, match="did not grant"):
            await _loopback(emu)


async def test_youtube_validate_finds_a_grant_without_the_chat_scope() -> None:
    async with YouTubeEmulator() as emu:
        emu.oauth.grant_scope = "https://www.googleapis.com/auth/youtube.readonly"
        client_id, secret, refresh = emu.oauth_client
        with requests.Session() as http:
            finding = await asyncio.to_thread(
                youtube.validate,
                http,
                YouTubeConfig.for_emulator(emu.base_url),
                client_id=client_id,
                client_secret=secret,
                refresh_token=refresh,
            )
    assert finding.key == "invalid_auth" and "lacks" in finding.summary


# --- Facebook: user token -> long-lived -> Page token; /debug_token ------------------------


def _fb_cfg(emu: FacebookEmulator, **changes: object) -> FacebookConfig:
    return FacebookConfig.model_validate({"enabled": True, "graph_url": emu.graph_url, **changes})


async def test_facebook_exchange_gives_a_page_token_that_debugs_valid() -> None:
    async with FacebookEmulator() as emu:
        cfg = _fb_cfg(emu)
        app_token = f"{emu.oauth.app_id}|{emu.oauth.app_secret}"
        with requests.Session() as http:
            grant = await asyncio.to_thread(
                facebook.page_token_flow,
                http,
                cfg,
                app_id=emu.oauth.app_id,
                app_secret=emu.oauth.app_secret,
                user_token=emu.oauth.short_user_token,
            )
            finding = await asyncio.to_thread(
                facebook.validate, http, cfg, page_token=grant.token, app_token=app_token
            )
            emu.oauth.scopes.remove("pages_manage_engagement")
            under = await asyncio.to_thread(
                facebook.validate, http, cfg, page_token=grant.token, app_token=app_token
            )
            emu.oauth.revoke(grant.token)
            revoked = await asyncio.to_thread(
                facebook.validate, http, cfg, page_token=grant.token, app_token=app_token
            )
    assert grant.page_id == emu.page_id and grant.token == emu.page_token
    assert emu.page_token not in repr(grant)
    assert finding.ok and "does not expire" in finding.summary, finding
    assert under.key == "invalid_auth" and "pages_manage_engagement" in under.summary
    assert revoked.key == "invalid_auth" and "password" in revoked.summary


async def test_facebook_refuses_a_wrong_secret_and_an_expired_user_token() -> None:
    async with FacebookEmulator() as emu:
        cfg = _fb_cfg(emu)
        with requests.Session() as http:
            with pytest.raises(AuthFlowError, match="client secret"):
                await asyncio.to_thread(
                    facebook.page_token_flow,
                    http,
                    cfg,
                    app_id=emu.oauth.app_id,
                    app_secret="wrong",
                    user_token=emu.oauth.short_user_token,
                )
            emu.oauth.expire(emu.oauth.short_user_token)
            with pytest.raises(AuthFlowError, match="code 190"):
                await asyncio.to_thread(
                    facebook.page_token_flow,
                    http,
                    cfg,
                    app_id=emu.oauth.app_id,
                    app_secret=emu.oauth.app_secret,
                    user_token=emu.oauth.short_user_token,
                )


# --- Shopify: the Admin token and the app's scopes ----------------------------------------


def test_shopify_scopes_check_names_what_the_app_lacks() -> None:
    with ShopifyEmulator() as emu, requests.Session() as http:
        shop = ShopConfig.model_validate({"admin_base_url": emu.base_url})
        draft = LinksConfig.model_validate({"strategy": "draft_order"})
        ok = shopify.validate(http, shop, LinksConfig(), token=emu.token)
        emu.app_scopes.scopes.remove("write_draft_orders")
        lacking = shopify.validate(http, shop, draft, token=emu.token)
        refused = shopify.validate(http, shop, draft, token="shpat_wrong")
    assert ok.ok, ok
    assert lacking.key == "invalid_auth" and "write_draft_orders" in lacking.summary
    assert refused.key == "invalid_auth" and "refused" in refused.summary


def test_google_token_info_expires_with_the_access_token() -> None:
    from sandbox.youtube.api import AuthState
    from sandbox.youtube.oauth import GoogleOAuth

    clock = FakeClock()
    auth = AuthState(accept_any_token=False)
    oauth = GoogleOAuth(auth, clock=clock.monotonic)
    redirect = "http://127.0.0.1:8080/"
    consent = oauth.authorize(
        {
            "client_id": auth.client_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": youtube.YOUTUBE_SCOPE,
            "state": "s",
        }
    )
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    form = {"client_id": auth.client_id, "client_secret": auth.client_secret}
    status, body = oauth.exchange({**form, "code": code, "redirect_uri": redirect})
    assert status == 200 and body["refresh_token"] == auth.refresh_token
    status, info = oauth.tokeninfo(body["access_token"])
    assert status == 200 and info["scope"] == youtube.YOUTUBE_SCOPE and info["expires_in"] == "3599"
    assert oauth.exchange({**form, "code": code, "redirect_uri": redirect})[0] == 400  # used once
    clock.advance(3600)
    assert oauth.tokeninfo(body["access_token"]) == (
        400,
        {"error": "invalid_token", "error_description": "Invalid Value"},
    )
    elsewhere = oauth.authorize(
        {"client_id": auth.client_id, "redirect_uri": "https://evil.example/"}
    )
    assert elsewhere.status_code == 400  # only a loopback redirect for an installed app


async def test_facebook_check_without_the_app_secret_still_checks_the_page_token() -> None:
    async with FacebookEmulator() as emu:
        cfg = _fb_cfg(emu)
        with requests.Session() as http:
            ok = await asyncio.to_thread(
                facebook.validate, http, cfg, page_token=emu.page_token, app_token=None
            )
            emu.oauth.expire(emu.page_token)
            expired = await asyncio.to_thread(
                facebook.validate, http, cfg, page_token=emu.page_token, app_token=None
            )
    assert ok.ok and "Demo Boutique" in ok.summary and "not checked" in ok.summary
    assert expired.key == "invalid_auth" and "Session has expired" in expired.summary
