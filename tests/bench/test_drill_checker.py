"""The fault drill's checker counts what was lost and duplicated from its inputs alone."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bench.drill.checker import (
    ClaimRow,
    Delivery,
    Fault,
    HoldRow,
    Report,
    Sample,
    Sent,
    Typed,
    check,
    longest_silence,
    misses,
    status_latency,
    table,
)


def typed(n: int, at: float, platform: str = "twitch", heard: bool = True) -> Typed:
    return Typed(platform, f"m{n}", f"v{n}", at, heard)


def claim(n: int, at: float, platform: str = "twitch", status: str = "held") -> ClaimRow:
    return ClaimRow(platform, f"m{n}", status, at)


def hold(n: int, platform: str = "twitch", viewer: str | None = None) -> HoldRow:
    return HoldRow(f"h{n}", platform, viewer or f"v{n}", "active", 0.0)


LINKS = {"c1": ["h1"], "c2": ["h2"], "c12": ["h1", "h2"]}


def run(**given: object) -> Report:
    args: dict[str, object] = {
        "typed": [],
        "claims": [],
        "holds": [],
        "links": LINKS,
        "sent": [],
        "deliveries": [],
        "applied": set(),
        "faults": [],
        "samples": [],
    }
    args.update(given)
    return check(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lines", "claims", "lost", "unheard", "recorded_anyway"),
    [
        ([typed(1, 1.0)], [claim(1, 1.1)], 0, 0, 0),
        ([typed(1, 1.0)], [], 1, 0, 0),
        ([typed(1, 1.0), typed(2, 2.0)], [claim(2, 2.1)], 1, 0, 0),
        # a Twitch line nobody was connected to receive is excepted, counted apart
        ([typed(1, 1.0, heard=False)], [], 0, 1, 0),
        ([typed(1, 1.0, heard=False)], [claim(1, 1.1)], 0, 1, 1),
        # same message id on another platform is another message
        ([typed(1, 1.0, "youtube")], [claim(1, 1.1, "twitch")], 1, 0, 0),
    ],
)
def test_claims_lost(
    lines: Sequence[Typed],
    claims: Sequence[ClaimRow],
    lost: int,
    unheard: int,
    recorded_anyway: int,
) -> None:
    report = run(typed=lines, claims=claims)
    assert (report.claims_lost, report.unheard, report.unheard_recorded) == (
        lost,
        unheard,
        recorded_anyway,
    )


def test_losses_are_put_on_the_fault_before_them() -> None:
    faults = [Fault("pg_restart", 10.0), Fault("bot_kill9", 20.0)]
    lines = [typed(1, 5.0), typed(2, 11.0), typed(3, 12.0), typed(4, 21.0)]
    report = run(typed=lines, claims=[claim(1, 5.1), claim(3, 12.1)], faults=faults)
    kinds = report.kinds
    assert (kinds["(no fault)"].typed, kinds["(no fault)"].lost) == (1, 0)
    assert (kinds["pg_restart"].typed, kinds["pg_restart"].lost) == (2, 1)
    assert (kinds["bot_kill9"].typed, kinds["bot_kill9"].lost) == (1, 1)


def test_a_claim_without_a_hold_is_counted_by_status() -> None:
    report = run(typed=[typed(1, 1.0)], claims=[claim(1, 1.1, status="failed")])
    assert report.claims_lost == 0
    assert report.claims_without_hold == {"failed": 1}


@pytest.mark.parametrize(
    ("holds", "duplicates"),
    [
        ([hold(1), hold(2)], 0),
        ([hold(1), hold(2, viewer="v1")], 1),
        ([hold(1), hold(2, viewer="v1"), hold(3, viewer="v1")], 2),
        ([hold(1, "twitch"), hold(2, "youtube", viewer="v1")], 0),  # two platforms, two viewers
    ],
)
def test_duplicate_holds(holds: Sequence[HoldRow], duplicates: int) -> None:
    assert run(holds=holds).duplicate_holds == duplicates


@pytest.mark.parametrize(
    ("sent", "kills", "untold", "outside", "inside"),
    [
        ([Sent("twitch", "@a http://x/l/c1", 1.0)], [], 1, 0, 0),  # h2 never told
        ([Sent("twitch", "@a /l/c1 @b /l/c2", 1.0)], [], 0, 0, 0),  # coalesced: both told
        ([Sent("twitch", "/l/c12", 1.0)], [], 0, 0, 0),  # one code for both holds
        ([Sent("twitch", "/l/c1", 1.0), Sent("twitch", "/l/c1 /l/c2", 5.0)], [], 0, 1, 0),
        # sent, killed before the mark was durable, sent again after the restart
        ([Sent("twitch", "/l/c1", 1.0), Sent("twitch", "/l/c1 /l/c2", 5.0)], [2.0], 0, 0, 1),
        # the kill came long after the first copy: not the window
        ([Sent("twitch", "/l/c1", 1.0), Sent("twitch", "/l/c1 /l/c2", 9.0)], [8.0], 0, 1, 0),
        ([Sent("twitch", "/l/unknown /l/c2", 1.0)], [], 1, 0, 0),
    ],
)
def test_told_untold_and_duplicate_replies(
    sent: Sequence[Sent], kills: Sequence[float], untold: int, outside: int, inside: int
) -> None:
    faults = [Fault("bot_kill9", k) for k in kills]
    report = run(holds=[hold(1), hold(2)], sent=sent, faults=faults)
    assert (
        report.held_untold,
        report.duplicate_replies,
        report.duplicate_replies_in_window,
    ) == (untold, outside, inside)


def test_youtube_holds_after_quota_exceeded_wait_for_the_reset() -> None:
    holds = [
        HoldRow("h1", "youtube", "v1", "active", 100.0),  # well before: untold is a loss
        HoldRow("h2", "youtube", "v2", "active", 190.0),  # just before: its reply waits
        HoldRow("h3", "twitch", "v3", "active", 190.0),  # Twitch has no quota
    ]
    report = run(holds=holds, faults=[Fault("youtube_quota", 200.0)])
    assert (report.held_untold, report.untold_after_quota) == (2, 1)


@pytest.mark.parametrize(
    ("deliveries", "applied", "refused", "lost"),
    [
        ([Delivery("w1", 200, 1.0)], {"w1"}, 0, 0),
        ([Delivery("w1", 200, 1.0)], set(), 0, 1),  # answered 200, never applied
        ([Delivery("w1", 503, 1.0)], set(), 1, 0),  # refused: Shopify sends it again
        ([Delivery("w1", 0, 1.0), Delivery("w1", 200, 2.0)], {"w1"}, 1, 0),
        ([Delivery("w1", 0, 1.0), Delivery("w1", 200, 2.0)], set(), 1, 1),
    ],
)
def test_webhooks(
    deliveries: Sequence[Delivery], applied: set[str], refused: int, lost: int
) -> None:
    report = run(deliveries=deliveries, applied=applied)
    assert (report.webhooks_refused, report.webhooks_lost) == (refused, lost)


OK = {"storage": ("ok", 0), "twitch:chan": ("ok", 0)}
DOWN = {"storage": ("reconnecting", 0), "twitch:chan": ("ok", 0)}
SKIPPED = {"storage": ("ok", 0), "twitch:chan": ("ok", 1)}


@pytest.mark.parametrize(
    ("watch", "samples", "until", "latency"),
    [
        (("storage", "down"), [Sample(9.9, OK), Sample(10.2, OK), Sample(10.4, DOWN)], 20, 0.4),
        (("storage", "down"), [Sample(9.9, DOWN), Sample(10.2, OK)], 20, None),  # before it
        (("storage", "down"), [Sample(10.2, OK), Sample(21.0, DOWN)], 20, None),  # too late
        (("twitch", "skipped"), [Sample(9.0, OK), Sample(10.5, SKIPPED)], 20, 0.5),
        (("twitch", "skipped"), [Sample(9.0, SKIPPED), Sample(10.5, SKIPPED)], 20, None),
        (("", "back"), [Sample(10.1, None), Sample(13.0, OK)], 20, 3.0),
        (("storage", "down"), [Sample(10.1, None)], 20, None),  # no answer shows nothing
    ],
)
def test_status_latency(
    watch: tuple[str, str], samples: Sequence[Sample], until: float, latency: float | None
) -> None:
    got = status_latency(Fault("x", 10.0, watch), until, samples)
    assert got == (None if latency is None else pytest.approx(latency))


def test_next_claim_and_the_database_status_target() -> None:
    faults = [Fault("pg_restart", 10.0, ("storage", "down")), Fault("pg_restart", 30.0)]
    samples = [Sample(10.5, DOWN), Sample(30.5, OK)]
    report = run(claims=[claim(1, 12.0), claim(2, 31.5)], faults=faults, samples=samples)
    figures = report.kinds["pg_restart"]
    assert figures.next_claim == [pytest.approx(2.0), pytest.approx(1.5)]
    assert figures.shown == [pytest.approx(0.5)]
    assert misses(report) == []
    restart = Fault("pg_restart", 10.0, ("storage", "down"))
    late = run(faults=[restart], samples=[Sample(11.5, DOWN)])
    assert misses(late) == ["pg_restart: status showed the outage within 1 s in 0 of 1"]
    assert any(line.startswith("pg_restart") for line in table(late))


def test_each_target_missed_is_named() -> None:
    report = run(
        typed=[typed(1, 1.0)],
        holds=[hold(1), hold(2, viewer="v1")],
        deliveries=[Delivery("w1", 200, 1.0)],
        sent=[Sent("twitch", "/l/c2", 1.0), Sent("twitch", "/l/c2", 2.0)],
    )
    assert misses(report) == [
        "claims lost: 1 (target 0)",
        "duplicate holds: 1 (target 0)",
        "duplicate replies outside the window: 1 (target 0)",
        "held claims never told: 1 (target 0)",
        "webhooks lost: 1 (target 0)",
    ]


@pytest.mark.parametrize(
    ("answers", "silence"),
    [
        ([(10.0, True), (10.5, True)], 0.0),
        ([(10.0, True), (10.5, False), (11.0, False), (11.5, True)], 1.0),
        ([(9.0, False), (10.5, False), (12.0, False)], 1.5),  # only from the fault on
        ([(10.5, False), (11.0, True), (12.0, False), (19.0, False), (25.0, False)], 7.0),
    ],
)
def test_longest_silence_of_the_status_endpoint(
    answers: Sequence[tuple[float, bool]], silence: float
) -> None:
    samples = [Sample(at, OK if ok else None) for at, ok in answers]
    assert longest_silence(10.0, 20.0, samples) == pytest.approx(silence)


def test_a_lost_claim_names_the_faults_around_it() -> None:
    """The fault that lost a line may be the next one (a kill while it waited in the bot)."""
    faults = [Fault("pg_terminate", 10.0), Fault("bot_kill9", 12.5)]
    report = run(typed=[typed(1, 11.8), typed(2, 13.0)], faults=faults)
    assert report.lost_examples == [
        "twitch:m1 (1.80 s after pg_terminate, 0.70 s before bot_kill9)",
        "twitch:m2 (0.50 s after bot_kill9)",
    ]


def test_a_webhook_delivered_while_the_database_is_down_is_a_database_outage() -> None:
    fault = Fault("webhook_db_down", 10.0, ("storage", "down"))
    late = run(faults=[fault], samples=[Sample(11.5, {"storage": ("reconnecting", 0)})])
    assert misses(late) == ["webhook_db_down: status showed the outage within 1 s in 0 of 1"]


def test_youtube_lines_not_yet_read_at_quotaexceeded_wait_for_the_reset() -> None:
    """YouTube reads in order: lines after the last one read before the quota ran out wait
    behind the read position; one skipped before a later line was read is lost."""
    faults = [Fault("youtube_5xx", 10.0), Fault("youtube_quota", 12.5)]
    lines = [typed(n, at, "youtube") for n, at in ((1, 9.0), (2, 10.5), (3, 11.0), (4, 12.0))]
    report = run(typed=lines, claims=[claim(1, 9.2, "youtube")], faults=faults)
    assert (report.claims_lost, report.unread_at_quota) == (0, 3)
    skipped = run(
        typed=lines, claims=[claim(1, 9.2, "youtube"), claim(3, 13.0, "youtube")], faults=faults
    )
    assert (skipped.claims_lost, skipped.unread_at_quota) == (1, 1)  # 2 lost, 4 waits
