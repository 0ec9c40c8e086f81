"""Twitch: the Device Code Grant flow for the bot account, and ``/oauth2/validate``.

Scopes (dev.twitch.tv/docs/chat; platforms.md §3.2, §3.8, §3.9): over EventSub a user token
reads chat with ``user:read:chat`` and sends through Helix with ``user:write:chat``; over IRC
``chat:read`` and ``chat:edit``. ``user:bot``/``channel:bot`` are only for app tokens, which
this connector does not use. Apps must validate at start-up and hourly (platforms.md §3.10).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from connectors.twitch.config import TWITCH_OAUTH_URL, TwitchConfig
from shopstream.auth.findings import AuthFlowError, Finding, for_humans, missing_scopes, unreachable

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = {"eventsub": ("user:read:chat", "user:write:chat"), "irc": ("chat:read", "chat:edit")}
FIX = "run `shopstream auth twitch` and approve with the bot account"


def needed_scopes(config: TwitchConfig) -> tuple[str, ...]:
    """The scopes the configured transport uses."""
    return SCOPES[config.transport]


def oauth_url(config: TwitchConfig) -> str:
    """``https://id.twitch.tv/oauth2`` unless the settings point elsewhere (the emulator)."""
    return (config.oauth_url or TWITCH_OAUTH_URL).rstrip("/")


def device_flow(
    session: requests.Session,
    url: str,
    client_id: str,
    scopes: tuple[str, ...],
    *,
    show: Callable[[str, str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    client_secret: str | None = None,
) -> dict[str, Any]:
    """Ask for a device code, ``show(verification_uri, user_code)``, poll until approved.

    Returns the token body (``access_token``, ``refresh_token``, ``scope``, ``expires_in``).

    Raises:
        AuthFlowError: the client id was refused, or the code expired before approval.
    """
    start = session.post(
        f"{url}/device", data={"client_id": client_id, "scopes": " ".join(scopes)}, timeout=15
    )
    if start.status_code != 200:
        raise AuthFlowError(f"Twitch refused the client id ({_message(start)}); check it")
    grant = start.json()
    show(str(grant["verification_uri"]), str(grant["user_code"]))
    interval = float(grant.get("interval", 5))
    deadline = clock() + float(grant.get("expires_in", 1800))
    form = {
        "client_id": client_id,
        "scopes": " ".join(scopes),
        "device_code": grant["device_code"],
        "grant_type": DEVICE_GRANT,
    }
    if client_secret:
        form["client_secret"] = client_secret
    while clock() < deadline:
        reply = session.post(f"{url}/token", data=form, timeout=15)
        if reply.status_code == 200:
            return dict(reply.json())
        message = _message(reply)
        if message == "slow_down":
            interval += 5
        elif message != "authorization_pending":
            raise AuthFlowError(f"Twitch refused the device code ({message}); run it again")
        sleep(interval)
    raise AuthFlowError("the code expired before it was approved; run it again")


def validate(session: requests.Session, url: str, token: str, config: TwitchConfig) -> Finding:
    """``GET /oauth2/validate``: valid, whose, scopes, expiry; and the channel it will read."""
    try:
        reply = session.get(
            f"{url}/validate", headers={"Authorization": f"OAuth {token}"}, timeout=15
        )
    except requests.RequestException as exc:
        return unreachable("twitch", exc)
    if reply.status_code == 401:
        return Finding("twitch", "invalid_auth", "token invalid, expired or revoked", FIX)
    if reply.status_code != 200:
        return Finding("twitch", "cannot_connect", f"validate answered HTTP {reply.status_code}")
    body = reply.json()
    lacking = missing_scopes(list(body.get("scopes") or []), needed_scopes(config))
    who = body.get("login") or "an app token"
    if lacking:
        summary = f"token of {who} lacks {', '.join(lacking)}"
        return Finding("twitch", "invalid_auth", summary, FIX)
    expires = int(body.get("expires_in") or 0)
    left = f"expires in {for_humans(expires)}" if expires else "does not expire"
    summary = f"bot {who}, channel {config.channel}, {config.transport}, {left}"
    return Finding("twitch", "ok", summary)


def _message(reply: requests.Response) -> str:
    try:
        return str(reply.json().get("message", reply.status_code))
    except ValueError:
        return f"HTTP {reply.status_code}"
