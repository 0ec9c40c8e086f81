"""Moderator commands: a table of (state, command, actor) -> (state, outcome), and permissions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.events import ChatMessage, Role
from shopstream.show import (
    Actor,
    Drop,
    LineupItem,
    OutcomeKind,
    Permissions,
    ShowState,
    apply_mod_command,
)
from shopstream.show.config import PermissionsConfig, ShowControlConfig

MOD = Actor(platform="twitch", user_id="1", name="Mod", roles=frozenset({Role.MODERATOR}))
HOST = Actor(platform="youtube", user_id="UC1", name="Host", roles=frozenset({Role.BROADCASTER}))
VIEWER = Actor(platform="facebook", user_id="42", name="Viewer", roles=frozenset({Role.MEMBER}))
LINEUP = (
    LineupItem(code="101", handle="classic-tee"),
    LineupItem(code="102", handle="hoodie"),
    LineupItem(code="103", handle="cap"),
)
BASE = ShowState(show_id="s1", platforms=("twitch", "youtube"), lineup=LINEUP)


@pytest.mark.parametrize(
    ("state", "name", "args", "kind", "expect"),
    [
        (BASE, "feature", ["102"], OutcomeKind.FEATURED, {"featured": "102"}),
        (BASE, "!FEATURE", ["Hoodie"], OutcomeKind.FEATURED, {"featured": "102"}),
        (BASE, "feature", ["999"], OutcomeKind.INVALID, {}),
        (BASE, "feature", [], OutcomeKind.INVALID, {}),
        (BASE, "next", [], OutcomeKind.FEATURED, {"featured": "101"}),
        (replace(BASE, featured="101"), "next", [], OutcomeKind.FEATURED, {"featured": "102"}),
        (replace(BASE, featured="103"), "next", [], OutcomeKind.END_OF_LINEUP, {}),
        (ShowState(show_id="s"), "next", [], OutcomeKind.INVALID, {}),
        (BASE, "pause", [], OutcomeKind.PAUSED, {"paused": True}),
        (replace(BASE, paused=True), "pause", [], OutcomeKind.UNCHANGED, {}),
        (replace(BASE, paused=True), "resume", [], OutcomeKind.RESUMED, {"paused": False}),
        (BASE, "resume", [], OutcomeKind.UNCHANGED, {}),
        (BASE, "close", [], OutcomeKind.SHOW_CLOSED, {"closed": True, "drops": ()}),
        (replace(BASE, closed=True), "pause", [], OutcomeKind.INVALID, {}),
        (BASE, "close", ["101"], OutcomeKind.INVALID, {}),
        (BASE, "dance", [], OutcomeKind.INVALID, {}),
        (
            BASE, "drop", ["101", "20"], OutcomeKind.DROP_OPENED,
            {"featured": "101", "drops": (Drop(code="101", total=20, remaining=20, cap=1),)},
        ),
        (
            BASE, "drop", ["hoodie", "5", "2"], OutcomeKind.DROP_OPENED,
            {"drops": (Drop(code="102", total=5, remaining=5, cap=2),)},
        ),
        (
            BASE, "drop", ["101", "2", "9"], OutcomeKind.DROP_OPENED,
            {"drops": (Drop(code="101", total=2, remaining=2, cap=2),)},
        ),
        (BASE, "drop", ["101", "0"], OutcomeKind.INVALID, {}),
        (BASE, "drop", ["101", "twenty"], OutcomeKind.INVALID, {}),
        (BASE, "drop", ["101", "5", "-1"], OutcomeKind.INVALID, {}),
        (BASE, "drop", ["101", "99999"], OutcomeKind.INVALID, {}),
        (BASE, "drop", ["101"], OutcomeKind.INVALID, {}),
        (BASE, "drop", ["777", "5"], OutcomeKind.INVALID, {}),
        (
            replace(BASE, drops=(Drop(code="101", total=5, remaining=3, cap=1),)),
            "close", ["101"], OutcomeKind.DROP_CLOSED, {"drops": ()},
        ),
    ],
)  # fmt: skip
def test_command_table(
    state: ShowState, name: str, args: list[str], kind: OutcomeKind, expect: dict[str, object]
) -> None:
    new, outcome = apply_mod_command(state, name, args, MOD)
    assert outcome.kind is kind
    for field_name, value in expect.items():
        assert getattr(new, field_name) == value
    if kind in (OutcomeKind.INVALID, OutcomeKind.UNCHANGED, OutcomeKind.END_OF_LINEUP):
        assert new is state
        assert not outcome.changed
    else:
        assert outcome.changed
        assert outcome.template is not None


def test_drop_outcome_carries_announcement_variables() -> None:
    _, outcome = apply_mod_command(BASE, "drop", ["101", "20", "2"], HOST)
    assert outcome.template == "drop_open"
    assert dict(outcome.variables) == {
        "code": "101",
        "handle": "classic-tee",
        "qty": "20",
        "cap": "2",
    }


def test_viewers_are_denied_and_state_is_untouched() -> None:
    new, outcome = apply_mod_command(BASE, "close", [], VIEWER)
    assert new is BASE
    assert outcome.kind is OutcomeKind.DENIED
    assert outcome.actor == VIEWER
    assert outcome.command == "close"
    assert outcome.template is None


def test_allow_and_deny_lists_per_platform() -> None:
    config = ShowControlConfig(
        permissions=PermissionsConfig(
            allow={"facebook": ("42",), "*": ("helper",)}, deny={"twitch": ("mod",)}
        )
    )
    assert apply_mod_command(BASE, "pause", [], VIEWER, config=config)[1].kind is OutcomeKind.PAUSED
    helper = Actor(platform="youtube", user_id="x", name="Helper")
    assert apply_mod_command(BASE, "pause", [], helper, config=config)[1].kind is OutcomeKind.PAUSED
    # the deny list wins over the moderator role
    assert apply_mod_command(BASE, "pause", [], MOD, config=config)[1].kind is OutcomeKind.DENIED
    other = replace(VIEWER, platform="youtube")
    assert apply_mod_command(BASE, "pause", [], other, config=config)[1].kind is OutcomeKind.DENIED


def test_actor_from_message_and_roles() -> None:
    from datetime import UTC, datetime

    msg = ChatMessage(
        platform="twitch", channel="c", message_id="m", author_id="7", author_name="Zed",
        text="!pause", sent_at=datetime(2026, 11, 23, tzinfo=UTC),
        roles=frozenset({Role.BROADCASTER}),
    )  # fmt: skip
    actor = Actor.from_message(msg)
    assert Permissions().allows(actor)
    assert not Permissions().allows(replace(actor, roles=frozenset({Role.VIP})))
    assert Permissions(PermissionsConfig(roles=("vip",))).allows(
        replace(actor, roles=frozenset({Role.VIP}))
    )


def test_state_helpers() -> None:
    state = replace(BASE, drops=(Drop(code="101", total=5, remaining=2, cap=1),))
    assert state.with_drop_taken("101", 3).drop_for("101") == Drop(
        code="101", total=5, remaining=0, cap=1
    )
    assert state.with_drop_taken("102", 1) is state
    assert state.handle_for("101") == "classic-tee"
    assert state.handle_for("nope") is None
    assert BASE.claims_open
    assert not replace(BASE, paused=True).claims_open


def test_audit_record_names_actor_and_outcome() -> None:
    _, outcome = apply_mod_command(BASE, "drop", ["101", "5"], VIEWER)
    assert outcome.audit_record() == {
        "command": "drop",
        "args": "101 5",
        "outcome": "denied",
        "detail": "not_allowed",
        "platform": "facebook",
        "user_id": "42",
        "user_name": "Viewer",
        "roles": "member",
    }


@given(
    name=st.sampled_from(["feature", "next", "pause", "resume", "drop", "close", "x", "!DROP", ""]),
    args=st.lists(
        st.sampled_from(["101", "hoodie", "0", "-3", "20", "1e9", "", " ", "x"]), max_size=4
    ),
    moderator=st.booleans(),
)
def test_any_command_yields_a_valid_state(name: str, args: list[str], moderator: bool) -> None:
    actor = MOD if moderator else VIEWER
    new, outcome = apply_mod_command(BASE, name, args, actor)
    assert (new is BASE) == (not outcome.changed)
    for drop in new.drops:
        assert 1 <= drop.cap <= drop.total == drop.remaining
        assert new.resolve(drop.code) is not None
    if not moderator:
        assert outcome.kind is OutcomeKind.DENIED
