"""Show control: state, moderator commands, permissions, cooldowns, run-of-show, scheduler.

Usage::

    ros = load_run_of_show(path)                     # RunOfShowError lists file:line problems
    state = ShowState(show_id="s1", platforms=("twitch",), lineup=ros.lineup)
    state, outcome = apply_mod_command(state, "drop", ["101", "20"], Actor.from_message(msg),
                                       config=settings.control)
    audit(outcome.audit_record()); announce(outcome.template, outcome.variables)

The scheduler lives in :mod:`shopstream.show.scheduler` (imports APScheduler).
"""

from __future__ import annotations

from shopstream.show.commands import (
    COMMANDS,
    ModOutcome,
    OutcomeKind,
    apply_mod_command,
    open_drop,
)
from shopstream.show.cooldowns import ClaimThrottle, Cooldowns
from shopstream.show.permissions import Actor, Permissions
from shopstream.show.run_of_show import (
    RunOfShow,
    RunOfShowError,
    ScheduledDrop,
    Timer,
    load_run_of_show,
    parse_run_of_show,
)
from shopstream.show.state import Drop, LineupItem, ShowState

__all__ = [
    "COMMANDS",
    "Actor",
    "ClaimThrottle",
    "Cooldowns",
    "Drop",
    "LineupItem",
    "ModOutcome",
    "OutcomeKind",
    "Permissions",
    "RunOfShow",
    "RunOfShowError",
    "ScheduledDrop",
    "ShowState",
    "Timer",
    "apply_mod_command",
    "load_run_of_show",
    "open_drop",
    "parse_run_of_show",
]
