"""The show wires the fairness gate: horizon from settings (or an override), watermarks by name."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine

from connectors.limits import PlatformLimits
from connectors.status import Health, Status
from shopstream.runtime.fairness import derived_horizon
from shopstream.runtime.show import ShowRunner
from shopstream.settings import parse_settings
from shopstream.settings_errors import SettingsError

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


class FakeConnector:
    platform = "twitch"
    limits = PlatformLimits(max_messages=20, window_seconds=30, max_chars=500)

    def __init__(self, name: str, proof_interval: float | None = None) -> None:
        self.name = self.channel = name
        self.health = Health(name, clock=lambda: T0)
        self.proof_interval = proof_interval


def runner(show: dict[str, Any], *connectors: FakeConnector, **kwargs: Any) -> ShowRunner:
    settings = parse_settings({"show": show})
    engine = create_engine("sqlite://")  # the outboxes' sent-key store is built, never used
    core = SimpleNamespace(
        engine=engine,
        settings=settings,
        handler=SimpleNamespace(needs_order=lambda envelope: True),
        records=None,
    )
    return ShowRunner(core, list(connectors), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("show", "override", "horizon"),
    [
        ({}, None, 0.5),  # derived: no connector declares an interval, the margin alone
        ({"fairness_horizon_ms": 750}, None, 0.75),
        ({"fairness_horizon_ms": 0}, None, None),  # off: the short window only
        ({"fairness_horizon_ms": 750}, 0.1, 0.1),
        ({}, 0.0, None),
    ],
)
def test_the_horizon_comes_from_settings_or_the_override(
    show: dict[str, Any], override: float | None, horizon: float | None
) -> None:
    gate = runner(show, fairness_horizon=override).pipeline.gate
    assert (gate.horizon if gate is not None else None) == horizon


def test_a_negative_horizon_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"show\.fairness_horizon_ms"):
        parse_settings({"show": {"fairness_horizon_ms": -1}})


def test_watermarks_are_keyed_by_the_name_envelopes_carry() -> None:
    fb, tw = FakeConnector("facebook"), FakeConnector("twitch")
    show = runner({}, fb, tw)
    fb.name = fb.health.name = "facebook:12345"  # a connector that learns a better name
    fb.health.set(Status.OK)
    fb.health.delivered(T0)
    assert show.watermarks() == {
        "facebook": (Status.OK, T0),
        "twitch": (Status.STARTING, None),
    }


@pytest.mark.parametrize(
    ("intervals", "cap", "expected"),
    [
        ({}, 10.0, 0.5),
        ({"yt": 0.5, "fb": 2.0, "tw": 0.25}, 10.0, 2.5),  # Facebook's backfill is the slowest
        ({"yt": 3.4, "fb": 2.0}, 10.0, 3.9),  # YouTube polling at the 90-minute plan
        ({"yt": 20.0, "fb": 2.0}, 10.0, 10.0),  # an 8-hour plan's poll: the cap
        ({"yt": None, "fb": 2.0}, 10.0, 2.5),  # a paused plan declares nothing
    ],
)
def test_the_derived_horizon_follows_the_slowest_proof(
    intervals: dict[str, float | None], cap: float, expected: float
) -> None:
    assert derived_horizon(intervals, cap=cap) == pytest.approx(expected)


def test_the_show_derives_its_horizon_from_its_connectors() -> None:
    slow, fast = FakeConnector("facebook", 2.0), FakeConnector("twitch", 0.25)
    gate = runner({"fairness_horizon_cap_ms": 2200}, slow, fast).pipeline.gate
    assert gate is not None and gate.horizon == pytest.approx(2.2)  # 2.5 capped at 2.2
