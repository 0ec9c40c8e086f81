"""The Admin GraphQL client against the emulator: pages, bulk, throttling, retries, tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from shop_sync import queries
from shop_sync.client import ShopifyClient
from shop_sync.config import ShopConfig
from shop_sync.errors import ShopAuthError, ShopGraphQLError, ShopTransientError
from shop_sync.tokens import ClientCredentials, StaticToken, token_source_from_env
from tests.support.clock import FakeClock


@pytest.fixture
def fake_time() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(fake_time: FakeClock) -> Iterator[ShopifyEmulator]:
    with ShopifyEmulator(monotonic=fake_time.monotonic) as emu:
        yield emu


def slept(clock: FakeClock) -> list[float]:
    """The sleeps asked for, to the millisecond."""
    return [round(s, 3) for s in clock.sleeps]


def make_client(emu: ShopifyEmulator, t: FakeClock, **config: object) -> ShopifyClient:
    cfg = ShopConfig(admin_base_url=emu.base_url, **config)  # type: ignore[arg-type]
    return ShopifyClient(
        cfg,
        session=requests.Session(),
        tokens=StaticToken(SANDBOX_TOKEN),
        sleep=t.sleep_sync,
        monotonic=t.monotonic,
        rand=lambda: 0.0,
    )


def test_pages_read_every_variant_once(emulator: ShopifyEmulator, fake_time: FakeClock) -> None:
    client = make_client(emulator, fake_time, page_size=25)
    pages = list(client.iter_variant_pages())
    ids = [r.variant_id for page in pages for r in page]
    assert [len(p) for p in pages] == [25, 25, 12]
    assert len(set(ids)) == 62
    tee = next(r for page in pages for r in page if r.sku == "CT-101-S-RED")
    assert (tee.product.handle, tee.options, str(tee.price), tee.policy) == (
        "classic-tee",
        ("S", "Red", None),
        "24.00",
        "DENY",
    )
    assert tee.levels is not None and tee.levels[0].available == 4


def test_bulk_rebuilds_levels_of_non_adjacent_children(
    emulator: ShopifyEmulator, fake_time: FakeClock
) -> None:
    emulator.set_available("44000000001", 9, notify=False)
    records = make_client(emulator, fake_time).bulk_variants()
    assert len(records) == 62
    by_id = {r.variant_id: r for r in records}
    assert by_id["44000000001"].levels is not None
    assert [lv.available for lv in by_id["44000000001"].levels] == [9]
    assert all(r.levels for r in records)


def test_lineup_by_ids(emulator: ShopifyEmulator, fake_time: FakeClock) -> None:
    client = make_client(emulator, fake_time)
    got = client.variants_by_id(
        ["gid://shopify/ProductVariant/44000000002", "gid://shopify/ProductVariant/1"]
    )
    assert [r.variant_id for r in got] == ["44000000002"]


@pytest.mark.parametrize(
    ("fault", "expected_sleeps"),
    [
        ("http_429", [2.0]),  # Retry-After honoured exactly
        ("http_429_bare", [0.25]),  # no Retry-After: backoff
        ("http_503", [0.25]),
        ("http_500", [0.25]),
    ],
)
def test_retries_429_and_5xx(
    emulator: ShopifyEmulator, fake_time: FakeClock, fault: str, expected_sleeps: list[float]
) -> None:
    emulator.inject(fault)
    assert make_client(emulator, fake_time).shop_currency() == "USD"
    assert slept(fake_time) == expected_sleeps


def test_throttled_on_http_200_waits_for_the_restore_rate(
    emulator: ShopifyEmulator, fake_time: FakeClock
) -> None:
    client = make_client(emulator, fake_time)
    client.shop_currency()  # learns the bucket and the query's cost
    emulator.inject("throttled")
    assert client.shop_currency() == "USD"
    # the throttled answer: requested 100, 0 available, restore 100/s -> wait 1 s
    assert slept(fake_time) == [1.0]


def test_cost_pacing_with_a_small_bucket(fake_time: FakeClock) -> None:
    with ShopifyEmulator(bucket_max=1000, restore_rate=50, monotonic=fake_time.monotonic) as emu:
        client = make_client(emu, fake_time, page_size=100)
        client.variants_by_id(
            [f"gid://shopify/ProductVariant/{44000000001 + i}" for i in range(62)]
        )
        # 62 ids go as 45 + 17 (45 x 22 = 990 points, under the 1,000 maximum); each read
        # costs what it requests, so the bucket (1000, 50/s) must refill between reads
        for _ in range(4):
            client.variants_by_id(
                [f"gid://shopify/ProductVariant/{44000000001 + i}" for i in range(62)]
            )
        assert emu.admin.calls.count("query VariantsById") == 5 * 2  # never THROTTLED
        assert fake_time.sleeps and all(s > 0 for s in fake_time.sleeps)


def test_retries_run_out(emulator: ShopifyEmulator, fake_time: FakeClock) -> None:
    emulator.inject("http_503", times=10)
    with pytest.raises(ShopTransientError):
        make_client(emulator, fake_time, max_retries=2).shop_currency()
    assert len(fake_time.sleeps) == 2


def test_graphql_errors_surface_with_their_message(
    emulator: ShopifyEmulator, fake_time: FakeClock
) -> None:
    emulator.inject("graphql_error")
    with pytest.raises(ShopGraphQLError, match="something went wrong"):
        list(make_client(emulator, fake_time).iter_variant_pages())


def test_a_query_over_the_cost_limit_is_an_error(
    emulator: ShopifyEmulator, fake_time: FakeClock
) -> None:
    client = make_client(emulator, fake_time, page_size=200)
    # the client sizes its own reads under the maximum ...
    assert (
        len(client.variants_by_id([f"gid://shopify/ProductVariant/{i}" for i in range(200)])) == 0
    )
    # ... a document over it is refused before it runs, with Shopify's code
    with pytest.raises(ShopGraphQLError) as info:
        client.execute(queries.VARIANTS_PAGE, {"first": 100})
    assert info.value.code == "MAX_COST_EXCEEDED"
    assert "exceeds the single query max cost limit (1000)" in str(info.value)


def test_bad_static_token_is_an_auth_error(emulator: ShopifyEmulator, fake_time: FakeClock) -> None:
    cfg = ShopConfig(admin_base_url=emulator.base_url)
    client = ShopifyClient(cfg, session=requests.Session(), tokens=StaticToken("shpat_wrong"))
    with pytest.raises(ShopAuthError):
        client.shop_currency()


def test_client_credentials_token_is_refreshed_after_expiry(
    emulator: ShopifyEmulator, fake_time: FakeClock
) -> None:
    cfg = ShopConfig(admin_base_url=emulator.base_url)
    session = requests.Session()
    tokens = token_source_from_env(
        cfg,
        session=session,
        environ={
            "SHOPSTREAM_SHOPIFY_CLIENT_ID": emulator.control.client_id,
            "SHOPSTREAM_SHOPIFY_CLIENT_SECRET": emulator.control.client_secret,
        },
    )
    assert isinstance(tokens, ClientCredentials)
    client = ShopifyClient(cfg, session=session, tokens=tokens, sleep=fake_time.sleep_sync)
    assert client.shop_currency() == "USD"
    first = tokens.token()
    emulator.revoke_issued_tokens()
    assert client.shop_currency() == "USD"
    assert tokens.token() != first


def test_no_credentials_is_an_auth_error() -> None:
    with pytest.raises(ShopAuthError, match="SHOPSTREAM_SHOPIFY_TOKEN"):
        token_source_from_env(ShopConfig(), session=requests.Session(), environ={})
