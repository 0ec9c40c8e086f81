"""Moderator commands as a pure function: (state, command, actor) -> (new state, outcome)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from shopstream.show.config import ShowControlConfig
from shopstream.show.permissions import Actor, Permissions
from shopstream.show.state import Drop, ShowState

COMMANDS = ("feature", "next", "pause", "resume", "drop", "close")


class OutcomeKind(StrEnum):
    """What a moderator command did."""

    FEATURED = "featured"
    PAUSED = "paused"
    RESUMED = "resumed"
    DROP_OPENED = "drop_opened"
    DROP_CLOSED = "drop_closed"
    SHOW_CLOSED = "show_closed"
    UNCHANGED = "unchanged"
    END_OF_LINEUP = "end_of_lineup"
    INVALID = "invalid"
    DENIED = "denied"


_TEMPLATES = {
    OutcomeKind.FEATURED: "featured",
    OutcomeKind.PAUSED: "paused",
    OutcomeKind.RESUMED: "resumed",
    OutcomeKind.DROP_OPENED: "drop_open",
    OutcomeKind.DROP_CLOSED: "drop_closed",
    OutcomeKind.SHOW_CLOSED: "show_closed",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModOutcome:
    """The result of one moderator command.

    ``template`` names the reply template to announce on every platform (None: nothing
    to announce); ``variables`` carry ``code``/``handle``/``qty``/``cap`` and the app adds
    ``product`` and ``price`` from the catalog. ``detail`` is a stable reason key for
    invalid commands. Every outcome belongs in the audit log; DENIED ones must go there.
    """

    kind: OutcomeKind
    command: str
    args: tuple[str, ...]
    actor: Actor
    detail: str = ""
    variables: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def template(self) -> str | None:
        """The reply template key to announce, if any."""
        return _TEMPLATES.get(self.kind)

    def audit_record(self) -> dict[str, str]:
        """Return the fields the app writes to the audit log for this command."""
        return {
            "command": self.command,
            "args": " ".join(self.args),
            "outcome": str(self.kind),
            "detail": self.detail,
            "platform": self.actor.platform,
            "user_id": self.actor.user_id or "",
            "user_name": self.actor.name or "",
            "roles": ",".join(sorted(str(r) for r in self.actor.roles)),
        }

    @property
    def changed(self) -> bool:
        """Whether the command changed the show state."""
        return self.kind in _TEMPLATES


def _positive_int(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if value > 0 else None


def open_drop(state: ShowState, code: str, qty: int, cap: int) -> ShowState:
    """Return ``state`` with a drop of ``qty`` units (``cap`` per buyer) open and featured."""
    drop = Drop(code=code, total=qty, remaining=qty, cap=min(cap, qty))
    return replace(state.with_drop(drop), featured=code)


def apply_mod_command(
    state: ShowState,
    name: str,
    args: Sequence[str],
    actor: Actor,
    *,
    permissions: Permissions | None = None,
    config: ShowControlConfig | None = None,
) -> tuple[ShowState, ModOutcome]:
    """Apply one moderator command (pure; no I/O).

    Commands: ``feature <code>``, ``next``, ``pause``, ``resume``,
    ``drop <code> <qty> [cap]`` (opens a limited drop and features it),
    ``close [code]`` (with a code: close that drop; without: close the show).

    Args:
        state: The current show state.
        name: The command name, with or without ``!`` (case-insensitive).
        args: Its arguments as typed.
        actor: Who typed it.
        permissions: Who may (default: broadcaster and moderators).
        config: Drop defaults and limits.

    Returns:
        The new state (the same object when nothing changed) and the outcome.
    """
    config = config or ShowControlConfig()
    permissions = permissions or Permissions(config.permissions)
    command = name.strip().lstrip("!").casefold()
    argv = tuple(a for a in (str(x).strip() for x in args) if a)

    def out(kind: OutcomeKind, detail: str = "", **variables: str) -> ModOutcome:
        return ModOutcome(
            kind=kind, command=command, args=argv, actor=actor, detail=detail, variables=variables
        )

    if not permissions.allows(actor):
        return state, out(OutcomeKind.DENIED, "not_allowed")
    if command not in COMMANDS:
        return state, out(OutcomeKind.INVALID, "unknown_command")
    if state.closed:
        return state, out(OutcomeKind.INVALID, "show_closed")

    if command == "pause":
        if state.paused:
            return state, out(OutcomeKind.UNCHANGED, "already_paused")
        return replace(state, paused=True), out(OutcomeKind.PAUSED)
    if command == "resume":
        if not state.paused:
            return state, out(OutcomeKind.UNCHANGED, "not_paused")
        return replace(state, paused=False), out(OutcomeKind.RESUMED)
    if command == "next":
        return _next(state, out)
    if command == "feature":
        if len(argv) != 1:
            return state, out(OutcomeKind.INVALID, "usage: !feature <code>")
        item = state.resolve(argv[0])
        if item is None:
            return state, out(OutcomeKind.INVALID, "not_in_lineup", code=argv[0])
        new = replace(state, featured=item.code)
        return new, out(OutcomeKind.FEATURED, code=item.code, handle=item.handle)
    if command == "drop":
        return _drop(state, argv, config, out)
    # close
    if not argv:
        return replace(state, closed=True, drops=()), out(OutcomeKind.SHOW_CLOSED)
    item = state.resolve(argv[0])
    if item is None or state.drop_for(item.code) is None:
        return state, out(OutcomeKind.INVALID, "no_open_drop", code=argv[0])
    return state.without_drop(item.code), out(
        OutcomeKind.DROP_CLOSED, code=item.code, handle=item.handle
    )


class _Out(Protocol):
    def __call__(self, kind: OutcomeKind, detail: str = "", **variables: str) -> ModOutcome:
        """Build an outcome of the current command."""
        ...


def _next(state: ShowState, out: _Out) -> tuple[ShowState, ModOutcome]:
    if not state.lineup:
        return state, out(OutcomeKind.INVALID, "empty_lineup")
    codes = [item.code for item in state.lineup]
    if state.featured not in codes:
        item = state.lineup[0]
    else:
        index = codes.index(state.featured) + 1
        if index >= len(codes):
            return state, out(OutcomeKind.END_OF_LINEUP)
        item = state.lineup[index]
    new = replace(state, featured=item.code)
    return new, out(OutcomeKind.FEATURED, code=item.code, handle=item.handle)


def _drop(
    state: ShowState, argv: tuple[str, ...], config: ShowControlConfig, out: _Out
) -> tuple[ShowState, ModOutcome]:
    if len(argv) not in (2, 3):
        return state, out(OutcomeKind.INVALID, "usage: !drop <code> <qty> [cap]")
    item = state.resolve(argv[0])
    if item is None:
        return state, out(OutcomeKind.INVALID, "not_in_lineup", code=argv[0])
    qty = _positive_int(argv[1])
    if qty is None or qty > config.max_drop_units:
        return state, out(OutcomeKind.INVALID, "bad_quantity", code=item.code)
    cap = config.default_drop_cap
    if len(argv) == 3:
        given = _positive_int(argv[2])
        if given is None:
            return state, out(OutcomeKind.INVALID, "bad_cap", code=item.code)
        cap = given
    new = open_drop(state, item.code, qty, cap)
    return new, out(
        OutcomeKind.DROP_OPENED,
        code=item.code,
        handle=item.handle,
        qty=str(qty),
        cap=str(min(cap, qty)),
    )
