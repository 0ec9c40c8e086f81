"""Per-platform outbound limits: declared by each connector, enforced before sending."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from connectors.text import LengthRule, LengthUnit


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformLimits:
    """What a platform allows one bot in one channel.

    ``max_messages`` per ``window_seconds`` (sliding window); ``max_chars`` per message,
    counted in ``length_unit`` (code points, UTF-16 units or bytes; see ``length_rule``);
    ``duplicate_window_seconds``: an identical text may not repeat within it (0 = no rule);
    ``min_interval_seconds``: slow mode or pacing between two messages.
    ``threads``: replies can thread to the viewer's message (else address by name).
    ``coalesce``: several buyers may be answered in one message.
    ``sends_left``: a send budget, the messages the connector can still afford (YouTube's
    daily quota); ``None`` means no budget. Unlike the other fields it moves with every send,
    so callers read it afresh before each message rather than comparing whole limits.
    ``private_max_messages`` per ``private_window_seconds``: private replies have a limit of
    their own (Facebook's Send API), apart from the public one; ``None``: they share it.
    ``digest``: many identical public claim replies (the same sold-out notice) may be sent as
    one top-level message instead of one reply each.
    """

    max_messages: int
    window_seconds: float
    max_chars: int
    duplicate_window_seconds: float = 0.0
    min_interval_seconds: float = 0.0
    threads: bool = False
    coalesce: bool = True
    private_replies: bool = False
    sends_left: int | None = None
    length_unit: LengthUnit = LengthUnit.CODE_POINTS
    private_max_messages: int | None = None
    private_window_seconds: float = 1.0
    digest: bool = False

    @property
    def private_lane(self) -> PlatformLimits | None:
        """The private replies' own limits (None: they go at the public pace)."""
        if not self.private_replies or self.private_max_messages is None:
            return None
        return PlatformLimits(
            max_messages=self.private_max_messages,
            window_seconds=self.private_window_seconds,
            max_chars=self.max_chars,
            length_unit=self.length_unit,
        )

    @property
    def length_rule(self) -> LengthRule:
        """The per-message length rule (``max_chars`` in ``length_unit``) for the splitter."""
        return LengthRule(self.max_chars, self.length_unit)


class SlidingWindow:
    """A sliding-window counter over an injected monotonic time (pure; no clock inside)."""

    __slots__ = ("_sent", "limit", "window")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._sent: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()

    def wait_time(self, now: float) -> float:
        """Seconds until one more send fits (0 when it fits now)."""
        self._trim(now)
        if len(self._sent) < self.limit:
            return 0.0
        return self._sent[0] + self.window - now

    def record(self, now: float) -> None:
        """Count a send at ``now``."""
        self._trim(now)
        self._sent.append(now)

    def count(self, now: float) -> int:
        """Sends inside the window ending at ``now``."""
        self._trim(now)
        return len(self._sent)
