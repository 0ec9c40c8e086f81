"""Twitch's hard limits before sending: rate tier, duplicates, slow mode (length: test_text)."""

from __future__ import annotations

import pytest

from connectors.twitch.sendlimits import SendLimits


def test_normal_tier_is_20_per_30_seconds() -> None:
    limits = SendLimits()
    for i in range(20):
        assert limits.wait_time(float(i)) == 0
        limits.record(f"m{i}", float(i))
    assert limits.wait_time(20.0) == pytest.approx(10.0)  # the first send leaves at t=30
    assert limits.wait_time(30.0) == 0
    assert limits.wait_time(20.0, count=2) == pytest.approx(11.0)
    assert limits.limits.max_messages == 20


def test_moderator_tier_is_100() -> None:
    limits = SendLimits()
    limits.set_elevated(True)
    for i in range(100):
        assert limits.wait_time(0.0) == 0
        limits.record(f"m{i}", 0.0)
    assert limits.wait_time(0.0) == pytest.approx(30.0)
    assert limits.limits.max_messages == 100
    limits.set_elevated(False)
    assert limits.wait_time(29.0) == pytest.approx(1.0)


def test_more_parts_than_the_tier_never_fit_now() -> None:
    assert SendLimits().wait_time(0.0, count=21) == 30.0


def test_identical_text_within_30_seconds_is_a_duplicate() -> None:
    limits = SendLimits()
    limits.record("Alice: link https://x/1", 0.0)
    assert limits.is_duplicate("alice:  link https://x/1", 29.9)
    assert not limits.is_duplicate("Alice: link https://x/2", 1.0)
    assert not limits.is_duplicate("Alice: link https://x/1", 30.0)


def test_slow_mode_applies_to_non_moderators_only() -> None:
    limits = SendLimits()
    limits.set_slow(10)
    limits.record("a", 0.0)
    assert limits.wait_time(4.0) == pytest.approx(6.0)
    assert limits.limits.min_interval_seconds == 10
    limits.set_elevated(True)
    assert limits.wait_time(4.0) == 0
    assert limits.limits.min_interval_seconds == 0
