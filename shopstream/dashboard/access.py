"""Who may open the dashboard and act on the show: the host's secret, one-time login links,
sessions, CSRF tokens, and a read-only overlay token.

- The host signs in with ``SHOPSTREAM_DASHBOARD_TOKEN`` (the login form) or a one-time
  login link (``/login/<code>``; :meth:`DashboardAccess.login_link` mints one; single use,
  expires after ``login_ttl``). Either gives a session cookie (``HttpOnly``,
  ``SameSite=Strict``).
- Every action (POST) carries a CSRF token issued to that session
  (:meth:`DashboardAccess.issue_csrf`): each token works once; a reused one is a replay, an
  unknown one a forgery; both are refused and written to the audit log.
- The overlay has its own token (``SHOPSTREAM_OVERLAY_TOKEN``, or one per run):
  :meth:`DashboardAccess.overlay_allows` checks it, :meth:`DashboardAccess.overlay_path`
  builds the browser-source path (``/overlay?token=...``). It grants the overlay route alone,
  read-only; it never opens a session.

No token is ever rendered into a page or API response except the session's own CSRF token
(and the overlay path on the host's own, signed-in dashboard).
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

TOKEN_ENV = "SHOPSTREAM_DASHBOARD_TOKEN"
OVERLAY_TOKEN_ENV = "SHOPSTREAM_OVERLAY_TOKEN"
SESSION_COOKIE = "shopstream_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

_MAX_SESSIONS = 64
_MAX_OUTSTANDING = 32  # CSRF tokens issued and not yet used, per session
_MAX_USED = 256  # used tokens remembered per session (to tell a replay from a forgery)

Audit = Callable[..., None]


class CsrfCheck(StrEnum):
    """What a CSRF token turned out to be."""

    OK = "ok"
    MISSING = "missing"
    FORGED = "forged"
    REPLAYED = "replayed"


@dataclass(slots=True)
class Session:
    """One signed-in browser."""

    id: str
    created: datetime
    how: str  # "token" or "link"
    outstanding: OrderedDict[str, None] = field(default_factory=OrderedDict)
    used: deque[str] = field(default_factory=lambda: deque(maxlen=_MAX_USED))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class DashboardAccess:
    """Sessions and tokens for one run of the web app (in memory: a restart signs out)."""

    def __init__(
        self,
        *,
        host_token: str | None = None,
        overlay_token: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        login_ttl: timedelta = timedelta(minutes=15),
        session_ttl: timedelta = timedelta(hours=12),
        audit: Audit | None = None,
    ) -> None:
        self._host_token = host_token or None
        self._overlay_token = overlay_token or secrets.token_urlsafe(24)
        self._clock = clock
        self.login_ttl = login_ttl
        self.session_ttl = session_ttl
        self._audit = audit
        self._lock = threading.Lock()
        self._links: dict[str, datetime] = {}  # one-time code -> expiry
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> DashboardAccess:
        """Tokens from ``SHOPSTREAM_DASHBOARD_TOKEN`` / ``SHOPSTREAM_OVERLAY_TOKEN``."""
        env = os.environ if env is None else env
        return cls(
            host_token=env.get(TOKEN_ENV) or None,
            overlay_token=env.get(OVERLAY_TOKEN_ENV) or None,
            **kwargs,
        )

    @property
    def has_host_token(self) -> bool:
        """Whether the login form can take the host's secret."""
        return self._host_token is not None

    def audit(self, kind: str, **detail: Any) -> None:
        """Write an access event to the audit log (never the token itself)."""
        if self._audit is not None:
            self._audit(kind, platform="dashboard", actor="dashboard", **detail)

    # -- signing in -------------------------------------------------------------------------

    def login_link(self) -> str:
        """Mint a one-time login path (``/login/<code>``), valid for ``login_ttl``."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            now = self._clock()
            self._links = {c: t for c, t in self._links.items() if t > now}
            self._links[code] = now + self.login_ttl
        return f"/login/{code}"

    def redeem(self, code: str) -> Session | None:
        """Use a one-time login code: a new session, or None (unknown, used or expired)."""
        with self._lock:
            expires = None
            for known in list(self._links):
                if _same(known, code):
                    expires = self._links.pop(known)
            if expires is None or expires <= self._clock():
                session = None
            else:
                session = self._new_session("link")
        if session is None:
            self.audit("dashboard_login_refused", how="link")
        return session

    def sign_in(self, token: str) -> Session | None:
        """Sign in with the host's secret: a new session, or None."""
        ok = self._host_token is not None and _same(self._host_token, token)
        if not ok:
            self.audit("dashboard_login_refused", how="token")
            return None
        with self._lock:
            return self._new_session("token")

    def _new_session(self, how: str) -> Session:  # under the lock
        session = Session(id=secrets.token_urlsafe(32), created=self._clock(), how=how)
        self._sessions[session.id] = session
        while len(self._sessions) > _MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def session(self, cookie: str | None) -> Session | None:
        """The live session a cookie names, or None."""
        if not cookie:
            return None
        with self._lock:
            session = self._sessions.get(cookie)
            if session is None:
                return None
            if self._clock() - session.created > self.session_ttl:
                del self._sessions[cookie]
                return None
            return session

    def sign_out(self, session: Session) -> None:
        """End ``session``."""
        with self._lock:
            self._sessions.pop(session.id, None)

    # -- CSRF -------------------------------------------------------------------------------

    def issue_csrf(self, session: Session) -> str:
        """A fresh single-use action token for ``session``."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            session.outstanding[token] = None
            while len(session.outstanding) > _MAX_OUTSTANDING:
                session.outstanding.popitem(last=False)
        return token

    def use_csrf(self, session: Session | None, token: str | None, *, action: str) -> CsrfCheck:
        """Spend ``token`` on ``action``; anything but OK is audit-logged."""
        with self._lock:
            if not token:
                check = CsrfCheck.MISSING
            elif session is not None and token in session.outstanding:
                del session.outstanding[token]
                session.used.append(token)
                check = CsrfCheck.OK
            elif session is not None and token in session.used:
                check = CsrfCheck.REPLAYED
            else:
                check = CsrfCheck.FORGED
        if check is not CsrfCheck.OK:
            self.audit("dashboard_action_refused", action=action, reason=str(check))
        return check

    # -- the overlay ------------------------------------------------------------------------

    def overlay_allows(self, token: str | None) -> bool:
        """Whether ``token`` opens the overlay (read-only; nothing else)."""
        return bool(token) and _same(self._overlay_token, str(token))

    def overlay_path(self) -> str:
        """The overlay's browser-source path with its token (show it to the host only)."""
        return f"/overlay?token={self._overlay_token}"


__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "OVERLAY_TOKEN_ENV",
    "SESSION_COOKIE",
    "TOKEN_ENV",
    "CsrfCheck",
    "DashboardAccess",
    "Session",
]
