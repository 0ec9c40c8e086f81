"""Twitch's Device Code Grant flow and token expiry/scope faults, for ``shopstream auth twitch``.

Shapes from dev.twitch.tv/docs/authentication/getting-tokens-oauth/#device-code-grant-flow:
``POST /oauth2/device`` (``client_id``, ``scopes`` space-separated) answers ``device_code``,
``expires_in`` (1800), ``interval`` (5), ``user_code``, ``verification_uri``; polling
``POST /oauth2/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:device_code`` answers
400 ``{"status":400,"message":"authorization_pending"}`` until the user approves, then the
token pair with ``scope`` as a list; an unknown or expired device code is
400 ``invalid device code``. Public clients send no secret.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.twitch.state import TwitchWorld

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_SECONDS = 1800
POLL_INTERVAL = 5


@dataclass(slots=True)
class _Pending:
    device_code: str
    user_code: str
    scopes: list[str]
    issued_at: float
    approved_by: str | None = None
    granted: list[str] | None = None


@dataclass(slots=True)
class DeviceFlow:
    """Pending device authorisations; ``approve`` is the user typing the code on twitch.tv."""

    world: TwitchWorld
    clock: Callable[[], float]
    pending: dict[str, _Pending] = field(default_factory=dict)  # device code -> pending
    polls: int = 0
    approve_at_once: bool = False  # the user approves before the first poll

    def start(self, form: Mapping[str, str]) -> Response:
        """``POST /oauth2/device``."""
        if form.get("client_id") != self.world.client_id:
            return JSONResponse({"status": 400, "message": "invalid client"}, 400)
        scopes = [s for s in str(form.get("scopes", "")).split() if s]
        user_code = "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
        device_code = secrets.token_urlsafe(24)
        self.pending[device_code] = _Pending(device_code, user_code, scopes, self.clock())
        if self.approve_at_once:
            self.approve(user_code)
        return JSONResponse(
            {
                "device_code": device_code,
                "expires_in": DEVICE_CODE_SECONDS,
                "interval": POLL_INTERVAL,
                "user_code": user_code,
                "verification_uri": (
                    f"https://www.twitch.tv/activate?public=true&device-code={user_code}"
                ),
            }
        )

    def approve(
        self, user_code: str, *, login: str | None = None, drop: tuple[str, ...] = ()
    ) -> None:
        """The user enters ``user_code`` and authorises, granting every scope but ``drop``."""
        found = next(p for p in self.pending.values() if p.user_code == user_code)
        found.approved_by = login or self.world.bot.login
        found.granted = [s for s in found.scopes if s not in drop]

    def token(self, form: Mapping[str, str]) -> Response:
        """``POST /oauth2/token`` with the device-code grant."""
        self.polls += 1
        found = self.pending.get(str(form.get("device_code", "")))
        if found is None or self.clock() - found.issued_at >= DEVICE_CODE_SECONDS:
            return JSONResponse({"status": 400, "message": "invalid device code"}, 400)
        if form.get("client_id") != self.world.client_id:
            return JSONResponse({"status": 400, "message": "invalid client"}, 400)
        if found.approved_by is None or found.granted is None:
            return JSONResponse({"status": 400, "message": "authorization_pending"}, 400)
        del self.pending[found.device_code]
        account = self.world.accounts[found.approved_by]
        access = self.world.issue_token(account, found.granted)
        if not found.granted:  # issue_token treats an empty list as "the bot's scopes"
            self.world.tokens[access].scopes = []
        refresh = secrets.token_hex(16)
        self.world.refresh_tokens[refresh] = account.id
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": self.world.tokens[access].expires_in,
                "refresh_token": refresh,
                "scope": found.granted,
                "token_type": "bearer",
            }
        )

    def routes(self) -> list[Route]:
        """The routes to mount beside Helix's."""

        async def device(request: Request) -> Response:
            return self.start(await _form(request))

        return [Route("/oauth2/device", device, methods=["POST"])]


def expire_token(world: TwitchWorld, token: str) -> None:
    """Expire one access token: ``/oauth2/validate`` and Helix answer 401 from now on."""
    world.tokens.pop(token, None)


def narrow_scopes(world: TwitchWorld, token: str, scopes: list[str]) -> None:
    """Leave ``token`` only ``scopes`` (a token authorised before the bot needed more)."""
    world.tokens[token].scopes = list(scopes)


async def _form(request: Request) -> dict[str, str]:
    from urllib.parse import parse_qs

    raw = (await request.body()).decode("utf-8", "replace")
    return {k: v[-1] for k, v in parse_qs(raw).items()}
