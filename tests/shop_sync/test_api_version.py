"""API version fall-forward: the client reads ``X-Shopify-API-Version`` on every response, logs
a version other than the pinned one once and shows it in the store's status row.

The stub below serves what Shopify documents (shopify.dev "API versioning": a request for a
version that is no longer supported is served by the oldest supported one, which the
``X-Shopify-API-Version`` header names); the emulator's own GraphQL endpoint does the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from sandbox.shopify.serve import ServedApp
from shop_sync.client import ShopifyClient
from shop_sync.config import ShopConfig
from shop_sync.errors import ShopTransientError
from shop_sync.tokens import StaticToken
from tests.support.clock import FakeClock

SUPPORTED = ("2025-10", "2026-01", "2026-04", "2026-07")


def falling_forward_shop() -> FastAPI:
    app = FastAPI()

    @app.post("/admin/api/{version}/graphql.json")
    def graphql(version: str) -> JSONResponse:
        served = version if version in SUPPORTED else SUPPORTED[0]
        return JSONResponse(
            {"data": {"shop": {"currencyCode": "EUR"}}},
            headers={"X-Shopify-API-Version": served},
        )

    return app


@pytest.fixture
def stub_url() -> Iterator[str]:
    with ServedApp(falling_forward_shop()) as served:
        yield served.url


def client_for(url: str, version: str, clock: FakeClock | None = None) -> ShopifyClient:
    t = clock or FakeClock()
    return ShopifyClient(
        ShopConfig(admin_base_url=url, api_version=version, max_retries=1),
        session=requests.Session(),
        tokens=StaticToken(SANDBOX_TOKEN),
        sleep=t.sleep_sync,
        monotonic=t.monotonic,
        rand=lambda: 0.5,
    )


def test_a_retired_version_is_logged_once_and_shown(
    stub_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(stub_url, "2024-01")
    assert client.served_version is None and not client.fell_forward
    with caplog.at_level(logging.WARNING, logger="shop_sync.client"):
        assert client.shop_currency() == "EUR"
        client.shop_currency()
    assert client.served_version == "2025-10" and client.fell_forward
    warnings = [r for r in caplog.records if "served API version" in r.getMessage()]
    assert len(warnings) == 1
    assert "2025-10" in warnings[0].getMessage() and "2024-01" in warnings[0].getMessage()
    row = client.version_status()
    assert (row["name"], row["status"]) == ("store", "api_version_fell_forward")
    assert "2024-01" in str(row["detail"]) and "2025-10" in str(row["detail"])


def test_a_supported_version_is_ok(stub_url: str, caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(stub_url, "2026-07")
    with caplog.at_level(logging.WARNING, logger="shop_sync.client"):
        client.shop_currency()
    assert client.served_version == "2026-07" and not client.fell_forward
    assert client.version_status()["status"] == "ok"
    assert not [r for r in caplog.records if "served API version" in r.getMessage()]


@pytest.mark.parametrize("fault", ["http_500", "http_429", "http_401", "graphql_error"])
def test_the_emulators_error_answers_carry_the_version_too(fault: str) -> None:
    with ShopifyEmulator() as emu:
        emu.inject(fault)
        resp = requests.post(
            f"{emu.base_url}/admin/api/2026-07/graphql.json",
            json={"query": "{ shop { currencyCode } }"},
            headers={"X-Shopify-Access-Token": SANDBOX_TOKEN},
            timeout=5,
        )
        assert resp.headers["X-Shopify-API-Version"] == "2026-07"
        bad = requests.post(
            f"{emu.base_url}/admin/api/2026-07/graphql.json",
            data=b"{not json",
            headers={"X-Shopify-Access-Token": SANDBOX_TOKEN},
            timeout=5,
        )
        assert bad.status_code == 400 and bad.headers["X-Shopify-API-Version"] == "2026-07"


def test_the_version_of_a_failing_call_is_still_read() -> None:
    with ShopifyEmulator() as emu:
        emu.inject("http_503", times=5)
        client = client_for(emu.base_url, "2026-07")
        with pytest.raises(ShopTransientError):
            client.shop_currency()
        assert client.served_version == "2026-07"
