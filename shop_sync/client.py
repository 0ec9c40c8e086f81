"""Shopify Admin GraphQL client: requests with an injected session, cost-based throttling,
429 / 5xx backoff, token refresh, paged ``productVariants`` reads and bulk operations.

Every response's ``X-Shopify-API-Version`` is read: Shopify serves a version it no longer
supports as the oldest one it does ("falls forward", shopify.dev API versioning; commerce.md
§1.2), so a served version other than the pinned one is logged once and kept in
:attr:`ShopifyClient.served_version` for ``shopstream check`` and the store's status row.

Time is injected (``sleep``, ``monotonic``) so tests never really wait.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import requests

from shop_sync import queries
from shop_sync.config import ShopConfig
from shop_sync.errors import ShopAuthError, ShopGraphQLError, ShopTransientError
from shop_sync.tokens import TokenSource
from shop_sync.translate import (
    VariantRecord,
    levels_from_connection,
    variant_from_node,
    variants_from_bulk,
)

_LOGGER = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
"""``progress(done, total)``: variants read so far and the total when known."""


@dataclass(slots=True)
class _Bucket:
    """What the last response said about the cost bucket."""

    available: float = -1.0
    maximum: float = 0.0
    restore_rate: float = 0.0
    at: float = 0.0


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _cost_key(query: str, variables: Mapping[str, Any]) -> str:
    """What a document's cost depends on: its text and its page sizes (``first``/``last``, the
    number of ``ids``), so a 17-id read is not paced as a 45-id one."""
    sizes = [
        f"{k}={len(v) if isinstance(v, list) else v}"
        for k, v in sorted(variables.items())
        if k in ("first", "last", "ids")
    ]
    return query + "|" + ",".join(sizes) if sizes else query


class ShopifyClient:
    """Calls the Admin GraphQL API of one shop.

    Args:
        config: Shop, API version, base URL, retries, timeouts.
        session: The HTTP session (injected; tests and the app own it).
        tokens: Gives (and refreshes) the access token.
        sleep: Waits between retries (``time.sleep``; tests pass a fake).
        monotonic: Clock for the cost bucket.
        rand: Jitter source for backoff (0..1).
    """

    def __init__(
        self,
        config: ShopConfig,
        *,
        session: requests.Session,
        tokens: TokenSource,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._config = config
        self._session = session
        self._tokens = tokens
        self._sleep = sleep
        self._monotonic = monotonic
        self._rand = rand
        self._bucket = _Bucket()
        self._costs: dict[str, float] = {}
        self.waited = 0.0
        self.bulk_waited = 0.0
        self.served_version: str | None = None
        """The ``X-Shopify-API-Version`` of the last response that had one."""
        self._warned_versions: set[str] = set()

    @property
    def pinned_version(self) -> str:
        """The API version the settings pin (``[shop] api_version``)."""
        return self._config.api_version

    @property
    def fell_forward(self) -> bool:
        """Whether the store served another version than the pinned one."""
        return self.served_version is not None and self.served_version != self.pinned_version

    def version_status(self) -> dict[str, str | None]:
        """The store's status row: ``ok``, or ``api_version_fell_forward`` with both versions."""
        if self.fell_forward:
            status = "api_version_fell_forward"
            detail = (
                f"asked for {self.pinned_version}, Shopify served {self.served_version}: "
                "the pinned version is no longer supported; update [shop] api_version"
            )
        else:
            status = "ok"
            detail = f"API {self.served_version or self.pinned_version}"
        return {
            "name": "store",
            "status": status,
            "detail": detail,
            "last_message_at": None,
            "last_error": None,
        }

    def _note_version(self, resp: requests.Response) -> None:
        served = (resp.headers.get("X-Shopify-API-Version") or "").strip()[:32]
        if not served:
            return
        self.served_version = served
        if served != self.pinned_version and served not in self._warned_versions:
            self._warned_versions.add(served)
            _LOGGER.warning(
                "Shopify served API version %s for the pinned %s (it falls forward to the "
                "oldest supported version): update [shop] api_version",
                served,
                self.pinned_version,
            )

    # --- the one call ---------------------------------------------------------------------

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > 0:
            _LOGGER.info("Shopify %s: waiting %.2f s", why, seconds)
            self.waited += seconds
            self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        raw = min(30.0, 0.5 * 2**attempt)
        return raw / 2 + raw / 2 * self._rand()

    def _pace(self, query: str) -> None:
        """Wait until the bucket holds what this query cost last time."""
        need = self._costs.get(query)
        b = self._bucket
        if need is None or b.available < 0 or b.restore_rate <= 0:
            return
        now_available = min(b.maximum, b.available + (self._monotonic() - b.at) * b.restore_rate)
        if now_available < need:
            self._wait((need - now_available) / b.restore_rate, "cost pacing")

    def _note_cost(self, query: str, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        cost = (body.get("extensions") or {}).get("cost")
        if not isinstance(cost, Mapping):
            return None  # dev stores may omit it: code defensively
        if cost.get("requestedQueryCost") is not None:
            self._costs[query] = float(cost["requestedQueryCost"])
        status = cost.get("throttleStatus")
        if isinstance(status, Mapping):
            self._bucket = _Bucket(
                available=float(status.get("currentlyAvailable") or 0.0),
                maximum=float(status.get("maximumAvailable") or 0.0),
                restore_rate=float(status.get("restoreRate") or 0.0),
                at=self._monotonic(),
            )
        return cost

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL document and return its ``data``.

        Raises:
            ShopGraphQLError: the response carries GraphQL errors (their messages are kept).
            ShopAuthError: the token is refused and cannot be refreshed.
            ShopTransientError: throttling, 429, 5xx or network errors outlasted the retries.
        """
        refreshed = False
        attempt = 0
        values = dict(variables or {})
        payload = {"query": query, "variables": values}
        key = _cost_key(query, values)
        if key not in self._costs:
            # first time at this size: its cost by Shopify's rules, until Shopify says
            self._costs[key] = float(queries.document_cost(query, values))
        while True:
            self._pace(key)
            try:
                resp = self._session.post(
                    self._config.graphql_url,
                    json=payload,
                    headers={"X-Shopify-Access-Token": self._tokens.token()},
                    timeout=self._config.request_timeout_seconds,
                )
            except requests.RequestException as exc:
                delay, why = self._backoff(attempt), f"network error ({type(exc).__name__})"
            else:
                self._note_version(resp)
                status = resp.status_code
                if status in (401, 403):
                    if status == 401 and not refreshed and self._tokens.refresh():
                        refreshed = True
                        continue
                    raise ShopAuthError(f"Shopify refused the access token (HTTP {status})")
                if status == 429:
                    after = _retry_after(resp.headers.get("Retry-After"))
                    delay = after if after is not None else self._backoff(attempt)
                    why = "HTTP 429"
                elif status >= 500:
                    delay, why = self._backoff(attempt), f"HTTP {status}"
                else:
                    result = self._read(key, resp)
                    if result is not None:
                        return result
                    delay, why = self._throttle_delay(key, attempt), "THROTTLED"
            if attempt >= self._config.max_retries:
                raise ShopTransientError(f"Shopify call failed after {attempt + 1} tries: {why}")
            attempt += 1
            self._wait(delay, why)

    def _read(self, query: str, resp: requests.Response) -> dict[str, Any] | None:
        """Return ``data``, or None when the call was throttled (HTTP 200 ``THROTTLED``)."""
        try:
            body = resp.json()
        except ValueError:
            raise ShopGraphQLError([f"HTTP {resp.status_code}: response is not JSON"]) from None
        if not isinstance(body, Mapping):
            raise ShopGraphQLError([f"HTTP {resp.status_code}: unexpected response"])
        self._note_cost(query, body)
        errors = body.get("errors")
        if errors:
            if isinstance(errors, str):
                raise ShopGraphQLError([errors])
            codes = [
                str((e.get("extensions") or {}).get("code", ""))
                for e in errors
                if isinstance(e, Mapping)
            ]
            if "THROTTLED" in codes:
                return None
            messages = [
                str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors
            ]
            raise ShopGraphQLError(messages, code=next((c for c in codes if c), None))
        if resp.status_code != 200 or not isinstance(body.get("data"), Mapping):
            raise ShopGraphQLError([f"HTTP {resp.status_code}: no data in the response"])
        return dict(body["data"])

    def _throttle_delay(self, query: str, attempt: int) -> float:
        b = self._bucket
        need = self._costs.get(query, 0.0)
        if b.restore_rate > 0 and b.available >= 0:
            return max(0.1, (need - b.available) / b.restore_rate)
        return self._backoff(attempt)

    # --- reads ----------------------------------------------------------------------------

    def shop_currency(self) -> str:
        """Return the shop's currency code."""
        return str(self.execute(queries.SHOP_CURRENCY)["shop"]["currencyCode"])

    def iter_variant_pages(
        self, *, search: str | None = None, progress: Progress | None = None
    ) -> Iterator[list[VariantRecord]]:
        """Yield ``productVariants`` page by page (``search`` is Shopify search syntax)."""
        after: str | None = None
        done = 0
        while True:
            data = self.execute(
                queries.VARIANTS_PAGE,
                {
                    # never over the single-query cost maximum, whatever the setting says
                    "first": min(self._config.page_size, queries.VARIANTS_PAGE_MAX),
                    "after": after,
                    "query": search,
                },
            )
            conn = data.get("productVariants") or {}
            nodes = conn.get("nodes") or []
            page = self._all_levels(
                [r for r in (variant_from_node(n) for n in nodes if n) if r is not None]
            )
            done += len(page)
            if progress is not None:
                progress(done, None)
            yield page
            info = conn.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not after:
                return

    def variants_by_id(self, gids: Sequence[str]) -> list[VariantRecord]:
        """Read the given variants (gids) in pages of ``page_size`` (at most what the cost
        maximum allows); unknown ids are skipped."""
        out: list[VariantRecord] = []
        size = min(self._config.page_size, queries.VARIANTS_BY_ID_MAX)
        for i in range(0, len(gids), size):
            data = self.execute(queries.VARIANTS_BY_ID, {"ids": list(gids[i : i + size])})
            for node in data.get("nodes") or []:
                if node:
                    record = variant_from_node(node)
                    if record is not None:
                        out.append(record)
        return self._all_levels(out)

    def _all_levels(self, records: list[VariantRecord]) -> list[VariantRecord]:
        """Complete the levels of variants stocked at more locations than one read returns."""
        return [self._more_levels(r) if r.levels_after else r for r in records]

    def _more_levels(self, record: VariantRecord) -> VariantRecord:
        levels = list(record.levels or ())
        after = record.levels_after
        gid = f"gid://shopify/InventoryItem/{record.inventory_item_id}"
        while after:
            data = self.execute(queries.MORE_LEVELS, {"id": gid, "after": after})
            connection = (data.get("inventoryItem") or {}).get("inventoryLevels")
            if not isinstance(connection, Mapping):
                raise ShopGraphQLError([f"no inventory levels for {gid}"])
            try:
                more, next_after = levels_from_connection(record.inventory_item_id, connection)
            except (TypeError, ValueError, AttributeError) as exc:
                raise ShopGraphQLError([f"malformed inventory levels for {gid}: {exc}"]) from None
            if next_after == after:
                raise ShopGraphQLError([f"inventory levels of {gid}: the cursor did not move"])
            levels += more
            after = next_after
        return replace(record, levels=tuple(levels), levels_after=None)

    def bulk_variants(self, *, progress: Progress | None = None) -> list[VariantRecord]:
        """Export every variant with a bulk operation and rebuild it from the JSONL.

        Raises:
            ShopGraphQLError: the operation was refused or failed.
            ShopTransientError: it did not finish within ``bulk_timeout_seconds``.
        """
        run = self.execute(queries.BULK_RUN, {"query": queries.BULK_VARIANTS_QUERY})
        result = run.get("bulkOperationRunQuery") or {}
        if result.get("userErrors"):
            raise ShopGraphQLError([str(e.get("message")) for e in result["userErrors"]])
        op_id = str((result.get("bulkOperation") or {}).get("id") or "")
        if not op_id:
            raise ShopGraphQLError(["bulkOperationRunQuery returned no operation"])
        started = self._monotonic()
        polls = 0
        while True:
            op = self.execute(queries.BULK_POLL, {"id": op_id}).get("node") or {}
            status = op.get("status")
            if progress is not None and op.get("objectCount") is not None:
                progress(0, int(op.get("rootObjectCount") or 0) or None)
            if status == "COMPLETED":
                break
            if status in ("FAILED", "CANCELED", "EXPIRED"):
                raise ShopGraphQLError([f"bulk operation {status}: {op.get('errorCode')}"])
            if self._monotonic() - started > self._config.bulk_timeout_seconds:
                raise ShopTransientError("bulk operation did not finish in time")
            pause = min(self._config.bulk_poll_seconds, 0.05 * 1.5**polls)
            self.bulk_waited += pause
            self._sleep(pause)
            polls += 1
        url = op.get("url")
        if not url:
            return []
        try:
            resp = self._session.get(url, timeout=self._config.request_timeout_seconds * 5)
            resp.raise_for_status()
        except requests.RequestException as exc:
            raise ShopTransientError(f"bulk download failed: {exc}") from None
        records = variants_from_bulk(resp.content.splitlines())
        if progress is not None:
            progress(len(records), len(records))
        return records
