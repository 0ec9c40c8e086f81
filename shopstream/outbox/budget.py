"""Pure planning against a connector's send budget (``PlatformLimits.sends_left``).

A platform such as YouTube can afford only so many messages a day. When the budget cannot
cover what is queued, the outbox spends it on claim outcomes first, then answers, then
announcements; lower priorities also leave ``claim_reserve`` sends for claims still to come,
so the last units never go on an announcement. What a lower priority cannot get is shed
(dropped and counted); claims are never shed, only held until the budget allows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.events import Priority

ORDER = (Priority.CLAIM, Priority.ANSWER, Priority.ANNOUNCEMENT)


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetPolicy:
    """How an outbox spends a declared send budget.

    ``claim_reserve``: sends answers and announcements must leave for claims to come.
    ``gather_seconds``: when sends are scarce, the longest a coalescible claim waits for
    more buyers to share its message (a full message goes at once).
    ``recheck_seconds``: how often :meth:`Outbox.run` looks again at a spent budget.
    """

    claim_reserve: int = 3
    gather_seconds: float = 3.0
    recheck_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class Need:
    """Messages one queued unit needs: a reply, or a group of buyers packed into one message."""

    key: str
    priority: Priority
    messages: int


@dataclass(frozen=True, slots=True)
class BudgetPlan:
    """What the budget allows now.

    ``allowed``: messages each priority may spend from the budget now; ``shed``: keys of
    lower-priority replies the budget cannot cover (drop them); ``scarce``: fewer sends
    left than the queue needs, or no more than the claim reserve (coalesce harder).
    """

    allowed: Mapping[Priority, int]
    shed: tuple[str, ...]
    scarce: bool


def share(
    sends_left: int, demand: Mapping[Priority, int], *, claim_reserve: int
) -> dict[Priority, int]:
    """Split ``sends_left`` between the priorities, highest first.

    Claims take what they need; each lower priority takes what it needs of what is left
    beyond ``claim_reserve``.
    """
    left = max(0, sends_left)
    allowed: dict[Priority, int] = {}
    for priority in ORDER:
        floor = 0 if priority is Priority.CLAIM else max(0, claim_reserve)
        take = min(max(0, demand.get(priority, 0)), max(0, left - floor))
        allowed[priority] = take
        left -= take
    return allowed


def plan(sends_left: int, queued: Sequence[Need], *, claim_reserve: int) -> BudgetPlan:
    """Decide which queued replies the budget covers.

    Args:
        sends_left: Messages the connector can still afford.
        queued: What is queued, in send order (priority, then arrival).
        claim_reserve: Sends lower priorities leave for claims.

    Returns:
        The allowance per priority, the lower-priority keys to shed (a reply that does not
        fit what its priority is allowed; later, smaller ones may still fit) and whether
        sends are scarce.
    """
    demand = dict.fromkeys(ORDER, 0)
    for need in queued:
        demand[need.priority] = demand.get(need.priority, 0) + need.messages
    allowed = share(sends_left, demand, claim_reserve=claim_reserve)
    used = dict.fromkeys(ORDER, 0)
    shed: list[str] = []
    for need in queued:
        if need.priority is Priority.CLAIM:
            continue  # claims wait for the budget; they are never dropped
        if used[need.priority] + need.messages <= allowed.get(need.priority, 0):
            used[need.priority] += need.messages
        else:
            shed.append(need.key)
    scarce = sends_left < sum(demand.values()) or sends_left <= claim_reserve
    return BudgetPlan(allowed=allowed, shed=tuple(shed), scarce=scarce)
