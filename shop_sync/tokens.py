"""Admin API access tokens: a static token, or client-credentials tokens refreshed on expiry."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

import requests

from shop_sync.config import CLIENT_ID_ENV, CLIENT_SECRET_ENV, TOKEN_ENV, ShopConfig
from shop_sync.errors import ShopAuthError, ShopTransientError

_LOGGER = logging.getLogger(__name__)


class TokenSource(Protocol):
    """Gives the current access token; ``refresh()`` gets a new one when that is possible."""

    def token(self) -> str: ...

    def refresh(self) -> bool: ...


class StaticToken:
    """A never-expiring token (``shpat_...``)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def token(self) -> str:
        return self._value

    def refresh(self) -> bool:
        return False


class ClientCredentials:
    """Tokens from ``POST /admin/oauth/access_token`` (grant ``client_credentials``), renewed a
    minute before ``expires_in`` runs out or when the API says 401."""

    def __init__(
        self,
        config: ShopConfig,
        *,
        session: requests.Session,
        client_id: str,
        client_secret: str,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = f"{config.base_url}/admin/oauth/access_token"
        self._session = session
        self._id = client_id
        self._secret = client_secret
        self._monotonic = monotonic
        self._timeout = config.request_timeout_seconds
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if not self._token or self._monotonic() >= self._expires:
                self._fetch()
            return self._token

    def refresh(self) -> bool:
        with self._lock:
            self._fetch()
        return True

    def _fetch(self) -> None:
        body = {"client_id": self._id, "client_secret": self._secret}
        body["grant_type"] = "client_credentials"
        try:
            resp = self._session.post(self._url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            raise ShopTransientError(f"token request failed: {exc}") from None
        if resp.status_code >= 500:
            raise ShopTransientError(f"token request failed: HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise ShopAuthError(f"token request refused: HTTP {resp.status_code}")
        data = resp.json()
        self._token = str(data["access_token"])
        self._expires = self._monotonic() + max(0.0, float(data.get("expires_in", 86400)) - 60)
        _LOGGER.info("obtained a Shopify access token (expires in %s s)", data.get("expires_in"))


def token_source_from_env(
    config: ShopConfig,
    *,
    session: requests.Session,
    environ: Mapping[str, str] | None = None,
    default: str | None = None,
) -> TokenSource:
    """Pick the token source the environment configures (static token first).

    ``default`` is used when nothing is set (the app passes the emulator's token in sandbox mode).

    Raises:
        ShopAuthError: no credentials are configured and there is no default.
    """
    env = os.environ if environ is None else environ
    if env.get(TOKEN_ENV):
        return StaticToken(env[TOKEN_ENV])
    if env.get(CLIENT_ID_ENV) and env.get(CLIENT_SECRET_ENV):
        return ClientCredentials(
            config,
            session=session,
            client_id=env[CLIENT_ID_ENV],
            client_secret=env[CLIENT_SECRET_ENV],
        )
    if default is not None:
        return StaticToken(default)
    raise ShopAuthError(f"set {TOKEN_ENV} (or {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV})")
