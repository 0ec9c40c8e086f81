"""The application's own tables: processed messages, claims, the audit log and connector cursors.

Catalog mirror, holds and waitlists live in :mod:`shop_sync.models`; short links and orders in
:mod:`checkout_links.models`. All share SQLModel's one metadata, and Alembic migrates them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shopstream.storage.types import UTCDateTime


def _ts(**kw: object) -> object:
    return Field(sa_column=Column(UTCDateTime(), **kw))  # type: ignore[arg-type]


class ProcessedMessage(SQLModel, table=True):
    """Every chat message taken in, once: the (platform, message_id) gate of invariant 2."""

    __tablename__ = "processed_messages"
    __table_args__ = (UniqueConstraint("platform", "message_id", name="uq_processed_message"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    message_id: str = Field(max_length=255)
    channel: str = Field(max_length=255)
    author_id: str | None = Field(default=None, max_length=255)
    author_name: str | None = Field(default=None, max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    sent_at: datetime = _ts(nullable=False, index=True)  # type: ignore[assignment]
    received_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    intent: str = Field(default="pending", max_length=32)
    outcome: str | None = Field(default=None, max_length=64)


class Claim(SQLModel, table=True):
    """One buy message and what became of it (``shopstream claims`` lists these)."""

    __tablename__ = "claims"

    id: int | None = Field(default=None, primary_key=True)
    claim_key: str = Field(max_length=300, unique=True)
    show_id: str = Field(max_length=120, index=True)
    platform: str = Field(max_length=32)
    message_id: str = Field(max_length=255)
    viewer_id: str | None = Field(default=None, max_length=255)
    viewer_name: str | None = Field(default=None, max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    product: str | None = Field(default=None, max_length=255)
    sku: str | None = Field(default=None, max_length=255)
    variant_id: str | None = Field(default=None, max_length=64)
    quantity: int = 1
    status: str = Field(max_length=32, index=True)
    hold_id: str | None = Field(default=None, max_length=64)
    sent_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    created_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    updated_at: datetime = _ts(nullable=False)  # type: ignore[assignment]


class AuditEntry(SQLModel, table=True):
    """Append-only log of claims, moderation and refused commands."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, index=True)  # type: ignore[assignment]
    kind: str = Field(max_length=64)
    platform: str | None = Field(default=None, max_length=32)
    actor: str | None = Field(default=None, max_length=255)
    subject: str | None = Field(default=None, max_length=300)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ConnectorCursor(SQLModel, table=True):
    """Where a connector resumes (YouTube page token, Facebook last comment time)."""

    __tablename__ = "connector_cursors"

    key: str = Field(primary_key=True, max_length=255)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _ts(nullable=False)  # type: ignore[assignment]


class ChatReceipt(SQLModel, table=True):
    """A chat message of a connector that cannot read again (Twitch), stored as it arrived
    and deleted once its batch committed: what a crash caught in flight is handled at the
    next start (see :mod:`shopstream.runtime.receipts`)."""

    __tablename__ = "chat_receipts"
    __table_args__ = (UniqueConstraint("platform", "message_id", name="uq_chat_receipt"),)

    id: int | None = Field(default=None, primary_key=True)
    connector: str = Field(max_length=255)
    platform: str = Field(max_length=32)
    message_id: str = Field(max_length=255)
    message: str = Field(sa_column=Column(Text, nullable=False))  # the ChatMessage as JSON
    received_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
