"""Reads and writes of the application's own tables (messages, claims, audit, cursors)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from connectors.events import ChatMessage
from connectors.status import utc_now
from shopstream.storage.models import AuditEntry, Claim, ConnectorCursor, ProcessedMessage


class Records:
    """The application's storage, over one engine; every method is one short transaction."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    # -- invariant 2: one outcome per (platform, message_id) --------------------------------

    def take_message(self, msg: ChatMessage) -> bool:
        """Record ``msg``; return False when it was already taken (a duplicate delivery)."""
        row = ProcessedMessage(
            platform=msg.platform,
            message_id=msg.message_id,
            channel=msg.channel,
            author_id=msg.author_id,
            author_name=msg.author_name,
            text=msg.text[:4000],
            sent_at=msg.sent_at,
            received_at=self.clock(),
        )
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True

    def mark_message(self, platform: str, message_id: str, *, intent: str, outcome: str) -> None:
        """Store what the pipeline made of a message."""
        with Session(self.engine) as session:
            row = session.exec(
                select(ProcessedMessage).where(
                    ProcessedMessage.platform == platform,
                    ProcessedMessage.message_id == message_id,
                )
            ).first()
            if row is not None:
                row.intent, row.outcome = intent, outcome[:64]
                session.add(row)
                session.commit()

    def message_counts(self) -> dict[str, int]:
        """Messages taken in, per platform."""
        from sqlalchemy import func

        with Session(self.engine) as session:
            rows = session.exec(
                select(ProcessedMessage.platform, func.count()).group_by(ProcessedMessage.platform)
            ).all()
        return {platform: int(n) for platform, n in rows}

    # -- claims -----------------------------------------------------------------------------

    def record_claim(self, claim: Claim) -> Claim:
        """Insert a claim, or return the existing one with the same key."""
        with Session(self.engine) as session:
            session.add(claim)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                existing = session.exec(
                    select(Claim).where(Claim.claim_key == claim.claim_key)
                ).one()
                return existing
            session.refresh(claim)
            return claim

    def set_claim_status(
        self, claim_key: str, status: str, *, hold_id: str | None = None
    ) -> Claim | None:
        """Move a claim to ``status`` (held, waitlisted, paid, expired, cancelled...)."""
        with Session(self.engine) as session:
            claim = session.exec(select(Claim).where(Claim.claim_key == claim_key)).first()
            if claim is None:
                return None
            claim.status = status
            if hold_id is not None:
                claim.hold_id = hold_id
            claim.updated_at = self.clock()
            session.add(claim)
            session.commit()
            session.refresh(claim)
            return claim

    def claims(self, *, show_id: str | None = None) -> Sequence[Claim]:
        """Every claim, oldest first (by the platform's timestamp)."""
        with Session(self.engine) as session:
            query = select(Claim).order_by(col(Claim.sent_at), col(Claim.id))
            if show_id:
                query = query.where(Claim.show_id == show_id)
            return session.exec(query).all()

    # -- audit ------------------------------------------------------------------------------

    def audit(
        self,
        kind: str,
        *,
        platform: str | None = None,
        actor: str | None = None,
        subject: str | None = None,
        **detail: Any,
    ) -> None:
        """Append one line to the audit log."""
        entry = AuditEntry(
            at=self.clock(),
            kind=kind,
            platform=platform,
            actor=actor,
            subject=subject,
            detail=json.dumps(detail, default=str, sort_keys=True),
        )
        with Session(self.engine) as session:
            session.add(entry)
            session.commit()

    def audit_entries(self, kind: str | None = None) -> Sequence[AuditEntry]:
        """Audit lines, oldest first."""
        with Session(self.engine) as session:
            query = select(AuditEntry).order_by(col(AuditEntry.id))
            if kind:
                query = query.where(AuditEntry.kind == kind)
            return session.exec(query).all()

    # -- cursors (CursorStore protocol: get/set) --------------------------------------------

    def get(self, key: str) -> str | None:
        """Return the stored cursor ``key``."""
        with Session(self.engine) as session:
            row = session.get(ConnectorCursor, key)
            return row.value if row else None

    def set(self, key: str, value: str) -> None:
        """Store cursor ``key`` (upsert)."""
        with Session(self.engine) as session:
            row = session.get(ConnectorCursor, key)
            if row is None:
                row = ConnectorCursor(key=key, value=value, updated_at=self.clock())
            else:
                row.value, row.updated_at = value, self.clock()
            session.add(row)
            session.commit()
