"""One link per viewer: merging holds, refusing other viewers' holds, and the link service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from checkout_links.config import LinksConfig
from checkout_links.lines import CheckoutRequest, LineItem
from checkout_links.service import CheckoutLinks, viewer_key
from checkout_links.shortlinks import ShortLinks
from checkout_links.strategies import PermalinkStrategy
from checkout_links.viewer_cart import viewer_cart
from tests.support.clock import FakeClock


@dataclass(frozen=True)
class Hold:  # the fields of shop_sync's HoldView that viewer_cart reads
    hold_id: str
    platform: str
    viewer_id: str
    variant_id: str
    quantity: int
    status: str
    expires_at: datetime | None


def _holds(now: datetime) -> list[Hold]:
    later = now + timedelta(minutes=10)
    return [
        Hold("h1", "youtube", "alice", "101", 1, "active", later),
        Hold("h2", "youtube", "alice", "202", 2, "active", now + timedelta(minutes=4)),
        Hold("h3", "youtube", "alice", "101", 1, "active", later),
        Hold("x1", "youtube", "mallory", "303", 1, "active", later),
        Hold("x2", "twitch", "alice", "404", 1, "active", later),  # same name, other platform
        Hold("h4", "youtube", "alice", "505", 1, "converted", later),
        Hold("h5", "youtube", "alice", "606", 1, "active", now),
        Hold("h6", "youtube", "alice", "not-a-variant", 1, "active", later),
        Hold("w7", "youtube", "alice", "707", 1, "active", None),  # a waitlist place
    ]


def test_one_request_covers_only_this_viewers_active_holds(clock: FakeClock) -> None:
    cart = viewer_cart(
        _holds(clock()),
        platform="youtube",
        viewer_id="alice",
        viewer_key="v_a",
        show="s",
        now=clock(),
    )
    assert cart.request is not None
    assert cart.request.hold_ids == ("h1", "h2", "h3")
    assert cart.request.lines == (
        LineItem(variant_id="101", quantity=2),
        LineItem(variant_id="202", quantity=2),
    )
    assert cart.request.expires_at == clock() + timedelta(minutes=4)
    assert dict(cart.refused) == {
        "x1": "not_this_viewer",
        "x2": "not_this_viewer",
        "h4": "not_active",
        "h5": "expired",
        "h6": "bad_line",
        "w7": "not_active",
    }


def test_no_qualifying_hold_means_no_request(clock: FakeClock) -> None:
    cart = viewer_cart(
        _holds(clock())[3:5],
        platform="youtube",
        viewer_id="alice",
        viewer_key="v",
        show="s",
        now=clock(),
    )
    assert cart.request is None and len(cart.refused) == 2


def test_the_merged_link_never_carries_another_viewers_hold(clock: FakeClock) -> None:
    cart = viewer_cart(
        _holds(clock()),
        platform="youtube",
        viewer_id="alice",
        viewer_key="v_a",
        show="s",
        now=clock(),
    )
    assert cart.request is not None
    url = PermalinkStrategy(LinksConfig(shop_domain="demo.myshopify.com")).checkout_url(
        cart.request
    )
    query = parse_qs(urlsplit(url).query)
    assert query["attributes[_shopstream_hold]"] == ["h1,h2,h3"]
    assert urlsplit(url).path == "/cart/101:2,202:2"
    for foreign in ("x1", "x2", "303", "404"):
        assert foreign not in url


def test_viewer_key_is_opaque_and_stable() -> None:
    key = viewer_key("youtube", "UCabc123")
    assert key == viewer_key("youtube", "UCabc123")
    assert key != viewer_key("twitch", "UCabc123") and "UCabc123" not in key
    assert key.startswith("v_") and len(key) == 18


@pytest.fixture
def engine(sqlite_db_url: str) -> Iterator[Engine]:
    from shopstream.storage.engine import make_engine

    eng = make_engine(sqlite_db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


def test_service_shortens_per_platform(engine: Engine, clock: FakeClock) -> None:
    config = LinksConfig(
        shop_domain="demo.myshopify.com",
        public_base_url="https://go.example.com",
        short_links={"youtube": True, "twitch": False},
    )
    short = ShortLinks(engine, key=b"k" * 32, public_base_url=config.public_base_url, clock=clock)
    service = CheckoutLinks(config, PermalinkStrategy(config), short)

    def req(platform: str) -> CheckoutRequest:
        return CheckoutRequest(
            lines=(LineItem(variant_id="1", quantity=1),),
            hold_ids=("h1",),
            show="s",
            platform=platform,
            viewer="v",
            expires_at=clock() + timedelta(minutes=5),
        )

    yt = service.link_for(req("youtube"))
    assert yt.startswith("https://go.example.com/l/")
    resolved = short.resolve(yt.rsplit("/", 1)[1])
    assert resolved.target_url == service_target(config, req("youtube"))
    assert service.link_for(req("twitch")).startswith("https://demo.myshopify.com/cart/1:1?")
    assert service.link_for(req("facebook")).startswith("https://go.example.com/l/")


def service_target(config: LinksConfig, req: CheckoutRequest) -> str:
    return PermalinkStrategy(config).checkout_url(req)
