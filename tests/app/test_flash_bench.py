"""The flash-drop benchmark at a small scale: emulators in their own process, real connectors."""

from __future__ import annotations

from bench.flash_drop import run


async def test_a_small_flash_drop_grants_exactly_the_units_without_violations(
    sqlite_db_url: str,
) -> None:
    metrics = await run(
        viewers=90,
        units=12,
        seconds=0.5,
        database_url=sqlite_db_url,
        drain=5.0,
        names=("youtube", "facebook", "twitch"),
    )
    assert metrics["emulators"] == "separate process"
    assert metrics["viewers"] == 90 and metrics["claims_recorded"] == 90  # every line arrived
    assert metrics["holds_granted"] == 12 and metrics["oversell"] == 0
    assert metrics["limit_violations"] == 0
    outcomes = metrics["claim_outcomes"]
    assert outcomes["held"] == 12 and sum(outcomes.values()) == 90
    sent = metrics["outbound_messages"]
    assert {name.split(":")[0] for name in sent} == {"youtube", "facebook", "twitch"}
    assert all(count > 0 for count in sent.values())  # every platform's buyers were answered
    assert metrics["in_app_latency_ms_p50"] > 0
