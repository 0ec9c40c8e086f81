"""Counts from the application's tables that reports need (per platform, per show)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from checkout_links.report import PlatformCounts
from shop_sync.models import Hold
from shopstream.storage.models import Claim, ProcessedMessage


def platform_counts(engine: Engine, show: str) -> Mapping[str, PlatformCounts]:
    """Messages, claims and holds of ``show`` per platform (messages are not per show)."""
    counts: dict[str, list[int]] = {}
    with engine.connect() as conn:
        queries = (
            select(ProcessedMessage.platform, func.count()).group_by(ProcessedMessage.platform),
            select(Claim.platform, func.count())
            .where(Claim.show_id == show)
            .group_by(Claim.platform),
            select(Hold.platform, func.count()).where(Hold.show_id == show).group_by(Hold.platform),
        )
        for slot, query in enumerate(queries):
            for platform, n in conn.execute(query):
                counts.setdefault(str(platform), [0, 0, 0])[slot] = int(n)
    return {
        p: PlatformCounts(messages=m, claims=c, holds=h) for p, (m, c, h) in sorted(counts.items())
    }
