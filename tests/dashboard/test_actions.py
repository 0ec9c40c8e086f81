"""The control buttons' values as show commands (pure), and outcomes in plain words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopstream.dashboard.actions import (
    DASHBOARD,
    ControlRequest,
    Refused,
    outcome_message,
    parse_control,
)
from shopstream.show.commands import apply_mod_command
from shopstream.show.state import Drop, LineupItem, ShowState

STATE = ShowState(
    show_id="s",
    lineup=(LineupItem(code="101", handle="tee"), LineupItem(code="201", handle="serum")),
    drops=(Drop(code="201", total=5, remaining=5, cap=1),),
)
STOCK = {"101": 10, "201": None}  # 201: not tracked


@pytest.mark.parametrize(
    ("action", "form", "expected"),
    [
        ("next", {}, ControlRequest("next")),
        ("pause", {}, ControlRequest("pause")),
        ("resume", {"code": "ignored"}, ControlRequest("resume")),
        ("close", {}, ControlRequest("close")),
        ("feature", {"code": "101"}, ControlRequest("feature", ("101",))),
        ("feature", {"code": "tee"}, ControlRequest("feature", ("101",))),  # by handle
        ("feature", {"code": ""}, Refused("There is no product '(none)' in the lineup.")),
        ("feature", {"code": "555"}, Refused("There is no product '555' in the lineup.")),
        ("drop", {"code": "101", "qty": "4"}, ControlRequest("drop", ("101", "4"))),
        (
            "drop",
            {"code": "101", "qty": "4", "cap": "2"},
            ControlRequest("drop", ("101", "4", "2")),
        ),
        (
            "drop",
            {"code": "101", "qty": "4", "cap": "", "seconds": "90"},
            ControlRequest("drop", ("101", "4"), timedelta(seconds=90)),
        ),
        ("drop", {"code": "201", "qty": "500"}, ControlRequest("drop", ("201", "500"))),
        (
            "drop",
            {"code": "101", "qty": "-1"},
            Refused("The drop quantity must be a whole number of at least 1."),
        ),
        (
            "drop",
            {"code": "101", "qty": "0"},
            Refused("The drop quantity must be a whole number of at least 1."),
        ),
        (
            "drop",
            {"code": "101", "qty": "2.5"},
            Refused("The drop quantity must be a whole number of at least 1."),
        ),
        (
            "drop",
            {"code": "101"},
            Refused("The drop quantity must be a whole number of at least 1."),
        ),
        (
            "drop",
            {"code": "101", "qty": "11"},
            Refused("Only 10 of 101 can be sold now: a drop of 11 is too many."),
        ),
        ("drop", {"code": "201", "qty": "1001"}, Refused("A drop can have at most 1000 units.")),
        (
            "drop",
            {"code": "101", "qty": "4", "cap": "5"},
            Refused("The per-buyer cap (5) is more than the drop's 4 units."),
        ),
        (
            "drop",
            {"code": "101", "qty": "4", "cap": "-2"},
            Refused("The per-buyer cap must be a whole number of at least 1."),
        ),
        (
            "drop",
            {"code": "101", "qty": "4", "seconds": "0"},
            Refused("The countdown must be 1 to 21600 seconds."),
        ),
        (
            "drop",
            {"code": "101", "qty": "4", "seconds": "soon"},
            Refused("The countdown must be 1 to 21600 seconds."),
        ),
        ("close_drop", {"code": "201"}, ControlRequest("close", ("201",))),
        ("close_drop", {"code": "101"}, Refused("There is no open drop of 101.")),
        ("launch", {}, Refused("That is not a show control.")),
    ],
)
def test_a_form_becomes_the_chat_command_or_a_refusal(
    action: str, form: dict[str, str], expected: ControlRequest | Refused
) -> None:
    got = parse_control(action, form, STATE, free_stock=STOCK.get, max_units=1000)
    assert got == expected


@pytest.mark.parametrize(
    ("name", "args", "changed", "said"),
    [
        ("pause", (), True, "Claims paused."),
        ("resume", (), False, "Claims were not paused."),
        ("feature", ("201",), True, "Featured 201."),
        ("drop", ("101", "3", "2"), True, "Drop of 3 × 101 open (at most 2 each)."),
        ("close", ("201",), True, "Drop of 201 closed."),
        ("close", ("101",), False, "There is no open drop of that product."),
        ("feature", ("x",), False, "That product is not in the lineup."),
    ],
)
def test_outcomes_in_plain_words(
    name: str, args: tuple[str, ...], changed: bool, said: str
) -> None:
    _, outcome = apply_mod_command(STATE, name, args, DASHBOARD)
    assert outcome_message(outcome) == (changed, said)
