"""``shopstream auth youtube|twitch|facebook|shopify|links``: obtain, check and store credentials.

Values already in the environment (or stored before) are used; the rest are asked for, hidden.
What a flow obtains is checked at the platform's validation endpoint, then written to
``<data_dir>/credentials.json`` (mode 0600, see :mod:`shopstream.secrets`); environment
variables still override it. Nothing secret is printed.
"""

from __future__ import annotations

import os
import secrets as random
from pathlib import Path
from typing import Annotated

import requests
import typer
from rich.console import Console

from shopstream.auth.findings import AuthFlowError, Finding
from shopstream.credentials import normalise
from shopstream.secrets import load_stored, write_stored
from shopstream.settings import Settings

PLATFORMS = ("youtube", "twitch", "facebook", "shopify", "links")


class _Ask:
    """Reads a value from the environment, else asks for it; refuses unusable ones."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, name: str, prompt: str, *, optional: bool = False) -> str:
        raw = os.environ.get(name, "")
        if not raw.strip():
            raw = typer.prompt(
                f"{prompt} [{name}]",
                default="" if optional else None,
                hide_input=True,
                show_default=False,
            )
        if optional and not raw.strip():
            return ""
        value, why = normalise(name, raw)
        if why is not None:
            self.console.print(f"{name} {why}", markup=False, soft_wrap=True)
            raise typer.Exit(2)
        return value


def _finish(console: Console, settings: Settings, finding: Finding, values: dict[str, str]) -> None:
    for line in finding.lines():
        console.print(line, markup=False, soft_wrap=True)
    if not finding.ok:
        raise typer.Exit(1)
    path = write_stored(settings.app.data_dir, values)
    names = ", ".join(sorted(values))
    console.print(
        f"stored {names} in {path} (mode 0600; environment variables override it)",
        markup=False,
        soft_wrap=True,
    )


def _youtube(settings: Settings, ask: _Ask, console: Console, browser: bool) -> None:
    from shopstream.auth import youtube

    cfg = settings.connectors.youtube
    client_id = ask("SHOPSTREAM_YOUTUBE_CLIENT_ID", "OAuth client id (Desktop app)")
    secret = ask("SHOPSTREAM_YOUTUBE_CLIENT_SECRET", "OAuth client secret")
    auth_uri, token_uri = youtube.endpoints(cfg)
    got = youtube.loopback_flow(
        client_id,
        secret,
        auth_uri=auth_uri,
        token_uri=token_uri,
        open_url=None
        if browser
        else (lambda url: console.print(f"Open: {url}", markup=False, soft_wrap=True)),
    )
    with requests.Session() as http:
        finding = youtube.validate(
            http, cfg, client_id=client_id, client_secret=secret, refresh_token=got["refresh_token"]
        )
    values = {
        "SHOPSTREAM_YOUTUBE_CLIENT_ID": client_id,
        "SHOPSTREAM_YOUTUBE_CLIENT_SECRET": secret,
        "SHOPSTREAM_YOUTUBE_REFRESH_TOKEN": got["refresh_token"],
    }
    _finish(console, settings, finding, values)


def _twitch(settings: Settings, ask: _Ask, console: Console) -> None:
    from shopstream.auth import twitch

    cfg = settings.connectors.twitch
    client_id = ask("SHOPSTREAM_TWITCH_CLIENT_ID", "Twitch application client id")
    secret = ask(
        "SHOPSTREAM_TWITCH_CLIENT_SECRET", "client secret (empty: public client)", optional=True
    )
    url = twitch.oauth_url(cfg)

    def show(uri: str, code: str) -> None:
        text = f"Sign in as the bot account at {uri} and enter the code {code}"
        console.print(text, markup=False, soft_wrap=True)

    with requests.Session() as http:
        body = twitch.device_flow(
            http, url, client_id, twitch.needed_scopes(cfg), show=show, client_secret=secret
        )
        finding = twitch.validate(http, url, str(body["access_token"]), cfg)
    values = {
        "SHOPSTREAM_TWITCH_CLIENT_ID": client_id,
        "SHOPSTREAM_TWITCH_TOKEN": str(body["access_token"]),
        "SHOPSTREAM_TWITCH_REFRESH_TOKEN": str(body.get("refresh_token") or ""),
        "SHOPSTREAM_TWITCH_CLIENT_SECRET": secret,
    }
    _finish(console, settings, finding, values)


def _facebook(settings: Settings, ask: _Ask, console: Console) -> None:
    from shopstream.auth import facebook

    cfg = settings.connectors.facebook
    app_id = ask("SHOPSTREAM_FACEBOOK_APP_ID", "Facebook app id")
    app_secret = ask("SHOPSTREAM_FACEBOOK_APP_SECRET", "Facebook app secret")
    needed = ", ".join(facebook.needed_permissions(cfg))
    console.print(
        f"A user token of a Page admin with: {needed} (Graph API Explorer)", soft_wrap=True
    )
    user_token = ask("SHOPSTREAM_FACEBOOK_USER_TOKEN", "user access token")
    page_id = os.environ.get("SHOPSTREAM_FACEBOOK_PAGE_ID", "").strip() or None
    with requests.Session() as http:
        grant = facebook.page_token_flow(
            http, cfg, app_id=app_id, app_secret=app_secret, user_token=user_token, page_id=page_id
        )
        finding = facebook.validate(
            http, cfg, page_token=grant.token, app_token=f"{app_id}|{app_secret}"
        )
    console.print(f"Page: {grant.page_name} ({grant.page_id})", markup=False, soft_wrap=True)
    values = {
        "SHOPSTREAM_FACEBOOK_APP_ID": app_id,
        "SHOPSTREAM_FACEBOOK_APP_SECRET": app_secret,
        "SHOPSTREAM_FACEBOOK_PAGE_TOKEN": grant.token,
        "SHOPSTREAM_FACEBOOK_PAGE_ID": grant.page_id,
    }
    _finish(console, settings, finding, values)


def _shopify(settings: Settings, ask: _Ask, console: Console) -> None:
    from shop_sync.errors import ShopError
    from shop_sync.tokens import ClientCredentials
    from shopstream.auth import shopify

    values: dict[str, str] = {}
    client_id = ask(
        "SHOPSTREAM_SHOPIFY_CLIENT_ID", "app client id (empty: a shpat_ token)", optional=True
    )
    with requests.Session() as http:
        if client_id:
            secret = ask("SHOPSTREAM_SHOPIFY_CLIENT_SECRET", "app client secret")
            values |= {"SHOPSTREAM_SHOPIFY_CLIENT_ID": client_id}
            values |= {"SHOPSTREAM_SHOPIFY_CLIENT_SECRET": secret}
            source = ClientCredentials(
                settings.shop, session=http, client_id=client_id, client_secret=secret
            )
            try:
                token = source.token()
            except ShopError as exc:
                raise AuthFlowError(f"the client-credentials grant was refused ({exc})") from None
            if not os.environ.get("SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET"):
                # webhooks of an app are signed with its client secret (commerce.md §3)
                os.environ["SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET"] = secret
        else:
            token = ask("SHOPSTREAM_SHOPIFY_TOKEN", "Admin API access token (shpat_...)")
            values["SHOPSTREAM_SHOPIFY_TOKEN"] = token
        values["SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET"] = ask(
            "SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET", "secret that signs webhooks"
        )
        if settings.links.strategy == "storefront_cart":
            values["SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN"] = ask(
                "SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN", "Storefront API access token"
            )
        finding = shopify.validate(http, settings.shop, settings.links, token=token)
    _finish(console, settings, finding, values)


def _links(settings: Settings, console: Console) -> None:
    name = "SHOPSTREAM_LINK_SIGNING_KEY"
    if os.environ.get(name):
        console.print(f"{name} is set already; changing it breaks every short link sent")
        return
    path = write_stored(settings.app.data_dir, {name: random.token_urlsafe(32)})
    console.print(f"stored a new {name} in {path} (mode 0600)")


def auth_command(
    platform: Annotated[str, typer.Argument(help="youtube, twitch, facebook, shopify or links.")],
    settings: Annotated[
        Path, typer.Option("--settings", "-s", envvar="SHOPSTREAM_SETTINGS", help="Settings file.")
    ] = Path("settings.toml"),
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the consent page (YouTube).")
    ] = True,
) -> None:
    """Obtain a platform's credentials the way it documents for a self-hosted app, check them,
    and store them for `run` and `check` (docs/GO-LIVE.md)."""
    from shopstream.cli import settings_or_exit

    if platform not in PLATFORMS:
        Console(stderr=True).print(f"auth: choose one of {', '.join(PLATFORMS)}")
        raise typer.Exit(2)
    cfg = settings_or_exit(settings)
    console = Console()
    try:
        load_stored(cfg.app.data_dir)
    except ValueError as exc:
        console.print(str(exc), markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    ask = _Ask(console)
    try:
        if platform == "youtube":
            _youtube(cfg, ask, console, browser)
        elif platform == "twitch":
            _twitch(cfg, ask, console)
        elif platform == "facebook":
            _facebook(cfg, ask, console)
        elif platform == "shopify":
            _shopify(cfg, ask, console)
        else:
            _links(cfg, console)
    except AuthFlowError as exc:
        console.print(f"{platform}: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except requests.RequestException as exc:
        console.print(f"{platform}: cannot reach the platform ({type(exc).__name__})")
        raise typer.Exit(1) from None
