"""Tables of the store mirror, the webhook inbox and the holds (one shared SQLModel metadata).

Datetimes are stored as UTC; SQLite hands them back naive, so read them through :func:`utc`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Integer, Table, Text
from sqlmodel import Field, SQLModel


def utc(value: datetime | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime (SQLite returns naive UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _ts(*, index: bool = False, nullable: bool = True) -> datetime | None:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), index=index, nullable=nullable),
    )


class ShopProduct(SQLModel, table=True):
    """One product of the store."""

    __tablename__ = "shop_product"

    product_id: str = Field(primary_key=True, max_length=32)
    gid: str = Field(max_length=80)
    handle: str = Field(index=True, max_length=255)
    title: str = Field(default="", max_length=512)
    status: str = Field(default="ACTIVE", max_length=16)
    tags: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    options_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    updated_at: datetime | None = _ts()
    synced_at: datetime | None = _ts()


class ShopVariant(SQLModel, table=True):
    """One variant: ids, options, price (a decimal string), tracking and policy."""

    __tablename__ = "shop_variant"

    variant_id: str = Field(primary_key=True, max_length=32)
    gid: str = Field(max_length=80)
    product_id: str = Field(index=True, max_length=32)
    inventory_item_id: str = Field(default="", index=True, max_length=32)
    sku: str = Field(default="", index=True, max_length=255)
    title: str = Field(default="", max_length=512)
    position: int = 1
    option1: str | None = Field(default=None, max_length=255)
    option2: str | None = Field(default=None, max_length=255)
    option3: str | None = Field(default=None, max_length=255)
    price: str = Field(default="0", max_length=32)
    currency: str = Field(default="", max_length=8)
    tracked: bool = True
    policy: str = Field(default="DENY", max_length=16)
    updated_at: datetime | None = _ts()
    synced_at: datetime | None = _ts()


class ShopLevel(SQLModel, table=True):
    """Available quantity of one inventory item at one location."""

    __tablename__ = "shop_level"

    inventory_item_id: str = Field(primary_key=True, max_length=32)
    location_id: str = Field(primary_key=True, max_length=32)
    available: int = 0
    updated_at: datetime | None = _ts()


class ShopWebhookEvent(SQLModel, table=True):
    """A received webhook, recorded before it is applied."""

    __tablename__ = "shop_webhook_event"

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: str = Field(default="", max_length=128)
    topic: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime | None = _ts()
    applied_at: datetime | None = _ts(index=True)
    attempts: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, default=0, server_default="0")
    )
    error: str | None = Field(default=None, max_length=512)  # the last apply error
    next_attempt_at: datetime | None = _ts()  # when the inbox worker may try it (again)
    failed_at: datetime | None = _ts()  # given up after its last attempt: kept, shown in status


class ShopWebhookSeen(SQLModel, table=True):
    """A webhook or event id already received (dedupe for at least 5 hours)."""

    __tablename__ = "shop_webhook_seen"

    key: str = Field(primary_key=True, max_length=200)
    seen_at: datetime | None = _ts(index=True)


class HoldStock(SQLModel, table=True):
    """The stock row every claim reserves against (one per variant).

    ``sellable`` is the store's available stock over the counted locations; ``reserved`` is the
    sum of active holds; ``pending_sold`` counts converted holds the store's level does not show
    yet. Free stock is ``sellable - reserved - pending_sold`` unless ``unlimited``.
    """

    __tablename__ = "hold_stock"

    variant_id: str = Field(primary_key=True, max_length=32)
    sku: str = Field(default="", max_length=255)
    product_handle: str = Field(default="", max_length=255)
    sellable: int = 0
    unlimited: bool = False
    reserved: int = 0
    pending_sold: int = 0
    waiting: int = 0
    level_at: datetime | None = _ts()


class Hold(SQLModel, table=True):
    """A unit promise to one buyer; ``status``: active, expired, cancelled, released, converted."""

    __tablename__ = "hold_hold"
    __table_args__ = (
        Index("ix_hold_viewer", "platform", "viewer_id", "status"),
        Index("ix_hold_variant_status", "variant_id", "status"),
    )

    hold_id: str = Field(primary_key=True, max_length=32)
    claim_key: str = Field(unique=True, max_length=200)
    platform: str = Field(max_length=32)
    viewer_id: str = Field(max_length=128)
    viewer_name: str = Field(default="", max_length=255)
    variant_id: str = Field(max_length=32)
    product_handle: str = Field(default="", max_length=255)
    sku: str = Field(default="", max_length=255)
    quantity: int = 1
    status: str = Field(default="active", max_length=16)
    show_id: str = Field(default="", max_length=128)
    created_at: datetime | None = _ts()
    expires_at: datetime | None = _ts(index=True)
    reminded: bool = False
    order_id: str | None = Field(default=None, max_length=64)
    order_at: datetime | None = _ts()
    settled: bool = True
    ended_at: datetime | None = _ts()
    ended_by: str | None = Field(default=None, max_length=128)


class HoldWaitlist(SQLModel, table=True):
    """A claim waiting for stock; served first come, first served by ``sent_at``."""

    __tablename__ = "hold_waitlist"
    __table_args__ = (
        Index("ix_waitlist_order", "variant_id", "status", "sent_at"),
        Index("ix_waitlist_viewer", "platform", "viewer_id", "status"),  # per-buyer caps
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_key: str = Field(unique=True, max_length=200)
    platform: str = Field(max_length=32)
    viewer_id: str = Field(max_length=128)
    viewer_name: str = Field(default="", max_length=255)
    variant_id: str = Field(max_length=32)
    product_handle: str = Field(default="", max_length=255)
    quantity: int = 1
    show_id: str = Field(default="", max_length=128)
    sent_at: datetime | None = _ts()
    status: str = Field(default="waiting", max_length=16)
    hold_id: str | None = Field(default=None, max_length=32)


class HoldClaim(SQLModel, table=True):
    """The first outcome of a claim key; a repeated claim returns it."""

    __tablename__ = "hold_claim"

    claim_key: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=16)
    hold_id: str | None = Field(default=None, max_length=32)
    waitlist_id: int | None = None
    waitlist_position: int | None = None
    available_after: int | None = None
    reason: str | None = Field(default=None, max_length=255)
    created_at: datetime | None = _ts()


def table(model: type[SQLModel]) -> Table:
    """Return the Core table of a model class (for fast Core statements)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


class ShopSyncState(SQLModel, table=True):
    """Bookkeeping of the syncs (for example the start of the last successful sync)."""

    __tablename__ = "shop_sync_state"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=255)
    at: datetime | None = _ts()
