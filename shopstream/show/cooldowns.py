"""Cooldowns of viewer commands and a per-viewer claim-flood throttle (clock injected)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from shopstream.show.config import CooldownConfig

Clock = Callable[[], float]


class Cooldowns:
    """Per-user and global (per channel) cooldowns for viewer commands such as questions.

    A viewer's cooldown follows them per platform (not per channel), and the global one
    is per platform channel, so one busy channel never silences another. Safe to call
    from several threads (handlers run in worker threads).
    """

    def __init__(self, config: CooldownConfig | None = None, clock: Clock = time.monotonic):
        self.config = config or CooldownConfig()
        self._clock = clock
        self._user: dict[tuple[str, str, str], float] = {}
        self._global: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def try_use(
        self,
        *,
        platform: str,
        channel: str,
        user_id: str | None,
        command: str,
        bypass: bool = False,
        on_undo: Callable[[Callable[[], None]], None] | None = None,
    ) -> float:
        """Use ``command`` now if no cooldown blocks it.

        Args:
            platform: The viewer's platform.
            channel: The platform channel.
            user_id: The viewer (None: only the global cooldown applies).
            command: The command or question kind.
            bypass: Skip the cooldowns (moderators); the use is still recorded.
            on_undo: Given, when the use is recorded, what puts the cooldowns back as they
                were (the handler runs it if the batch's unit of work rolls back, so its
                retry is not cooled down by the try that left nothing).

        Returns:
            0.0 if allowed (and recorded), else the seconds left before it is allowed.
        """
        with self._lock:
            gkey = (platform, channel, command)
            ukey = (platform, user_id or "", command)
            before = (self._global.get(gkey), self._user.get(ukey))
            wait = self._try_use(platform, channel, user_id, command, bypass)
        if wait == 0.0 and on_undo is not None:
            on_undo(lambda: self._restore(gkey, ukey, before))
        return wait

    def _restore(
        self,
        gkey: tuple[str, str, str],
        ukey: tuple[str, str, str],
        before: tuple[float | None, float | None],
    ) -> None:
        with self._lock:
            for table, key, value in (
                (self._global, gkey, before[0]),
                (self._user, ukey, before[1]),
            ):
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value

    def _try_use(
        self, platform: str, channel: str, user_id: str | None, command: str, bypass: bool
    ) -> float:
        now = self._clock()
        gkey = (platform, channel, command)
        ukey = (platform, user_id or "", command)
        if not bypass:
            wait = self._global.get(gkey, now) - now
            if user_id is not None:
                wait = max(wait, self._user.get(ukey, now) - now)
            if wait > 0:
                return wait
        self._global[gkey] = now + self.config.global_seconds
        if user_id is not None:
            self._user[ukey] = now + self.config.per_user_seconds
            if len(self._user) > self.config.max_tracked:
                self._user = {k: v for k, v in self._user.items() if v > now}
        return 0.0

    def reset(self) -> None:
        """Forget every cooldown (new show)."""
        with self._lock:
            self._user.clear()
            self._global.clear()


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class ClaimThrottle:
    """A token bucket per viewer: ``claim_burst`` claims at once, then a steady refill.

    Safe to call from several threads.
    """

    def __init__(self, config: CooldownConfig | None = None, clock: Clock = time.monotonic):
        self.config = config or CooldownConfig()
        self._clock = clock
        self._rate = self.config.claim_refill_per_minute / 60.0
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: tuple[str, str], now: float) -> _Bucket:
        burst = float(self.config.claim_burst)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=burst, at=now)
            self._buckets[key] = bucket
        else:
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
        return bucket

    def allow(self, platform: str, user_id: str) -> bool:
        """Take one claim token for the viewer; False means throttled (ignore the claim)."""
        with self._lock:
            now = self._clock()
            bucket = self._bucket((platform, user_id), now)
            if bucket.tokens < 1.0:
                return False
            bucket.tokens -= 1.0
            if len(self._buckets) > self.config.max_tracked:
                self._forget_full(now)
            return True

    def refund(self, platform: str, user_id: str) -> None:
        """Give back a token :meth:`allow` took for work that did not stay (a batch whose
        unit of work rolled back is tried again, and must find the token it took)."""
        with self._lock:
            bucket = self._bucket((platform, user_id), self._clock())
            bucket.tokens = min(float(self.config.claim_burst), bucket.tokens + 1.0)

    @property
    def tracked(self) -> int:
        """Viewers currently tracked (idle, full buckets are forgotten past ``max_tracked``)."""
        return len(self._buckets)

    def tokens(self, platform: str, user_id: str) -> float:
        """Return the claims the viewer may make right now."""
        with self._lock:
            return self._bucket((platform, user_id), self._clock()).tokens

    def _forget_full(self, now: float) -> None:
        burst = float(self.config.claim_burst)
        self._buckets = {
            k: b for k, b in self._buckets.items() if b.tokens + (now - b.at) * self._rate < burst
        }
