"""waitlist viewer index

Every claim checks the buyer's caps, which sums their waitlist places; without an index
that is a scan of the whole waitlist per claim, and a flash drop fills the waitlist.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 22:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hold_waitlist", schema=None) as batch_op:
        batch_op.create_index(
            "ix_waitlist_viewer", ["platform", "viewer_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hold_waitlist", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_viewer")
