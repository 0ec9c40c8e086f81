"""The outbox: per-channel reply queues that respect each platform's limits."""

from __future__ import annotations

from shopstream.outbox.models import OutboxSentReply
from shopstream.outbox.outbox import Outbox, OutboxStats, ReplySender
from shopstream.outbox.pacing import Pacer, SendRecord, find_violations
from shopstream.outbox.router import OutboxRouter
from shopstream.outbox.store import MemorySentKeys, SentKeyStore, SqlSentKeys

__all__ = [
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
