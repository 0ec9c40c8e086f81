"""The outbox: per-channel reply queues that respect each platform's limits.

Usage (one outbox per connector and channel)::

    store = SqlSentKeys(engine)                      # or MemorySentKeys() in tests
    box = Outbox(connector, platform="twitch", channel="#shop", config=OutboxConfig(),
                 store=store)
    router = OutboxRouter(); router.add(box)
    task_group.create_task(router.run())             # runs until cancelled
    await router.put(reply)                          # from the intent handlers
    box.stats, box.violations()                      # figures; violations must be []

A connector that declares a send budget (``limits.sends_left``, YouTube's quota) gets one
planned by :mod:`shopstream.outbox.budget`; ``Outbox(..., budget=BudgetPolicy(...))`` tunes it.
"""

from __future__ import annotations

from shopstream.outbox.budget import BudgetPolicy
from shopstream.outbox.models import OutboxSentReply
from shopstream.outbox.outbox import Outbox, OutboxStats, ReplySender
from shopstream.outbox.pacing import Pacer, SendRecord, find_violations
from shopstream.outbox.router import OutboxRouter
from shopstream.outbox.store import MemorySentKeys, SentKeyStore, SqlSentKeys

__all__ = [
    "BudgetPolicy",
    "MemorySentKeys",
    "Outbox",
    "OutboxRouter",
    "OutboxSentReply",
    "OutboxStats",
    "Pacer",
    "ReplySender",
    "SendRecord",
    "SentKeyStore",
    "SqlSentKeys",
    "find_violations",
]
