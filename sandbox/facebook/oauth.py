"""Graph's token endpoints for ``shopstream auth facebook`` and ``check``: the long-lived
exchange, ``/me/accounts`` (the Page tokens) and ``/debug_token``; revoked and expired tokens.

Shapes: developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
(``GET /oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token``
answers ``access_token``, ``token_type`` ``bearer``, ``expires_in`` about 60 days; a Page token
read with a long-lived user token from ``/me/accounts`` has no expiry) and
developers.facebook.com/docs/graph-api/reference/debug_token (``data``: ``app_id``, ``type``,
``application``, ``expires_at`` (0 = never), ``is_valid``, ``issued_at``, ``scopes``,
``user_id``, ``profile_id`` for a Page; an invalid token has ``is_valid`` false and an
``error`` with code 190). Errors per platforms.md §2.7: 190 with subcode 463 (expired) or 460
(session invalidated: password changed, access removed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.facebook.state import PageState, error_envelope

# what reading and replying to live comments needs (platforms.md §2.6; private replies add
# pages_messaging)
PAGE_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
    "pages_messaging",
)
LONG_LIVED_SECONDS = 5_183_944  # the docs' example answer, about 60 days
SHORT_LIVED_SECONDS = 3_600


@dataclass(slots=True)
class FacebookOAuth:
    """The app, the user's tokens and what they were granted."""

    state: PageState
    app_id: str = "100200300400500"
    app_secret: str = "emu-app-secret"
    short_user_token: str = "emu-short-user-token"
    scopes: list[str] = field(default_factory=lambda: list(PAGE_SCOPES))
    revoked: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)
    exchanges: int = 0

    def revoke(self, token: str) -> None:
        """The user changed their password or removed the app: subcode 460 from now on."""
        self.revoked.add(token)

    def expire(self, token: str) -> None:
        """The token's time ran out: subcode 463 from now on."""
        self.expired.add(token)

    def answer(
        self, method: str, parts: list[str], params: Mapping[str, str], token: str | None
    ) -> tuple[int, dict[str, Any]] | None:
        """Answer the token routes, and refuse a revoked or expired token on any route."""
        if parts == ["oauth", "access_token"] and method == "GET":
            return self._exchange(params)
        refused = self._refused(token)
        if refused is not None:
            return refused
        if parts == ["debug_token"] and method == "GET":
            return self._debug(params.get("input_token"), token)
        if parts == ["me", "accounts"] and method == "GET":
            return self._accounts(token)
        return None

    def _refused(self, token: str | None) -> tuple[int, dict[str, Any]] | None:
        if token in self.revoked:
            msg = (
                "Error validating access token: The session has been invalidated because the"
                " user changed their password or Facebook has changed the session for security"
                " reasons."
            )
            return 400, error_envelope(190, msg, subcode=460)
        if token in self.expired:
            msg = "Error validating access token: Session has expired."
            return 400, error_envelope(190, msg, subcode=463)
        return None

    def _exchange(self, params: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if params.get("grant_type") != "fb_exchange_token":
            return 400, error_envelope(100, "Invalid grant_type")
        if params.get("client_id") != self.app_id:
            return 400, error_envelope(101, "Error validating application. Invalid application ID.")
        if params.get("client_secret") != self.app_secret:
            return 400, error_envelope(1, "Error validating client secret.")
        given = params.get("fb_exchange_token")
        refused = self._refused(given)
        if refused is not None:
            return refused
        if given not in (self.short_user_token, self.state.user_token):
            return 400, error_envelope(
                190, "Invalid OAuth access token - Cannot parse access token"
            )
        self.exchanges += 1
        return 200, {
            "access_token": self.state.user_token,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_SECONDS,
        }

    def _accounts(self, token: str | None) -> tuple[int, dict[str, Any]]:
        if token not in (self.state.user_token, self.short_user_token):
            msg = "(#100) Tried accessing nonexisting field (accounts) on node type (Page)"
            if token == self.state.page_token:
                return 400, error_envelope(100, msg)
            return 400, error_envelope(
                190, "Invalid OAuth access token - Cannot parse access token"
            )
        page = {
            "access_token": self.state.page_token,
            "category": "Clothing (Brand)",
            "category_list": [{"id": "2209", "name": "Clothing (Brand)"}],
            "name": self.state.page_name,
            "id": self.state.page_id,
            "tasks": ["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE"],
        }
        cursors = {"before": "QVFIUmFha", "after": "QVFIUmFha"}
        return 200, {"data": [page], "paging": {"cursors": cursors}}

    def _debug(self, input_token: str | None, token: str | None) -> tuple[int, dict[str, Any]]:
        app_token = f"{self.app_id}|{self.app_secret}"
        if token not in (app_token, self.state.user_token, self.state.page_token):
            return 400, error_envelope(
                190, "Invalid OAuth access token - Cannot parse access token"
            )
        now = int(self.state.clock().timestamp())
        data: dict[str, Any] = {
            "app_id": self.app_id,
            "application": "shopstream emulator app",
            "issued_at": now - 60,
            "user_id": self.state.user_id,
        }
        if input_token == self.state.page_token:
            data.update(type="PAGE", profile_id=self.state.page_id, expires_at=0)
        elif input_token in (self.state.user_token, self.short_user_token):
            left = (
                LONG_LIVED_SECONDS if input_token == self.state.user_token else SHORT_LIVED_SECONDS
            )
            data.update(type="USER", expires_at=now + left)
        else:
            return 400, error_envelope(
                190, "Invalid OAuth access token - Cannot parse access token"
            )
        refused = self._refused(input_token)
        if refused is not None:
            data.update(
                is_valid=False,
                scopes=[],
                error={
                    "code": 190,
                    "message": refused[1]["error"]["message"],
                    "subcode": refused[1]["error"]["error_subcode"],
                },
            )
            return 200, {"data": data}
        data.update(is_valid=True, scopes=list(self.scopes), data_access_expires_at=now + 7_776_000)
        return 200, {"data": data}
