"""The inbox worker applies what the answer's apply left pending: due rows with backoff, every
pending row at start-up, and keeps a row that failed its last attempt (shown in status)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from sandbox.shopify.signing import sign
from shop_sync.config import HoldConfig, ShopConfig
from shop_sync.dedupe import DbDedupe
from shop_sync.holds import HoldBook
from shop_sync.inbox import InboxWorker, RetryPolicy
from shop_sync.mirror import Mirror
from shop_sync.webhooks import EVENTS, WebhookReceiver
from tests.shop_sync.conftest import FakeClock

SECRET = "s3cret"
SHOP = "live-shop.myshopify.com"


@pytest.mark.parametrize(
    ("attempts", "seconds", "gives_up"),
    [
        (0, 5, False),  # a fresh row: the answer's apply goes first
        (1, 5, False),
        (2, 10, False),
        (3, 20, False),
        (7, 320, False),
        (8, 600, False),  # capped
        (11, 600, False),
        (12, 600, True),
        (10**6, 600, True),  # no overflow
    ],
)
def test_retry_policy(attempts: int, seconds: float, gives_up: bool) -> None:
    policy = RetryPolicy()
    assert policy.delay(attempts) == timedelta(seconds=seconds)
    assert policy.gives_up(attempts) is gives_up


class Flaky:
    """A store re-read that fails while ``down`` (the apply error of a same-second level)."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    def __call__(self, ids: Sequence[str]) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionError("the store did not answer")


def receiver_over(engine: Engine, clock: FakeClock, reread: Flaky) -> WebhookReceiver:
    return WebhookReceiver(
        engine=engine,
        mirror=Mirror(engine, ShopConfig()),
        holds=HoldBook(engine, clock=clock, config=HoldConfig()),
        secret=SECRET,
        shop=SHOP,
        dedupe=DbDedupe(engine, clock=clock),
        reread=reread,
        clock=clock,
        retry=RetryPolicy(first_seconds=1, max_seconds=4, max_attempts=4),
    )


def product_delivery(n: int) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"id": n, "title": f"t{n}", "handle": f"h{n}", "variants": []}).encode()
    return {
        "X-Shopify-Topic": "products/create",
        "X-Shopify-Hmac-Sha256": sign(body, SECRET),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": f"w{n}",
    }, body


def rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one())


def test_a_fresh_delivery_waits_for_the_answers_apply(engine: Engine, clock: FakeClock) -> None:
    receiver = receiver_over(engine, clock, Flaky())
    worker = InboxWorker(engine, receiver.apply_event, clock=clock)
    status, event_id = receiver.accept(*product_delivery(1))
    assert status == 200 and event_id is not None
    assert worker.run_due() == 0  # the apply after the answer is still to come
    clock.advance(1)
    assert worker.run_due() == 1  # it never came (the process was busy, or died)
    assert receiver.applied == 1 and worker.status().pending == 0


def test_a_row_failing_for_good_is_kept_and_shown(
    engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    reread = Flaky()
    receiver = receiver_over(engine, clock, reread)
    worker = InboxWorker(engine, receiver.apply_event, clock=clock)
    # a delivery whose apply raises every time (the store re-read keeps failing)
    monkeypatch.setattr(receiver, "apply", lambda topic, payload: reread(["1"]))
    status, event_id = receiver.accept(*product_delivery(1))
    assert status == 200 and event_id is not None
    receiver.apply_event(event_id)  # attempt 1, the answer's
    waits = []
    for _ in range(10):
        before = reread.calls
        seconds = 0
        while reread.calls == before and seconds < 60:
            clock.advance(1)
            seconds += 1
            worker.run_due()
        waits.append(seconds)
    assert reread.calls == 4 and waits[:3] == [1, 2, 4]  # then given up: no more calls
    status_now = worker.status()
    assert (status_now.key, status_now.pending, status_now.given_up) == ("failing", 0, 1)
    assert status_now.last_error == "ConnectionError: the store did not answer"
    snap = status_now.snapshot()
    assert (snap["name"], snap["status"], snap["failing"]) == ("webhooks", "failing", "1")
    assert worker.start_up() == 0  # a restart does not retry it either
    assert rows(engine) == 1  # kept


def test_status_counts_pending_and_the_oldest_age(engine: Engine, clock: FakeClock) -> None:
    receiver = receiver_over(engine, clock, Flaky())
    worker = InboxWorker(engine, receiver.apply_event, clock=clock)
    receiver.accept(*product_delivery(1))
    clock.advance(30)
    receiver.accept(*product_delivery(2))
    clock.advance(15)
    status = worker.status()
    assert (status.key, status.pending, status.retrying) == ("ok", 2, 0)
    assert status.oldest_pending_seconds == 45
    assert status.snapshot()["oldest_pending_seconds"] == "45.0"
    assert worker.start_up() == 2 and worker.status().pending == 0
