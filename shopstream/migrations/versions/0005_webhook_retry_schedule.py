"""webhook retry schedule

The inbox worker retries a failing webhook with backoff (``next_attempt_at``) and, after its
last attempt, keeps it as given up (``failed_at``) instead of deleting it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shop_webhook_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("shop_webhook_event", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
        batch_op.drop_column("next_attempt_at")
