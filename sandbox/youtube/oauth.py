"""Google's OAuth endpoints for installed apps: the loopback consent, the code exchange and
token info, as ``shopstream auth youtube`` (google-auth-oauthlib) and ``check`` use them.

Shapes: developers.google.com/identity/protocols/oauth2/native-app (loopback redirect
``http://127.0.0.1:<port>/`` gets ``?state=&code=&scope=``, or ``?error=access_denied``; PKCE
S256); the token endpoint's ``authorization_code`` grant answers ``access_token``,
``expires_in``, ``refresh_token``, ``scope``, ``token_type`` and refuses a bad code with 400
``invalid_grant``; ``GET /tokeninfo?access_token=`` answers ``azp``, ``aud``, ``scope``,
``exp`` and ``expires_in`` (strings, as pkg.go.dev/go.chromium.org/luci/common/gcloud/googleoauth
parses them), ``access_type``; an unknown or expired token gets 400 ``invalid_token``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.youtube.api import AuthState

YOUTUBE_SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
ACCESS_SECONDS = 3599
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None


@dataclass(slots=True)
class GoogleOAuth:
    """Consent (answered at once, as the channel owner would), codes and token records."""

    auth: AuthState
    clock: Callable[[], float] = time.time
    deny: bool = False
    drop_scopes: tuple[str, ...] = ()
    grant_scope: str = YOUTUBE_SCOPE  # what the refresh token was granted
    codes: dict[str, _Code] = field(default_factory=dict)
    expires: dict[str, float] = field(default_factory=dict)  # access token -> epoch seconds
    consents: int = 0

    def authorize(self, params: Mapping[str, str]) -> Response:
        """``GET /o/oauth2/auth``: the consent screen, then the redirect to the loopback."""
        redirect = params.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if params.get("client_id") != self.auth.client_id:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "no such client"}, 401
            )
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
            return JSONResponse({"error": "redirect_uri_mismatch"}, 400)
        if params.get("response_type") != "code":
            return JSONResponse({"error": "unsupported_response_type"}, 400)
        self.consents += 1
        state = params.get("state", "")
        if self.deny:
            return RedirectResponse(
                f"{redirect}?{urlencode({'error': 'access_denied', 'state': state})}"
            )
        scope = " ".join(s for s in params.get("scope", "").split() if s not in self.drop_scopes)
        code = f"4/0A{secrets.token_urlsafe(20)}"
        challenge = params.get("code_challenge")
        self.codes[code] = _Code(self.auth.client_id, redirect, scope, challenge)
        query = urlencode({"state": state, "code": code, "scope": scope})
        return RedirectResponse(f"{redirect}?{query}", status_code=302)

    def exchange(
        self, form: Mapping[str, str], authorization: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """``POST /token`` with ``grant_type=authorization_code``; the client authenticates in
        the form or with HTTP Basic (RFC 6749 §2.3.1; requests-oauthlib uses Basic)."""
        client = (form.get("client_id"), form.get("client_secret"))
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
            except ValueError:
                user, password = "", ""
            client = (unquote_plus(user), unquote_plus(password))
        if client != (self.auth.client_id, self.auth.client_secret):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        found = self.codes.pop(str(form.get("code", "")), None)
        if found is None:
            return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
        if form.get("redirect_uri") != found.redirect_uri:
            return 400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}
        if found.challenge is not None:
            verifier = str(form.get("code_verifier", "")).encode("ascii", "replace")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode("ascii") != found.challenge:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Invalid code verifier.",
                }
        access = f"ya29.consent-{secrets.token_urlsafe(12)}"
        self.auth.issued.add(access)
        self.expires[access] = self.clock() + ACCESS_SECONDS
        self.grant_scope = found.scope
        self.auth.refresh_valid = True
        return 200, {
            "access_token": access,
            "expires_in": ACCESS_SECONDS,
            "refresh_token": self.auth.refresh_token,
            "scope": found.scope,
            "token_type": "Bearer",
        }

    def tokeninfo(self, token: str | None) -> tuple[int, dict[str, Any]]:
        """``GET /tokeninfo?access_token=``."""
        invalid = 400, {"error": "invalid_token", "error_description": "Invalid Value"}
        if not token or token not in self.auth.issued:
            return invalid
        expires = self.expires.setdefault(token, self.clock() + ACCESS_SECONDS)
        left = int(expires - self.clock())
        if left <= 0:
            return invalid
        return 200, {
            "azp": self.auth.client_id,
            "aud": self.auth.client_id,
            "scope": self.grant_scope,
            "exp": str(int(expires)),
            "expires_in": str(left),
            "access_type": "offline",
        }

    def routes(self) -> list[Route]:
        """Mounted beside the Data API routes (auth_uri ``{base}/o/oauth2/auth``)."""

        async def authorize(request: Request) -> Response:
            return self.authorize(dict(request.query_params))

        async def tokeninfo(request: Request) -> Response:
            status, body = self.tokeninfo(request.query_params.get("access_token"))
            return JSONResponse(body, status_code=status)

        return [
            Route("/o/oauth2/auth", authorize, methods=["GET"]),
            Route("/tokeninfo", tokeninfo, methods=["GET", "POST"]),
        ]
