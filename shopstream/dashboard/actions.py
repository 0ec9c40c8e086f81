"""The dashboard's control buttons as show commands (pure): a form becomes the same command
a moderator would type in chat, or a refusal the page shows; outcomes become sentences."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from connectors.events import Role
from shopstream.show.commands import ModOutcome, OutcomeKind
from shopstream.show.permissions import Actor
from shopstream.show.state import ShowState

DASHBOARD = Actor(
    platform="dashboard",
    user_id="dashboard",
    name="dashboard",
    roles=frozenset({Role.BROADCASTER}),
)
"""Who the audit log names for a button pressed on the dashboard."""

ACTIONS = ("feature", "next", "pause", "resume", "drop", "close_drop", "close")
MAX_DROP_SECONDS = 6 * 3600


@dataclass(frozen=True, slots=True)
class ControlRequest:
    """A show command to run through the chat commands' path (``duration``: close the drop
    after it, None: until closed)."""

    name: str
    args: tuple[str, ...] = ()
    duration: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """A button's values that change nothing, and why (shown on the page)."""

    message: str


def _whole(text: str | None) -> int | None:
    try:
        return int(str(text or "").strip())
    except ValueError:
        return None


def parse_control(
    action: str,
    form: Mapping[str, str],
    state: ShowState,
    *,
    free_stock: Callable[[str], int | None],
    max_units: int,
) -> ControlRequest | Refused:
    """Check a button's values against the show and turn them into a show command.

    Args:
        action: One of :data:`ACTIONS`.
        form: The posted fields (``code``, ``qty``, ``cap``, ``seconds``).
        state: The show as it stands.
        free_stock: Units of a lineup code that can still be sold (None: unlimited).
        max_units: The largest drop allowed (``[control] max_drop_units``).
    """
    if action not in ACTIONS:
        return Refused("That is not a show control.")
    if action in ("next", "pause", "resume", "close"):
        return ControlRequest(action)
    code = (form.get("code") or "").strip()
    item = state.resolve(code) if code else None
    if item is None:
        shown = code[:40] or "(none)"
        return Refused(f"There is no product {shown!r} in the lineup.")
    if action == "feature":
        return ControlRequest("feature", (item.code,))
    if action == "close_drop":
        if state.drop_for(item.code) is None:
            return Refused(f"There is no open drop of {item.code}.")
        return ControlRequest("close", (item.code,))
    qty = _whole(form.get("qty"))
    if qty is None or qty < 1:
        return Refused("The drop quantity must be a whole number of at least 1.")
    if qty > max_units:
        return Refused(f"A drop can have at most {max_units} units.")
    stock = free_stock(item.code)
    if stock is not None and qty > stock:
        return Refused(f"Only {stock} of {item.code} can be sold now: a drop of {qty} is too many.")
    args: tuple[str, ...] = (item.code, str(qty))
    if (form.get("cap") or "").strip():
        cap = _whole(form.get("cap"))
        if cap is None or cap < 1:
            return Refused("The per-buyer cap must be a whole number of at least 1.")
        if cap > qty:
            return Refused(f"The per-buyer cap ({cap}) is more than the drop's {qty} units.")
        args += (str(cap),)
    duration = None
    if (form.get("seconds") or "").strip():
        seconds = _whole(form.get("seconds"))
        if seconds is None or not 1 <= seconds <= MAX_DROP_SECONDS:
            return Refused(f"The countdown must be 1 to {MAX_DROP_SECONDS} seconds.")
        duration = timedelta(seconds=seconds)
    return ControlRequest("drop", args, duration)


_SAID = {
    "not_in_lineup": "That product is not in the lineup.",
    "bad_quantity": "The drop quantity is not allowed.",
    "bad_cap": "The per-buyer cap is not allowed.",
    "show_closed": "The show is closed: nothing changes any more.",
    "already_paused": "Claims were already paused.",
    "not_paused": "Claims were not paused.",
    "no_open_drop": "There is no open drop of that product.",
    "empty_lineup": "The lineup is empty.",
    "not_allowed": "Not allowed.",
}

_DONE = {
    OutcomeKind.FEATURED: "Featured {code}.",
    OutcomeKind.PAUSED: "Claims paused.",
    OutcomeKind.RESUMED: "Claims resumed.",
    OutcomeKind.DROP_OPENED: "Drop of {qty} × {code} open (at most {cap} each).",
    OutcomeKind.DROP_CLOSED: "Drop of {code} closed.",
    OutcomeKind.SHOW_CLOSED: "The show is closed.",
    OutcomeKind.END_OF_LINEUP: "That was the last product of the lineup.",
}


def outcome_message(outcome: ModOutcome) -> tuple[bool, str]:
    """Whether the command changed the show, and the sentence the page shows."""
    if outcome.kind in _DONE:
        text = _DONE[outcome.kind].format_map(
            {"code": "", "qty": "", "cap": "", **outcome.variables}
        )
        return outcome.changed, text
    return False, _SAID.get(outcome.detail, outcome.detail or "Nothing changed.")


__all__ = [
    "ACTIONS",
    "DASHBOARD",
    "ControlRequest",
    "Refused",
    "outcome_message",
    "parse_control",
]
