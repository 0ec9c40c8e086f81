"""YouTube: Google's OAuth flow for installed apps (loopback redirect, google-auth-oauthlib),
and the refresh + token-info check.

developers.google.com/identity/protocols/oauth2/native-app: the consent page redirects to
``http://127.0.0.1:<port>/`` where ``InstalledAppFlow.run_local_server`` listens; ``access_type
=offline`` with ``prompt=consent`` yields a refresh token. Token info:
``GET https://oauth2.googleapis.com/tokeninfo?access_token=`` (``scope``, ``expires_in``).
The connector reads and posts live chat with ``youtube.force-ssl`` (platforms.md §1.8).
"""

from __future__ import annotations

import contextlib
import os
import uuid
import webbrowser
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.youtube.config import GOOGLE_TOKEN_URI, YOUTUBE_SCOPE, YouTubeConfig
from shopstream.auth.findings import AuthFlowError, Finding, for_humans, missing_scopes, unreachable

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
YOUTUBE_API = "https://youtube.googleapis.com/"
FIX = "run `shopstream auth youtube` and sign in as the channel owner"


def endpoints(config: YouTubeConfig) -> tuple[str, str]:
    """(auth_uri, token_uri): Google's, or the emulator's beside its API endpoint."""
    token_uri = config.resolved_token_uri()
    if config.api_endpoint:
        return f"{config.api_endpoint.rstrip('/')}/o/oauth2/auth", token_uri
    return GOOGLE_AUTH_URI, token_uri or GOOGLE_TOKEN_URI


def tokeninfo_uri(token_uri: str) -> str:
    """``.../token`` -> ``.../tokeninfo`` (same host, for Google and for the emulator)."""
    return token_uri.rstrip("/").rsplit("/", 1)[0] + "/tokeninfo"


class _Browser(webbrowser.BaseBrowser):
    """Hands the consent URL to a callable (a test, or ``print`` for a headless machine)."""

    def __init__(self, open_url: Callable[[str], object]) -> None:
        super().__init__("shopstream")
        self._open_url = open_url

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self._open_url(url)
        return True


@contextlib.contextmanager
def _plain_http_if_loopback(token_uri: str) -> Iterator[None]:
    # oauthlib refuses http token endpoints; the emulator on 127.0.0.1 is the one exception
    host = urlsplit(token_uri).hostname
    if urlsplit(token_uri).scheme == "https" or host not in ("127.0.0.1", "localhost"):
        yield
        return
    before = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = before


def loopback_flow(
    client_id: str,
    client_secret: str,
    *,
    auth_uri: str,
    token_uri: str,
    open_url: Callable[[str], object] | None = None,
    timeout_seconds: float | None = 600,
) -> dict[str, str]:
    """Run the installed-app flow; return ``refresh_token`` and ``access_token``.

    ``open_url`` replaces the system browser (default: open it, and print the URL too).

    Raises:
        AuthFlowError: consent was refused, the scope not granted, or no refresh token came.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    config = {
        "installed": {
            "client_id": client_id,
            "client_secret": client_secret,
            "auth_uri": auth_uri,
            "token_uri": token_uri,
            "redirect_uris": ["http://localhost"],
        }
    }
    flow = InstalledAppFlow.from_client_config(config, scopes=[YOUTUBE_SCOPE])
    browser = None
    if open_url is not None:
        browser = f"shopstream-{uuid.uuid4().hex}"
        webbrowser.register(browser, None, _Browser(open_url))
    try:
        with _plain_http_if_loopback(token_uri):
            creds: Any = flow.run_local_server(
                host="127.0.0.1",
                port=0,
                browser=browser,
                timeout_seconds=timeout_seconds,
                authorization_prompt_message="Sign in as the channel owner: {url}",
                access_type="offline",
                prompt="consent",
            )
    except Warning as exc:  # oauthlib: "Scope has changed from ... to ..."
        raise AuthFlowError(f"consent did not grant {YOUTUBE_SCOPE}; tick it and retry") from exc
    except Exception as exc:  # oauthlib's errors: access_denied, invalid_grant, ...
        raise AuthFlowError(f"Google refused the authorisation ({exc}); run it again") from exc
    if creds is None or not creds.refresh_token:
        raise AuthFlowError("Google returned no refresh token; remove the app's access and retry")
    return {"refresh_token": str(creds.refresh_token), "access_token": str(creds.token)}


def validate(
    session: requests.Session,
    config: YouTubeConfig,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
) -> Finding:
    """Refresh an access token, then read its scope and expiry from token info."""
    _auth_uri, token_uri = endpoints(config)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    try:
        reply = session.post(token_uri, data=form, timeout=15)
        if reply.status_code != 200:
            error = _error(reply)
            if error == "invalid_client":
                fix = "check SHOPSTREAM_YOUTUBE_CLIENT_ID and _SECRET (Google Cloud credentials)"
                return Finding("youtube", "invalid_auth", "client id or secret refused", fix)
            return Finding("youtube", "invalid_auth", f"refresh refused ({error})", FIX)
        access = str(reply.json()["access_token"])
        info = session.get(tokeninfo_uri(token_uri), params={"access_token": access}, timeout=15)
    except requests.RequestException as exc:
        return unreachable("youtube", exc)
    if info.status_code != 200:
        return Finding("youtube", "invalid_auth", f"token info: {_error(info)}", FIX)
    body = info.json()
    lacking = missing_scopes(str(body.get("scope", "")), (YOUTUBE_SCOPE,))
    if lacking:
        return Finding("youtube", "invalid_auth", f"token lacks {lacking[0]}", FIX)
    expires = for_humans(float(body.get("expires_in", 0)))
    stream = _broadcast(session, config, access)
    summary = f"refresh ok, access token {expires} left, will attach to {stream}"
    return Finding("youtube", "ok", summary)


def _broadcast(session: requests.Session, config: YouTubeConfig, access: str) -> str:
    """The broadcast the connector will read (``liveBroadcasts.list``, 1 unit; platforms.md
    §1.2), or what it will wait for."""
    base = (config.api_endpoint or YOUTUBE_API).rstrip("/")
    params = {"part": "snippet", "broadcastType": "all", "maxResults": "1"}
    params |= {"id": config.video_id} if config.video_id else {"broadcastStatus": "active"}
    try:
        reply = session.get(
            f"{base}/youtube/v3/liveBroadcasts",
            params=params,
            headers={"Authorization": f"Bearer {access}"},
            timeout=15,
        )
        items = reply.json().get("items", []) if reply.status_code == 200 else []
    except (requests.RequestException, ValueError, AttributeError):
        items = []
    if not items:
        wanted = f"video {config.video_id}" if config.video_id else "the channel's broadcast"
        return f"{wanted} (none live yet; start the stream before the show)"
    item = items[0]
    return f"broadcast {item.get('id')} {item.get('snippet', {}).get('title', '')!r}"


def _error(reply: requests.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return f"HTTP {reply.status_code}"
    return str(body.get("error_description") or body.get("error") or reply.status_code)
