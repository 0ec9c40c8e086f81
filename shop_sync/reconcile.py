"""Reconciliation: full syncs, incremental (``updated_at``) syncs and lineup re-reads, and the
APScheduler 3 jobs that run them. Each job function is directly callable (tests call them)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shop_sync.client import Progress, ShopifyClient
from shop_sync.config import ShopConfig
from shop_sync.errors import ShopError
from shop_sync.holds import HoldBook
from shop_sync.mirror import Mirror
from shop_sync.translate import parse_time

_LOGGER = logging.getLogger(__name__)

LAST_SYNC = "last_sync_started"
_OVERLAP = timedelta(minutes=2)  # re-read a little before the last start: clocks drift
_APPLY_CHUNK = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncReport:
    """What one sync did."""

    kind: str
    variants: int
    removed: int
    promoted: int
    seconds: float
    started_at: datetime


class Reconciler:
    """Reads the store through ``client`` into ``mirror`` and lets waiting buyers in."""

    def __init__(
        self,
        client: ShopifyClient,
        mirror: Mirror,
        config: ShopConfig,
        *,
        holds: HoldBook | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        perf: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._client = client
        self._mirror = mirror
        self._config = config
        self._holds = holds
        self._clock = clock
        self._perf = perf
        self.status = "ok"
        self.last_ok: datetime | None = None

    @property
    def client(self) -> ShopifyClient:
        """The store client it reads with (its served API version feeds the status row)."""
        return self._client

    def _promote(self, variant_ids: Iterable[str]) -> int:
        if self._holds is None:
            return 0
        waiting = self._holds.variants_waiting()
        return sum(len(self._holds.on_stock_changed(v)) for v in sorted(set(variant_ids) & waiting))

    def _currency(self) -> str:
        return self._config.currency or self._mirror.currency or self._client.shop_currency()

    def full_sync(self, *, progress: Progress | None = None) -> SyncReport:
        """Read every variant (bulk operation or pages), store it, remove what is gone."""
        started, t0 = self._clock(), self._perf()
        currency = self._currency()
        seen: list[str] = []
        if self._config.full_sync_method == "bulk":
            records = self._client.bulk_variants(progress=progress)
            for i in range(0, len(records), _APPLY_CHUNK):
                seen += self._mirror.apply_variants(
                    records[i : i + _APPLY_CHUNK], currency=currency
                )
        else:
            for page in self._client.iter_variant_pages(progress=progress):
                seen += self._mirror.apply_variants(page, currency=currency)
        removed = self._mirror.prune(seen)
        self._mirror.set_state(LAST_SYNC, started.isoformat())
        promoted = self._promote(seen)
        return self._report("full", len(seen), len(removed), promoted, started, t0)

    def incremental_sync(self, *, progress: Progress | None = None) -> SyncReport:
        """Read the variants updated since the last sync started (a full sync if none ran)."""
        last = parse_time(self._mirror.get_state(LAST_SYNC))
        if last is None:
            return self.full_sync(progress=progress)
        started, t0 = self._clock(), self._perf()
        since = (last - _OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
        currency = self._currency()
        seen: list[str] = []
        for page in self._client.iter_variant_pages(
            search=f"updated_at:>'{since}'", progress=progress
        ):
            seen += self._mirror.apply_variants(page, currency=currency)
        self._mirror.set_state(LAST_SYNC, started.isoformat())
        promoted = self._promote(seen)
        return self._report("incremental", len(seen), 0, promoted, started, t0)

    def lineup_sync(self, variant_ids: Sequence[str]) -> SyncReport:
        """Re-read the given variants (the show's lineup) right now."""
        started, t0 = self._clock(), self._perf()
        gids = [
            v if v.startswith("gid://") else f"gid://shopify/ProductVariant/{v}"
            for v in variant_ids
        ]
        records = self._client.variants_by_id(gids) if gids else []
        seen = self._mirror.apply_variants(records, currency=self._currency()) if records else []
        promoted = self._promote(seen)
        return self._report("lineup", len(seen), 0, promoted, started, t0)

    def _report(
        self, kind: str, n: int, removed: int, promoted: int, started: datetime, t0: float
    ) -> SyncReport:
        report = SyncReport(
            kind=kind,
            variants=n,
            removed=removed,
            promoted=promoted,
            seconds=self._perf() - t0,
            started_at=started,
        )
        if self.status != "ok":
            _LOGGER.info("store sync recovered")
        self.status, self.last_ok = "ok", self._clock()
        _LOGGER.info(
            "%s sync: %s variants, %s removed, %s promoted in %.2f s",
            kind,
            n,
            removed,
            promoted,
            report.seconds,
        )
        return report

    def _guarded(self, fn: Callable[[], SyncReport]) -> SyncReport | None:
        try:
            return fn()
        except ShopError as exc:
            if self.status != exc.key:
                _LOGGER.warning("store sync failed (%s): %s", exc.key, exc)
            self.status = exc.key
            return None

    # --- job functions (what the scheduler calls; tests call them directly) ----------------

    def full_sync_job(self) -> SyncReport | None:
        """Scheduled full sync; errors are logged once and reported in ``status``."""
        return self._guarded(self.full_sync)

    def incremental_job(self) -> SyncReport | None:
        """Scheduled incremental sync."""
        return self._guarded(self.incremental_sync)

    def lineup_job(
        self, lineup: Callable[[], Sequence[str]], show_running: Callable[[], bool]
    ) -> SyncReport | None:
        """Re-read the lineup while a show runs; nothing otherwise."""
        if not show_running():
            return None
        ids = list(lineup())
        if not ids:
            return None
        return self._guarded(lambda: self.lineup_sync(ids))

    def schedule(
        self,
        scheduler: Any,
        *,
        lineup: Callable[[], Sequence[str]] = tuple,
        show_running: Callable[[], bool] = lambda: False,
    ) -> list[Any]:
        """Add the three jobs to an APScheduler 3 scheduler (``AsyncIOScheduler``); sync job
        functions run in its thread pool. Returns the jobs."""
        common = {"max_instances": 1, "coalesce": True, "replace_existing": True}
        return [
            scheduler.add_job(
                self.full_sync_job,
                "interval",
                minutes=self._config.full_sync_minutes,
                id="shop_sync.full",
                **common,
            ),
            scheduler.add_job(
                self.incremental_job,
                "interval",
                seconds=self._config.incremental_seconds,
                id="shop_sync.incremental",
                **common,
            ),
            scheduler.add_job(
                self.lineup_job,
                "interval",
                seconds=self._config.lineup_seconds,
                args=(lineup, show_running),
                id="shop_sync.lineup",
                **common,
            ),
        ]
