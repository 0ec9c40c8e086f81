"""The outbox's table: every reply to send, and every key ever handed to a connector (sent
once, never again)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


class OutboxSentReply(SQLModel, table=True):
    """One reply key taken by an outbox.

    A reply the pipeline made is written ``queued`` in its batch's transaction (with the
    ``connector`` it goes to, its ``priority`` and the ``reply`` as JSON), so a crash never
    loses it. The row becomes ``sending`` before the connector is asked to send, so a crash
    or a second bot instance can never send the same key twice; it becomes ``sent`` or
    ``failed`` afterwards. ``message_key`` names the outbound message that carried it
    (several keys share one when buyers were coalesced).
    """

    __tablename__ = "outbox_sent_replies"
    __table_args__ = (Index("ix_outbox_sent_replies_connector_status", "connector", "status"),)

    key: str = Field(primary_key=True, max_length=300)
    platform: str = Field(max_length=32)
    channel: str = Field(max_length=255)
    status: str = Field(default="sending", max_length=16, index=True)
    message_key: str = Field(default="", max_length=300)
    platform_message_id: str | None = Field(default=None, max_length=255)
    detail: str | None = Field(default=None, max_length=255)
    taken_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    done_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    connector: str | None = Field(default=None, max_length=255)
    priority: int | None = Field(default=None)
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
