"""outbox reply rows

A reply is a row written in its batch's transaction (``status = 'queued'``, with the
connector it goes to, its priority and the reply itself); the sender takes it
(``sending``) and marks it ``sent`` or ``failed``. After a crash the queued rows are sent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_sent_replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connector", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reply", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_outbox_sent_replies_connector_status", ["connector", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_sent_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_replies_connector_status")
        batch_op.drop_column("reply")
        batch_op.drop_column("priority")
        batch_op.drop_column("connector")
