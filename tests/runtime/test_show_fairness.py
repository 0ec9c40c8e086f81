"""The show wires the fairness gate: horizon from settings (or an override), watermarks by name."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine

from connectors.limits import PlatformLimits
from connectors.status import Health, Status
from shopstream.runtime.show import ShowRunner
from shopstream.settings import parse_settings
from shopstream.settings_errors import SettingsError

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


class FakeConnector:
    platform = "twitch"
    limits = PlatformLimits(max_messages=20, window_seconds=30, max_chars=500)

    def __init__(self, name: str) -> None:
        self.name = self.channel = name
        self.health = Health(name, clock=lambda: T0)


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
        ({}, None, 2.0),  # the default: 2000 ms
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
