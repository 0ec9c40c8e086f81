"""checkout_links tables: short links, and the order ledger (orders and their lines).

The app owns migrations (Alembic autogenerates them from these models); tests call
``SQLModel.metadata.create_all``. Money is stored as decimal text and read back as ``Decimal``;
timestamps are stored in UTC and read back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Index, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class _UTC(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Money(TypeDecorator[Decimal]):
    """Exact decimal amounts stored as text (no float, no SQLite Decimal warning)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        return None if value is None else format(Decimal(value), "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(_UTC(), nullable=nullable))


def _money() -> Any:
    return Field(default=Decimal("0"), sa_column=Column(_Money(), nullable=False))


class ShortLink(SQLModel, table=True):
    """One signed short code and the checkout URL it redirects to until its hold expires."""

    __tablename__ = "link_short_links"
    __table_args__ = (Index("ix_link_short_links_show_platform", "show_id", "platform"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    target_url: str = Field(sa_column=Column(Text, nullable=False))
    hold_ids: str = Field(default="", max_length=2000)
    viewer_key: str = Field(default="", max_length=255)
    show_id: str | None = Field(default=None, max_length=120)
    platform: str | None = Field(default=None, max_length=32)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    clicks: int = 0
    expired_clicks: int = 0
    last_click_at: datetime | None = _ts(nullable=True)


class LedgerOrder(SQLModel, table=True):
    """One store order, attributed to a show/platform/holds or not; recorded once per order id."""

    __tablename__ = "link_orders"
    __table_args__ = (Index("ix_link_orders_show_platform", "show_id", "platform"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=64, unique=True)
    name: str = Field(default="", max_length=64)
    attributed: bool = False
    source: str = Field(default="none", max_length=32)
    show_id: str | None = Field(default=None, max_length=120)
    platform: str | None = Field(default=None, max_length=32)
    viewer_key: str | None = Field(default=None, max_length=255)
    hold_ids: str = Field(default="", max_length=2000)
    currency: str = Field(default="", max_length=8)
    total: Decimal = _money()
    placed_at: datetime | None = _ts(nullable=True)
    recorded_at: datetime = _ts()
    financial_status: str = Field(default="", max_length=32)
    cancelled_at: datetime | None = _ts(nullable=True)
    status_at: datetime | None = _ts(nullable=True)
    """``updated_at`` of the payload that set ``financial_status`` (older ones change nothing)."""


class LedgerOrderLine(SQLModel, table=True):
    """One line of a recorded order (revenue per product comes from these)."""

    __tablename__ = "link_order_lines"

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=64, index=True)
    show_id: str | None = Field(default=None, max_length=120, index=True)
    platform: str | None = Field(default=None, max_length=32)
    variant_id: str | None = Field(default=None, max_length=64)
    product_id: str | None = Field(default=None, max_length=64)
    title: str = Field(default="", max_length=255)
    sku: str = Field(default="", max_length=255)
    quantity: int = 0
    price: Decimal = _money()
    line_item_id: str | None = Field(default=None, max_length=64)


class LedgerRefund(SQLModel, table=True):
    """One refund of a recorded (or not yet recorded) order; recorded once per refund id."""

    __tablename__ = "link_order_refunds"

    id: int | None = Field(default=None, primary_key=True)
    refund_id: str = Field(max_length=64, unique=True)
    order_id: str = Field(max_length=64, index=True)
    currency: str = Field(default="", max_length=8)
    amount: Decimal = _money()
    lines: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    """JSON ``{line item id: refunded subtotal}`` (decimal strings)."""
    refunded_at: datetime | None = _ts(nullable=True)
    recorded_at: datetime = _ts()
