"""The webhook receiver refuses what is not this shop's, too large or malformed before it
applies anything, and keeps a webhook whose apply failed pending (attempts, last error)."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from sandbox.shopify.serve import ServedApp
from sandbox.shopify.signing import sign
from shop_sync.config import HoldConfig, ShopConfig
from shop_sync.dedupe import DbDedupe
from shop_sync.holds import HoldBook
from shop_sync.inbox import InboxStatus, InboxWorker
from shop_sync.mirror import Mirror
from shop_sync.translate import LevelRecord, ProductRecord, VariantRecord
from shop_sync.webhooks import EVENTS, WebhookReceiver, read_capped, webhook_router
from tests.shop_sync.conftest import FakeClock
from tests.shop_sync.samples import sample

SECRET = "s3cret"
SHOP = "live-shop.myshopify.com"
CAP = 64 * 1024
T = datetime(2026, 11, 23, 20, 0, 7, tzinfo=UTC)
ITEM = "4426670414"  # the inventory_levels_update fixture's item
LOCATION = "24826418"


def seeded_mirror(engine: Engine) -> Mirror:
    """A mirror holding the fixture's item: 5 at its location, stamped T."""
    mirror = Mirror(engine, ShopConfig())
    product = ProductRecord(
        product_id="7880321196",
        gid="gid://shopify/Product/7880321196",
        handle="example-t-shirt",
        title="Example T-Shirt",
        status="ACTIVE",
        tags=(),
        options=(),
        updated_at=T,
    )
    mirror.apply_variants(
        [
            VariantRecord(
                variant_id="6426670414",
                gid="gid://shopify/ProductVariant/6426670414",
                product=product,
                inventory_item_id=ITEM,
                sku="",
                title="Small",
                position=1,
                options=("Small", None, None),
                price=Decimal("19.99"),
                tracked=True,
                policy="DENY",
                updated_at=T,
                levels=(
                    LevelRecord(
                        inventory_item_id=ITEM, location_id=LOCATION, available=5, updated_at=T
                    ),
                ),
            )
        ]
    )
    return mirror


@dataclass
class Inbox:
    receiver: WebhookReceiver
    mirror: Mirror
    engine: Engine
    rereads: list[Sequence[str]]

    def rows(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one())

    def event(self, event_id: int) -> tuple[datetime | None, int, str | None]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(EVENTS.c.applied_at, EVENTS.c.attempts, EVENTS.c.error).where(
                    EVENTS.c.id == event_id
                )
            ).one()
        return row.applied_at, int(row.attempts), row.error


@pytest.fixture
def inbox(engine: Engine) -> Inbox:
    mirror = seeded_mirror(engine)
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
    rereads: list[Sequence[str]] = []
    receiver = WebhookReceiver(
        engine=engine,
        mirror=mirror,
        holds=holds,
        secret=SECRET,
        shop=SHOP,
        dedupe=DbDedupe(engine),
        reread=rereads.append,
        max_body_bytes=CAP,
    )
    return Inbox(receiver, mirror, engine, rereads)


def headers(body: bytes, **changes: str | None) -> dict[str, str]:
    h: dict[str, str | None] = {
        "X-Shopify-Topic": "inventory_levels/update",
        "X-Shopify-Hmac-Sha256": sign(body, SECRET),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": f"w-{len(body)}-{hash(body)}",
    }
    h.update(changes)
    return {k: v for k, v in h.items() if v is not None}


LEVEL = json.dumps(sample("inventory_levels_update")).encode()  # 5 -> 2


@pytest.mark.parametrize(
    ("body", "changes", "status", "log"),
    [
        (LEVEL, {}, 200, None),
        (LEVEL, {"X-Shopify-Shop-Domain": SHOP.upper()}, 200, None),  # names are case-blind
        (LEVEL, {"X-Shopify-Shop-Domain": None}, 401, "no X-Shopify-Shop-Domain"),
        (LEVEL, {"X-Shopify-Shop-Domain": ""}, 401, "no X-Shopify-Shop-Domain"),
        (LEVEL, {"X-Shopify-Shop-Domain": "evil-shop.myshopify.com"}, 403, "another shop"),
        (LEVEL, {"X-Shopify-Hmac-Sha256": "AAAA"}, 401, "bad or missing signature"),
        (LEVEL, {"Content-Length": str(CAP + 1)}, 413, "over"),
        (LEVEL, {"Content-Length": "12abc"}, 400, "bad Content-Length"),
        (LEVEL, {"Content-Length": "\u00b2"}, 400, "bad Content-Length"),
        (b" " * (CAP + 1), {}, 413, "over"),
        (b"{not json", {}, 400, "malformed JSON"),
        (b"\xff\xfe{}", {}, 400, "malformed JSON"),
        (b"[1, 2]", {}, 400, "malformed JSON"),
        (b"[" * 5000 + b"]" * 5000, {}, 400, "malformed JSON"),  # nested too deep to parse
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, {}, 400, "malformed JSON"),
    ],
    ids=lambda v: v[:24].decode("latin-1") if isinstance(v, bytes) else None,
)
def test_a_delivery_is_refused_before_anything_is_applied(
    inbox: Inbox,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    changes: dict[str, str | None],
    status: int,
    log: str | None,
) -> None:
    h = headers(body)  # signed as sent, before the changes
    h.update({k: v for k, v in changes.items() if v is not None})
    for k, v in changes.items():
        if v is None:
            h.pop(k, None)
    with caplog.at_level(logging.INFO, logger="shop_sync.webhooks"):
        got, event_id = inbox.receiver.accept(h, body)
    assert got == status
    if status == 200:
        assert event_id is not None and inbox.rows() == 1
        inbox.receiver.apply_event(event_id)
        assert inbox.mirror.sellable_quantity("6426670414") == 2
        return
    assert event_id is None and inbox.rows() == 0
    assert inbox.receiver.rejected == 1 or status == 400
    assert log is not None and log in caplog.text
    assert inbox.mirror.sellable_quantity("6426670414") == 5


def test_deeply_nested_signed_json_is_a_400_at_any_depth(inbox: Inbox) -> None:
    inbox.receiver.max_body_bytes = 1 << 20
    body = b"[" * 200_000 + b"]" * 200_000
    assert inbox.receiver.accept(headers(body), body) == (400, None)


def apply_one(inbox: Inbox, payload: object) -> int:
    body = json.dumps(payload).encode()
    status, event_id = inbox.receiver.accept(headers(body), body)
    assert status == 200 and event_id is not None
    inbox.receiver.apply_event(event_id)
    return event_id


SAME_SECOND = sample("inventory_levels_update") | {"updated_at": "2026-11-23T20:00:07Z"}


@pytest.mark.parametrize(
    ("payload", "store_down", "pending", "error"),
    [
        (SAME_SECOND, True, True, "ConnectionError: the store did not answer"),
        (SAME_SECOND, False, False, None),  # the re-read settles it
        (sample("inventory_levels_update"), True, False, None),  # newer second: no re-read
        ({"location_id": 1, "available": 3}, True, False, None),  # malformed: ignored
        ({"inventory_item_id": ITEM, "location_id": 1, "available": 1e400}, True, False, None),
    ],
)
def test_apply_outcomes(
    engine: Engine,
    clock: FakeClock,
    payload: dict[str, object],
    store_down: bool,
    pending: bool,
    error: str | None,
) -> None:
    mirror = seeded_mirror(engine)
    down = [store_down]

    def reread(ids: Sequence[str]) -> None:
        if down[0]:
            raise ConnectionError("the store did not answer")
        mirror.apply_level(  # what a GraphQL read of the store would store
            LevelRecord(
                inventory_item_id=ITEM,
                location_id=LOCATION,
                available=2,
                updated_at=T + timedelta(seconds=1),
            )
        )

    receiver = WebhookReceiver(
        engine=engine,
        mirror=mirror,
        holds=HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig()),
        secret=SECRET,
        shop=SHOP,
        dedupe=DbDedupe(engine),
        reread=reread,
        clock=clock,
    )
    worker = InboxWorker(engine, receiver.apply_event, clock=clock)
    inbox = Inbox(receiver, mirror, engine, [])
    event_id = apply_one(inbox, payload)
    applied_at, attempts, last_error = inbox.event(event_id)
    assert (applied_at is None, attempts, last_error) == (pending, 1, error)
    assert (receiver.applied, receiver.failed) == ((0, 1) if pending else (1, 0))
    if not pending:
        clock.advance(3600)
        assert worker.run_due() == 0 and worker.status().key == "ok"
        return
    assert mirror.sellable_quantity("6426670414") == 5  # nothing half-applied
    assert worker.status().key == "retrying" and worker.status().last_error == error
    assert worker.run_due() == 0  # the first retry comes 5 s after the failure
    clock.advance(5)
    assert worker.run_due() == 1  # tried again: still failing, still pending
    assert inbox.event(event_id)[1:] == (2, error)
    clock.advance(9.9)
    assert worker.run_due() == 0  # backed off: 10 s now
    down[0] = False
    clock.advance(0.1)
    assert worker.run_due() == 1
    applied_at, attempts, last_error = inbox.event(event_id)
    assert applied_at is not None and (attempts, last_error) == (3, None)
    assert mirror.sellable_quantity("6426670414") == 2
    clock.advance(3600)
    assert worker.run_due() == 0 and worker.start_up() == 0
    assert worker.status() == InboxStatus()


class Pulled:
    """An async body that counts the chunks taken from it."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = chunks
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:  # type: ignore[misc]
        for chunk in self.chunks:
            self.taken += 1
            yield chunk


@pytest.mark.parametrize(
    ("chunks", "cap", "body", "taken"),
    [
        ([b"ab", b"cd"], 4, b"abcd", 2),
        ([], 4, b"", 0),
        ([b"ab", b"cde", b"f" * 1000, b"g"], 4, None, 2),  # stops at the chunk past the cap
        ([b"x" * 5], 4, None, 1),
    ],
)
def test_read_capped(chunks: list[bytes], cap: int, body: bytes | None, taken: int) -> None:
    source = Pulled(chunks)
    assert asyncio.run(read_capped(source.__aiter__(), cap)) == body
    assert source.taken == taken


@pytest.fixture
def served(inbox: Inbox) -> Iterator[tuple[Inbox, int]]:
    app = FastAPI()
    app.include_router(webhook_router(inbox.receiver))
    with ServedApp(app) as s:
        yield inbox, s.port


def post_raw(port: int, head: dict[str, str], chunks: Sequence[bytes] = ()) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("POST", "/webhooks/shopify")
        for k, v in head.items():
            conn.putheader(k, v)
        conn.endheaders()
        for chunk in chunks:
            conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        if chunks:
            conn.send(b"0\r\n\r\n")
        return conn.getresponse().status
    finally:
        conn.close()


def test_an_announced_oversized_body_is_refused_unread(served: tuple[Inbox, int]) -> None:
    inbox, port = served
    # the body is never sent: the answer comes from the headers alone
    h = headers(b"") | {"Content-Length": str(100 * 1024 * 1024)}
    assert post_raw(port, h) == 413
    assert inbox.rows() == 0


def test_a_chunked_body_is_read_only_up_to_the_cap(served: tuple[Inbox, int]) -> None:
    inbox, port = served
    h = headers(b"") | {"Transfer-Encoding": "chunked"}
    assert post_raw(port, h, [b" " * (CAP // 4)] * 5) == 413
    assert inbox.rows() == 0 and inbox.receiver.rejected == 1
    body = LEVEL
    good = headers(body) | {"Transfer-Encoding": "chunked"}
    assert post_raw(port, good, [body[:10], body[10:]]) == 200
    assert inbox.receiver.wait_applied(1)
    assert inbox.mirror.sellable_quantity("6426670414") == 2


def test_a_foreign_shop_is_refused_over_http(served: tuple[Inbox, int]) -> None:
    inbox, port = served
    h = headers(LEVEL) | {"X-Shopify-Shop-Domain": "evil-shop.myshopify.com"}
    h["Content-Length"] = str(len(LEVEL))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/webhooks/shopify", body=LEVEL, headers=h)
        assert conn.getresponse().status == 403
    finally:
        conn.close()
    assert inbox.rows() == 0 and inbox.mirror.sellable_quantity("6426670414") == 5
