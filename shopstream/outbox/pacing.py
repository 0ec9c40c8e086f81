"""Pure pacing against a platform's limits, and an independent checker of a send log."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.limits import PlatformLimits, SlidingWindow

_NUDGE = 1e-6


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRecord:
    """One message handed to the connector: when (monotonic seconds), what, for which keys.

    ``sends_left``: the connector's send budget just before (None: it declared none).
    ``private``: sent as a private reply, under the platform's private limits.
    """

    at: float
    text: str
    keys: tuple[str, ...]
    sends_left: int | None = None
    private: bool = False


def same_text_key(text: str) -> str:
    """Return the form under which platforms compare texts for duplicates."""
    return " ".join(text.split()).casefold()


class Pacer:
    """Decide when the next message may go and whether a text repeats too soon.

    Pure state over times the caller passes in: sliding-window count, minimum interval
    (slow mode) and a server-imposed pause (``block_until``) after a rate-limit answer.
    Once ``burst`` messages are inside the window, the rest of the window's budget is
    spread evenly (``window / max_messages`` apart), so a flood leaves messages to
    coalesce into instead of spending the whole budget in the first second.
    """

    __slots__ = ("_blocked_until", "_burst", "_last_at", "_recent", "_spacing", "_window", "limits")

    def __init__(self, limits: PlatformLimits, *, burst: int | None = None) -> None:
        self.limits = limits
        self._burst = limits.max_messages if burst is None else max(1, burst)
        self._spacing = limits.window_seconds / limits.max_messages
        self._window = SlidingWindow(limits.max_messages, limits.window_seconds)
        self._last_at: float | None = None
        self._blocked_until = 0.0
        self._recent: deque[tuple[float, str]] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more message fits every limit (0 when it fits now)."""
        wait = self._window.wait_time(now)
        if self._window.count(now) >= self.limits.max_messages:
            wait = max(wait, _NUDGE)  # float rounding: the oldest send is not out yet
        if self._last_at is not None:
            gap = self.limits.min_interval_seconds - (now - self._last_at)
            if self._window.count(now) >= self._burst:
                gap = max(gap, self._spacing - (now - self._last_at))
            if gap > 0:
                wait = max(wait, gap, _NUDGE)
        return max(0.0, wait, self._blocked_until - now)

    @property
    def blocked_until(self) -> float:
        """The time before which nothing may be sent (0 when never blocked)."""
        return self._blocked_until

    def block_until(self, until: float) -> None:
        """Send nothing before ``until`` (the platform asked us to wait)."""
        self._blocked_until = max(self._blocked_until, until)

    def _trim(self, now: float) -> None:
        window = self.limits.duplicate_window_seconds
        while self._recent and now - self._recent[0][0] >= window:
            self._recent.popleft()

    def is_repeat(self, text: str, now: float) -> bool:
        """Return whether ``text`` was sent within the duplicate window before ``now``."""
        if self.limits.duplicate_window_seconds <= 0:
            return False
        self._trim(now)
        key = same_text_key(text)
        return any(k == key for _, k in self._recent)

    def record(self, now: float, text: str) -> None:
        """Count a message sent at ``now``."""
        self._window.record(now)
        self._last_at = now
        if self.limits.duplicate_window_seconds > 0:
            self._trim(now)
            self._recent.append((now, same_text_key(text)))


def find_violations(
    records: Iterable[SendRecord], limits: PlatformLimits, *, context: int = 0
) -> list[str]:
    """Check a send log against ``limits``, independently of :class:`Pacer`.

    Args:
        records: Messages as sent (sorted by time here; ties keep their order).
        limits: The platform's limits.
        context: How many leading records only count towards windows (sent under
            earlier limits) and are not themselves checked.

    Returns:
        One line per broken rule (empty when the log respects every limit).
    """
    log = sorted(records, key=lambda r: r.at)
    problems: list[str] = []

    def keep(line: str, index: int) -> None:
        if index >= context:
            problems.append(line)

    last_same: dict[str, float] = {}
    start = 0
    length = limits.length_rule
    for i, rec in enumerate(log):
        if rec.sends_left is not None and rec.sends_left < 1:
            keep(f"#{i} at {rec.at:.3f}: sent with no send budget left", i)
        if not length.fits(rec.text):
            size = length.measure(rec.text)
            keep(f"#{i} at {rec.at:.3f}: {size} {length.unit} > {limits.max_chars}", i)
        while rec.at - log[start].at >= limits.window_seconds:
            start += 1
        if i - start + 1 > limits.max_messages:
            keep(
                f"#{i} at {rec.at:.3f}: {i - start + 1} messages within "
                f"{limits.window_seconds}s > {limits.max_messages}",
                i,
            )
        if i and rec.at - log[i - 1].at < limits.min_interval_seconds:
            keep(f"#{i} at {rec.at:.3f}: closer than {limits.min_interval_seconds}s", i)
        key = same_text_key(rec.text)
        prev = last_same.get(key)
        if (
            limits.duplicate_window_seconds > 0
            and prev is not None
            and rec.at - prev < limits.duplicate_window_seconds
        ):
            keep(f"#{i} at {rec.at:.3f}: same text within the duplicate window", i)
        last_same[key] = rec.at
    return problems
