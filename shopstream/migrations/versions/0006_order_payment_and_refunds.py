"""order payment status, cancellation and refunds

Revenue counts paid orders only and is reversed by cancellation and refunds: each recorded order
keeps its ``financial_status`` (with the ``updated_at`` that set it) and ``cancelled_at``; order
lines keep Shopify's line item id, which refunds name; refunds are recorded once per refund id.
Orders recorded before this revision have no payment status and count no revenue until an
``orders/paid`` delivery names them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import checkout_links.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("link_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "financial_status",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("cancelled_at", checkout_links.models._UTC(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("status_at", checkout_links.models._UTC(timezone=True), nullable=True)
        )
    with op.batch_alter_table("link_order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("line_item_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.create_table(
        "link_order_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("amount", checkout_links.models._Money(length=40), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("refunded_at", checkout_links.models._UTC(timezone=True), nullable=True),
        sa.Column("recorded_at", checkout_links.models._UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("refund_id"),
    )
    with op.batch_alter_table("link_order_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_order_refunds_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("link_order_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_order_refunds_order_id"))
    op.drop_table("link_order_refunds")
    with op.batch_alter_table("link_order_lines", schema=None) as batch_op:
        batch_op.drop_column("line_item_id")
    with op.batch_alter_table("link_orders", schema=None) as batch_op:
        batch_op.drop_column("status_at")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("financial_status")
