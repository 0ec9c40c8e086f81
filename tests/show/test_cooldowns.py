"""Cooldowns and the claim throttle on a fake clock."""

from __future__ import annotations

from shopstream.show import ClaimThrottle, Cooldowns
from shopstream.show.config import CooldownConfig
from tests.support.clock import FakeClock

CFG = CooldownConfig(
    per_user_seconds=20, global_seconds=3, claim_burst=3, claim_refill_per_minute=6
)


def test_per_user_and_global_cooldowns() -> None:
    clock = FakeClock()
    cd = Cooldowns(CFG, clock.monotonic)

    def use(user: str) -> float:
        return cd.try_use(platform="twitch", channel="c1", user_id=user, command="price")

    assert use("a") == 0.0
    assert use("b") == 3.0  # global
    clock.advance(3)
    assert use("b") == 0.0
    clock.advance(3)
    assert use("a") == 14.0  # per user: 20 - 6
    # another channel and another command are independent
    assert cd.try_use(user_id="a", platform="twitch", channel="c2", command="stock") == 0.0
    assert cd.try_use(user_id="z", platform="twitch", channel="c2", command="price") == 0.0
    # same user id on another platform is another person
    assert cd.try_use(user_id="a", platform="youtube", channel="c1", command="price") == 0.0
    clock.advance(14)
    assert use("a") == 0.0


def test_per_user_cooldown_follows_the_viewer_across_channels() -> None:
    clock = FakeClock()
    cd = Cooldowns(CooldownConfig(per_user_seconds=20, global_seconds=0), clock.monotonic)
    assert cd.try_use(platform="twitch", channel="c1", user_id="a", command="help") == 0.0
    assert cd.try_use(platform="twitch", channel="c2", user_id="a", command="help") == 20.0


def test_bypass_and_reset() -> None:
    clock = FakeClock()
    cd = Cooldowns(CFG, clock.monotonic)

    def use(bypass: bool = False) -> float:
        return cd.try_use(platform="t", channel="c", user_id="a", command="help", bypass=bypass)

    assert use() == 0.0
    assert use(bypass=True) == 0.0
    assert use() > 0
    cd.reset()
    assert use() == 0.0


def test_claim_throttle_token_bucket() -> None:
    clock = FakeClock()
    throttle = ClaimThrottle(CFG, clock.monotonic)
    assert [throttle.allow("twitch", "a") for _ in range(4)] == [True, True, True, False]
    assert throttle.allow("twitch", "b")  # other viewers unaffected
    assert throttle.allow("youtube", "a")
    clock.advance(9.9)
    assert not throttle.allow("twitch", "a")
    clock.advance(0.2)  # 6 per minute: one token after 10 s
    assert throttle.allow("twitch", "a")
    clock.advance(3600)
    assert throttle.tokens("twitch", "a") == 3.0


def test_throttle_forgets_idle_viewers_but_not_throttled_ones() -> None:
    clock = FakeClock()
    throttle = ClaimThrottle(CooldownConfig(claim_burst=2, max_tracked=100), clock.monotonic)
    for i in range(150):
        throttle.allow("twitch", f"v{i}")
        clock.advance(60)
    assert throttle.tracked <= 101
    assert [throttle.allow("twitch", "flood") for _ in range(3)] == [True, True, False]
    for i in range(150):
        throttle.allow("twitch", f"w{i}")
    assert not throttle.allow("twitch", "flood")


def test_throttle_counts_exactly_under_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    clock = FakeClock()
    throttle = ClaimThrottle(
        CooldownConfig(claim_burst=50, claim_refill_per_minute=0.001), clock.monotonic
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: throttle.allow("twitch", "v"), range(400)))
    assert sum(results) == 50
