"""The live ``check``: each enabled part's credentials validated at the platform's endpoint.

Runs after :func:`shopstream.credentials.preflight` found every variable present, so each
value here is set and trimmed. One finding per part, in the order a show needs them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import requests
import typer
from rich.console import Console

from shopstream.auth import facebook, shopify, twitch, youtube
from shopstream.auth.findings import Finding
from shopstream.settings import Settings


def live_findings(settings: Settings, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Validate the store's token and each enabled connector's credentials."""
    env = os.environ if environ is None else environ
    c = settings.connectors
    shop = settings.shop
    out: list[Finding] = []
    with requests.Session() as http:
        out.append(
            shopify.validate(http, shop, settings.links, token=env["SHOPSTREAM_SHOPIFY_TOKEN"])
        )
        if c.youtube.enabled:
            out.append(
                youtube.validate(
                    http,
                    c.youtube,
                    client_id=env["SHOPSTREAM_YOUTUBE_CLIENT_ID"],
                    client_secret=env["SHOPSTREAM_YOUTUBE_CLIENT_SECRET"],
                    refresh_token=env["SHOPSTREAM_YOUTUBE_REFRESH_TOKEN"],
                )
            )
        if c.twitch.enabled:
            url = twitch.oauth_url(c.twitch)
            out.append(twitch.validate(http, url, env["SHOPSTREAM_TWITCH_TOKEN"], c.twitch))
        if c.facebook.enabled:
            app_id = env.get("SHOPSTREAM_FACEBOOK_APP_ID")
            app_secret = env.get("SHOPSTREAM_FACEBOOK_APP_SECRET")
            app_token = f"{app_id}|{app_secret}" if app_id and app_secret else None
            out.append(
                facebook.validate(
                    http,
                    c.facebook,
                    page_token=env["SHOPSTREAM_FACEBOOK_PAGE_TOKEN"],
                    app_token=app_token,
                )
            )
    return out


def start_findings(settings: Settings, console: Console) -> None:
    """Before a live ``run``: a refused store stops the start (exit 1); a refused platform is
    reported with its fix and the show starts without it (that connector goes
    ``invalid_auth``, the others sell)."""
    for finding in live_findings(settings):
        if finding.ok:
            continue
        for line in finding.lines():
            console.print(line, markup=False, soft_wrap=True)
        if finding.part == "store":
            raise typer.Exit(1)
