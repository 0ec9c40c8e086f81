"""Twitch's hard chat limits, enforced before anything is sent (pure; time is passed in)."""

from __future__ import annotations

from collections import deque
from dataclasses import replace

from connectors.limits import PlatformLimits
from connectors.text import LengthUnit

# 500 characters (platforms.md §3.7, Helix "Send Chat Message"), counted in code points:
# Twitch accepts 500 astral emoji, which are 1,000 UTF-16 units (Chatterino/chatterino2#7256)
MAX_CHARS = 500
WINDOW_SECONDS = 30.0
NORMAL_RATE = 20
ELEVATED_RATE = 100
DUPLICATE_SECONDS = 30.0

TWITCH_LIMITS = PlatformLimits(
    max_messages=NORMAL_RATE,
    window_seconds=WINDOW_SECONDS,
    max_chars=MAX_CHARS,
    duplicate_window_seconds=DUPLICATE_SECONDS,
    threads=True,
    coalesce=True,
    length_unit=LengthUnit.CODE_POINTS,
)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


class SendLimits:
    """Tracks what the bot sent to one channel and says whether one more message may go now.

    Rate tier: 20 messages / 30 s, or 100 while the bot is a moderator or the broadcaster.
    No identical text within 30 s. Slow mode (seconds between messages) for non-moderators.
    """

    def __init__(self, *, elevated: bool = False) -> None:
        self.elevated = elevated
        self.slow_seconds = 0.0
        self.rate = ELEVATED_RATE if elevated else NORMAL_RATE
        self._sent: deque[float] = deque()
        self._recent: deque[tuple[float, str]] = deque()
        self._last_sent: float | None = None

    @property
    def limits(self) -> PlatformLimits:
        """The platform limits that apply right now."""
        return replace(
            TWITCH_LIMITS,
            max_messages=self.rate,
            min_interval_seconds=0.0 if self.elevated else self.slow_seconds,
        )

    def set_elevated(self, elevated: bool) -> None:
        """Switch between the 20 and 100 message tiers (USERSTATE badges or Helix)."""
        self.elevated = elevated
        self.rate = ELEVATED_RATE if elevated else NORMAL_RATE

    def set_slow(self, seconds: float) -> None:
        """Record the channel's slow mode (0 = off)."""
        self.slow_seconds = max(0.0, seconds)

    def _trim(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
            self._sent.popleft()

    def wait_time(self, now: float, count: int = 1) -> float:
        """Seconds until ``count`` more messages fit the rate tier and slow mode (0 = now)."""
        wait = 0.0
        if count > self.rate:
            return WINDOW_SECONDS
        self._trim(now)
        used = len(self._sent)
        if used + count > self.rate:
            wait = self._sent[used + count - self.rate - 1] + WINDOW_SECONDS - now
        if not self.elevated and self.slow_seconds and self._last_sent is not None:
            wait = max(wait, self._last_sent + self.slow_seconds - now)
        return max(0.0, wait)

    def is_duplicate(self, text: str, now: float) -> bool:
        """Whether the same text was sent less than 30 s ago."""
        while self._recent and now - self._recent[0][0] >= DUPLICATE_SECONDS:
            self._recent.popleft()
        key = _norm(text)
        return any(k == key for _, k in self._recent)

    def record(self, text: str, now: float) -> None:
        """Count one message as sent at ``now``."""
        self._trim(now)
        self._sent.append(now)
        self._recent.append((now, _norm(text)))
        self._last_sent = now
