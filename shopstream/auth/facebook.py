"""Facebook: from a user token to a long-lived Page token, and ``/debug_token``.

developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived: exchange the
short-lived user token (``grant_type=fb_exchange_token``), then ``GET /me/accounts`` with the
long-lived one gives each Page's token, which then does not expire. Permissions for reading and
replying to live comments (platforms.md §2.6): ``pages_show_list``, ``pages_read_engagement``,
``pages_read_user_content``, ``pages_manage_engagement``; private replies add
``pages_messaging``. ``/debug_token`` takes the app token ``{app-id}|{app-secret}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from connectors.facebook.config import FacebookConfig
from shopstream.auth.findings import AuthFlowError, Finding, for_humans, missing_scopes, unreachable

GRAPH_URL = "https://graph.facebook.com/"
READ_AND_REPLY = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
)
PRIVATE_REPLIES = ("pages_messaging",)
FIX = "run `shopstream auth facebook` with a user token that has the page permissions"


def needed_permissions(config: FacebookConfig) -> tuple[str, ...]:
    """What the configured connector uses."""
    return READ_AND_REPLY + (PRIVATE_REPLIES if config.private_replies else ())


def graph_base(config: FacebookConfig) -> str:
    """``https://graph.facebook.com/v26.0`` (or the emulator's URL)."""
    return f"{(config.graph_url or GRAPH_URL).rstrip('/')}/{config.api_version}"


@dataclass(frozen=True, slots=True)
class PageGrant:
    """The Page the bot will answer as, and its token (``repr`` hides it)."""

    page_id: str
    page_name: str
    token: str

    def __repr__(self) -> str:
        return f"PageGrant({self.page_id!r}, {self.page_name!r})"


def page_token_flow(
    session: requests.Session,
    config: FacebookConfig,
    *,
    app_id: str,
    app_secret: str,
    user_token: str,
    page_id: str | None = None,
) -> PageGrant:
    """Exchange ``user_token`` for a long-lived one and take the Page's token from it.

    Raises:
        AuthFlowError: the exchange was refused, or the user manages no (such) Page.
    """
    base = graph_base(config)
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": app_id,
        "client_secret": app_secret,
        "fb_exchange_token": user_token,
    }
    exchanged = _get(session, f"{base}/oauth/access_token", params)
    long_lived = str(exchanged["access_token"])
    pages = _get(session, f"{base}/me/accounts", {"access_token": long_lived}).get("data", [])
    if not pages:
        raise AuthFlowError("this user manages no Page (or pages_show_list was not granted)")
    if page_id is None and len(pages) > 1:
        names = ", ".join(f"{p.get('name')} ({p.get('id')})" for p in pages)
        raise AuthFlowError(f"several Pages: {names}; set SHOPSTREAM_FACEBOOK_PAGE_ID to one")
    chosen = next((p for p in pages if page_id in (None, str(p.get("id")))), None)
    if chosen is None:
        raise AuthFlowError(f"this user does not manage Page {page_id}")
    return PageGrant(str(chosen["id"]), str(chosen.get("name", "")), str(chosen["access_token"]))


def validate(
    session: requests.Session,
    config: FacebookConfig,
    *,
    page_token: str,
    app_token: str | None,
) -> Finding:
    """``/debug_token`` on the Page token: valid, a PAGE token, permissions, expiry.

    ``/debug_token`` needs the app token (developers.facebook.com/docs/graph-api/reference/
    debug_token); without the app id and secret only ``/me`` is asked (valid, which Page)."""
    base = graph_base(config)
    if app_token is None:
        return _me_only(session, base, page_token, config)
    params = {"input_token": page_token, "access_token": app_token}
    try:
        reply = session.get(f"{base}/debug_token", params=params, timeout=15)
    except requests.RequestException as exc:
        return unreachable("facebook", exc)
    body = _json(reply)
    if reply.status_code != 200:
        message = body.get("error", {}).get("message", f"HTTP {reply.status_code}")
        return Finding("facebook", "invalid_auth", str(message), FIX)
    data = body.get("data", {})
    if not data.get("is_valid"):
        message = data.get("error", {}).get("message", "token is not valid")
        return Finding("facebook", "invalid_auth", str(message), FIX)
    if data.get("type") != "PAGE":
        summary = f"a {data.get('type', 'non-Page')} token; replies need a Page token"
        return Finding("facebook", "invalid_auth", summary, FIX)
    lacking = missing_scopes(list(data.get("scopes") or []), needed_permissions(config))
    if lacking:
        return Finding("facebook", "invalid_auth", f"token lacks {', '.join(lacking)}", FIX)
    expires_at = int(data.get("expires_at") or 0)
    issued = int(data.get("issued_at") or 0)
    left = "does not expire" if not expires_at else f"expires in {for_humans(expires_at - issued)}"
    video = config.live_video_id or "the Page's current live video"
    summary = f"Page {data.get('profile_id', '?')}, {left}, will attach to {video}"
    return Finding("facebook", "ok", summary)


def _me_only(
    session: requests.Session, base: str, page_token: str, config: FacebookConfig
) -> Finding:
    try:
        reply = session.get(
            f"{base}/me", params={"fields": "id,name", "access_token": page_token}, timeout=15
        )
    except requests.RequestException as exc:
        return unreachable("facebook", exc)
    body = _json(reply)
    if reply.status_code != 200:
        message = body.get("error", {}).get("message", f"HTTP {reply.status_code}")
        return Finding("facebook", "invalid_auth", str(message), FIX)
    video = config.live_video_id or "the Page's current live video"
    summary = (
        f"Page {body.get('name', '')} ({body.get('id', '?')}), will attach to {video};"
        " permissions not checked: set SHOPSTREAM_FACEBOOK_APP_ID and _APP_SECRET"
    )
    return Finding("facebook", "ok", summary)


def _get(session: requests.Session, url: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        reply = session.get(url, params=params, timeout=15)
    except requests.RequestException as exc:
        raise AuthFlowError(f"cannot reach Graph ({type(exc).__name__})") from None
    body = _json(reply)
    if reply.status_code != 200:
        error = body.get("error", {})
        message = error.get("message", reply.status_code)
        raise AuthFlowError(f"Graph refused it: {message} (code {error.get('code')})")
    return body


def _json(reply: requests.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
