"""Signed short links: ``{public_base_url}/l/{code}`` → the landing page until the hold expires.

A code is 12 random URL-safe characters (72 bits) followed by 8 characters of
HMAC-SHA256(key, random part) (48 bits): unguessable, and a tampered or made-up code is refused
before the database is read. Opens are counted per link (of a live link and of an ended one
apart).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from checkout_links.config import SIGNING_KEY_ENV
from checkout_links.keys import check_hold_id
from checkout_links.models import ShortLink
from shopstream.storage.unit import writing

_LOGGER = logging.getLogger(__name__)
_SHORT_LINKS = ShortLink.__table__  # type: ignore[attr-defined]

_RANDOM_CHARS = 12
_TAG_BYTES = 6
CODE_LENGTH = _RANDOM_CHARS + 8
"""Length of every short code."""


def signing_key(environ: Mapping[str, str] | None = None, *, sandbox: bool) -> bytes:
    """Return the short-link HMAC key from ``SHOPSTREAM_LINK_SIGNING_KEY``.

    In sandbox mode a missing key is replaced by an ephemeral random one (links then die with
    the process), and a log line says so.

    Raises:
        ValueError: the key is missing in live mode, or shorter than 16 characters.
    """
    env = os.environ if environ is None else environ
    value = env.get(SIGNING_KEY_ENV, "")
    if not value:
        if not sandbox:
            raise ValueError(f"{SIGNING_KEY_ENV} is not set; short links need a signing key")
        _LOGGER.warning(
            "%s is not set: using an ephemeral short-link key (sandbox mode)", SIGNING_KEY_ENV
        )
        return secrets.token_bytes(32)
    if len(value) < 16:
        raise ValueError(f"{SIGNING_KEY_ENV} must be at least 16 characters long")
    return value.encode("utf-8")


def _tag(key: bytes, random_part: str) -> str:
    digest = hmac.new(key, random_part.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_TAG_BYTES]).decode("ascii")


def sign_code(key: bytes, random_part: str) -> str:
    """Return the full code for ``random_part`` (12 URL-safe characters)."""
    return random_part + _tag(key, random_part)


def code_is_authentic(key: bytes, code: str) -> bool:
    """Whether ``code`` has the right shape and its HMAC tag matches (constant-time)."""
    if len(code) != CODE_LENGTH or not code.isascii():
        return False
    random_part, tag = code[:_RANDOM_CHARS], code[_RANDOM_CHARS:]
    return hmac.compare_digest(_tag(key, random_part), tag)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """What ``/l/{code}`` shows: the live link (``redirect``: its checkout is ``target_url``), the
    ended one, or 404."""

    kind: Literal["redirect", "expired", "unknown"]
    target_url: str | None = None
    hold_ids: tuple[str, ...] = ()
    show_id: str | None = None
    platform: str | None = None
    expires_at: datetime | None = None  # when the hold ends (the landing page's countdown)
    viewer_key: str = ""  # whose link it is (never shown on a page)


class ShortLinks:
    """Creates, resolves and counts short links, stored in ``link_short_links``."""

    def __init__(
        self,
        engine: Engine,
        *,
        key: bytes,
        public_base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if len(key) < 16:
            raise ValueError("the short-link key must be at least 16 bytes")
        self._engine = engine
        self._key = key
        self._base = public_base_url.rstrip("/")
        self._clock = clock
        self._local = threading.local()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Store the links this thread creates inside the block in one transaction, at its end.

        A link is only handed out with a reply sent after the block, so it is stored before
        anyone can open it; if storing fails the error leaves the block and those replies
        are not sent. When the block raises, none of its links is stored.
        """
        if getattr(self._local, "pending", None) is not None:
            yield  # already batching
            return
        self._local.pending = []
        try:
            yield
        except BaseException:
            self._local.pending = None  # the block failed: its replies are not sent either
            raise
        rows, self._local.pending = self._local.pending, None
        if rows:  # inside the pipeline's unit of work: stored with the batch, or not at all
            with writing(self._engine) as conn:
                conn.execute(_SHORT_LINKS.insert(), rows)

    def url_for(self, code: str) -> str:
        """Return the public URL of ``code``."""
        return f"{self._base}/l/{code}"

    def create(
        self,
        target_url: str,
        *,
        hold_ids: Iterable[str],
        viewer_key: str,
        expires_at: datetime,
        show: str | None = None,
        platform: str | None = None,
    ) -> str:
        """Store a short link to ``target_url`` that works until ``expires_at``.

        Returns:
            The full public URL (``{public_base_url}/l/{code}``).

        Raises:
            ValueError: ``expires_at`` is naive, the target is not http(s), or a hold id is bad.
        """
        if expires_at.tzinfo is None or expires_at.utcoffset() is None:
            raise ValueError("expires_at must be timezone-aware (UTC)")
        if not target_url.startswith(("https://", "http://")):
            raise ValueError("a short link must point to an http(s) URL")
        holds = ",".join(check_hold_id(h) for h in hold_ids)
        code = sign_code(self._key, secrets.token_urlsafe(9))
        # the table's row, not a ShortLink: building the ORM object cost more than the
        # insert (and its first one configures the mappers, in a flash drop's first batch)
        row = {
            "code": code,
            "target_url": target_url,
            "hold_ids": holds,
            "viewer_key": viewer_key,
            "show_id": show,
            "platform": platform,
            "created_at": self._clock(),
            "expires_at": expires_at,
            "clicks": 0,
            "expired_clicks": 0,
            "last_click_at": None,
        }
        pending = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append(row)
        else:  # in a unit of work (hold notices) through its connection: one writer
            with writing(self._engine) as conn:
                conn.execute(_SHORT_LINKS.insert(), [row])
        return self.url_for(code)

    def resolve(self, code: str) -> Resolution:
        """Look ``code`` up and count the click; never redirects for a bad or expired code."""
        if not code_is_authentic(self._key, code):
            _LOGGER.info("short link refused: bad or tampered code")
            return Resolution(kind="unknown")
        now = self._clock()
        with Session(self._engine) as session:
            row = session.exec(select(ShortLink).where(ShortLink.code == code)).first()
            if row is None:
                return Resolution(kind="unknown")
            expired = now >= row.expires_at
            counter = ShortLink.expired_clicks if expired else ShortLink.clicks
            session.execute(
                update(ShortLink)
                .where(col(ShortLink.id) == row.id)
                .values({counter: counter + 1, ShortLink.last_click_at: now})
            )
            session.commit()
            holds = tuple(h for h in row.hold_ids.split(",") if h)
            if expired:
                return Resolution(
                    kind="expired",
                    hold_ids=holds,
                    show_id=row.show_id,
                    platform=row.platform,
                    expires_at=row.expires_at,
                    viewer_key=row.viewer_key,
                )
            return Resolution(
                kind="redirect",
                target_url=row.target_url,
                hold_ids=holds,
                show_id=row.show_id,
                platform=row.platform,
                expires_at=row.expires_at,
                viewer_key=row.viewer_key,
            )

    def expire_for_holds(self, hold_ids: Iterable[str]) -> int:
        """End now every live link covering one of ``hold_ids`` (hold cancelled, released or
        sold); return how many links were ended. Their page then offers the waitlist."""
        wanted = set(hold_ids)
        if not wanted:
            return 0
        now = self._clock()
        with Session(self._engine) as session:
            live = session.exec(select(ShortLink).where(col(ShortLink.expires_at) > now)).all()
            ids = [r.id for r in live if wanted.intersection(r.hold_ids.split(","))]
            if ids:
                session.execute(
                    update(ShortLink).where(col(ShortLink.id).in_(ids)).values(expires_at=now)
                )
                session.commit()
        return len(ids)

    def clicks_by_platform(self, show: str) -> dict[str, int]:
        """Return redirects (clicks before expiry) per platform for ``show``."""
        return clicks_by_platform(self._engine, show)


def clicks_by_platform(engine: Engine, show: str) -> dict[str, int]:
    """Return link clicks (redirects) per platform for ``show``; no signing key needed."""
    with Session(engine) as session:
        rows = session.execute(
            select(ShortLink.platform, func.sum(ShortLink.clicks))
            .where(ShortLink.show_id == show)
            .group_by(col(ShortLink.platform))
        ).all()
    return {str(p or ""): int(n or 0) for p, n in rows}
