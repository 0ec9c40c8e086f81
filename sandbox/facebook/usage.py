"""Graph's rate limits as the emulator enforces them: budgets over rolling windows (no I/O).

From Meta's documents (not from our client):

* **Pages, Page token (Business Use Case)**: "Calls within 24 hours = 4800 * Number of Engaged
  Users", a rolling 24 h window per Page (developers.facebook.com/docs/graph-api/overview/
  rate-limiting, Pages; the 2016 blog "Page-level rate limits": the Page's quota is shared by
  every app using its token, and calls refused while over it "also count towards subsequent
  limit calculations"). Usage comes back as percentages in ``X-Business-Use-Case-Usage``,
  ``type`` ``pages``, with ``estimated_time_to_regain_access`` in minutes; past it: (#80001).
* **Platform, app or user token**: "Calls within one hour = 200 * Number of Users", rolling 1 h,
  reported in ``X-App-Usage``; past it: (#4) "Application request limit reached".
* **Messenger (private replies go through the Send API, ``POST /{page-id}/messages``)**:
  "Calls within 24 hours = 200 * Number of Engaged Users", and the Send API takes "300 calls
  per second per Facebook Page for messages that contain text, links"
  (developers.facebook.com/documentation/business-messaging/messenger-platform/overview/
  rate-limiting, updated 2026-03-23). Past the per-second rate: (#613) "Calls to this api have
  exceeded the rate limit" [R: the code messenger-batch retries on]; past the 24 h budget:
  (#80006) with a ``messenger`` BUC entry [R].

``call_count`` is the share of the call budget used; ``total_time`` and ``total_cputime`` are
reported at half of it (the emulator spends no real CPU time to measure).
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PAGES_CALLS_PER_ENGAGED_USER = 4800  # per rolling 24 h (Pages BUC)
PLATFORM_CALLS_PER_USER = 200  # per rolling hour (Platform)
MESSENGER_CALLS_PER_ENGAGED_USER = 200  # per rolling 24 h (Messenger API)
SEND_API_PER_SECOND = 300  # text and links, per Page (Send API)

WINDOWS = {
    "pages": timedelta(hours=24),
    "platform": timedelta(hours=1),
    "messenger": timedelta(hours=24),
}


@dataclass(slots=True)
class Bucket:
    """Calls within a rolling window against a budget."""

    window: timedelta
    budget: int
    calls: deque[datetime] = field(default_factory=deque)

    def _trim(self, now: datetime) -> None:
        while self.calls and now - self.calls[0] >= self.window:
            self.calls.popleft()

    def charge(self, now: datetime) -> bool:
        """Count one call at ``now`` (refused ones count too); whether it is within budget."""
        self._trim(now)
        self.calls.append(now)
        return len(self.calls) <= self.budget

    def percent(self, now: datetime) -> int:
        """The share of the budget used in the window ending at ``now`` (may pass 100)."""
        self._trim(now)
        return len(self.calls) * 100 // max(1, self.budget)

    def regain_minutes(self, now: datetime) -> int:
        """Minutes until one more call fits (0 when it fits now)."""
        self._trim(now)
        over = len(self.calls) - self.budget
        if over < 0:
            return 0
        frees_at = self.calls[over] + self.window  # after it leaves, one call fits
        return max(1, math.ceil((frees_at - now).total_seconds() / 60))


@dataclass(slots=True)
class Refusal:
    """Why a call was refused: its Graph code and message."""

    code: int
    message: str
    is_transient: bool | None = None


@dataclass(slots=True)
class UsageMeter:
    """Every budget of one Page and its app; ``engaged_users`` and ``app_users`` size them."""

    engaged_users: int = 100
    app_users: int = 100
    budgets: dict[str, int] = field(default_factory=dict)  # overrides by bucket name
    regain_override: int | None = None  # minutes to report instead of the computed ones
    calls_made: int = 0
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _send_times: deque[datetime] = field(default_factory=deque)

    def budget(self, name: str) -> int:
        """The call budget of bucket ``name`` over its window."""
        if name in self.budgets:
            return self.budgets[name]
        if name == "pages":
            return PAGES_CALLS_PER_ENGAGED_USER * self.engaged_users
        if name == "messenger":
            return MESSENGER_CALLS_PER_ENGAGED_USER * self.engaged_users
        return PLATFORM_CALLS_PER_USER * self.app_users

    def bucket(self, name: str) -> Bucket:
        """The bucket ``name`` (``pages``, ``platform``, ``messenger``), its budget current."""
        found = self._buckets.get(name)
        if found is None:
            found = self._buckets[name] = Bucket(WINDOWS[name], self.budget(name))
        found.budget = self.budget(name)
        return found

    def charge(self, route: str, token_kind: str, now: datetime) -> Refusal | None:
        """Count one call of ``route`` made with a ``token_kind`` token; the refusal, if over."""
        self.calls_made += 1
        name = bucket_of(route, token_kind)
        if name == "messenger":
            self._send_times.append(now)
            while self._send_times and now - self._send_times[0] >= timedelta(seconds=1):
                self._send_times.popleft()
            if len(self._send_times) > SEND_API_PER_SECOND:
                self.bucket(name).charge(now)
                return Refusal(613, "(#613) Calls to this api have exceeded the rate limit.")
        if self.bucket(name).charge(now):
            return None
        if name == "pages":
            return Refusal(80001, "(#80001) There have been too many calls to this Page account.")
        if name == "messenger":
            return Refusal(80006, "(#80006) There have been too many messenger requests.")
        return Refusal(4, "(#4) Application request limit reached", is_transient=True)

    def headers(self, route: str, token_kind: str, page_id: str, now: datetime) -> dict[str, str]:
        """The usage headers of an answer to ``route``: ``X-App-Usage`` (the app's calls with
        app or user tokens), and for Page tokens ``X-Business-Use-Case-Usage``."""
        app = self.bucket("platform").percent(now)
        headers = {"x-app-usage": _percentages(app)}
        if token_kind == "page":
            name = bucket_of(route, token_kind)
            bucket = self.bucket(name)
            regain = self.regain_override
            if regain is None or bucket.percent(now) < 100:
                regain = bucket.regain_minutes(now)
            headers["x-business-use-case-usage"] = buc_header(
                page_id, name, bucket.percent(now), regain
            )
        return headers


def bucket_of(route: str, token_kind: str) -> str:
    """Which budget a call spends: Page tokens the Page's (Messenger for the Send API),
    app and user tokens the app's."""
    if token_kind != "page":
        return "platform"
    return "messenger" if route == "private_reply" else "pages"


def _percentages(percent: int) -> str:
    return json.dumps(
        {"call_count": percent, "total_time": percent // 2, "total_cputime": percent // 2}
    )


def buc_header(page_id: str, kind: str, percent: int, regain: int) -> str:
    """One ``X-Business-Use-Case-Usage`` value: the Page's entry of type ``kind``."""
    entry = {
        "type": kind,
        "call_count": percent,
        "total_cputime": percent // 2,
        "total_time": percent // 2,
        "estimated_time_to_regain_access": regain,
    }
    return json.dumps({page_id: [entry]})
