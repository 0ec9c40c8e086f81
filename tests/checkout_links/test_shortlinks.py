"""Short links on SQLite and PostgreSQL, served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from checkout_links.lines import LineItem
from checkout_links.permalink import build_cart_permalink
from checkout_links.shortlinks import (
    CODE_LENGTH,
    ShortLinks,
    clicks_by_platform,
    code_is_authentic,
    sign_code,
    signing_key,
)
from checkout_links.web import shortlink_router
from tests.checkout_links.conftest import serve
from tests.support.clock import FakeClock

KEY = b"k" * 32
TARGET = "https://demo.myshopify.com/cart/44000000001:1?ref=ss%3Ah1"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    from shopstream.storage.engine import make_engine

    eng = make_engine(db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def links(engine: Engine, clock: FakeClock) -> ShortLinks:
    return ShortLinks(engine, key=KEY, public_base_url="http://127.0.0.1:8000/", clock=clock)


@pytest.fixture
def site(links: ShortLinks) -> Iterator[str]:
    app = FastAPI()
    app.include_router(shortlink_router(links))
    with serve(app) as url:
        yield url


def _create(links: ShortLinks, clock: FakeClock, platform: str = "youtube") -> str:
    return links.create(
        TARGET,
        hold_ids=["h1", "h2"],
        viewer_key="v1",
        expires_at=clock() + timedelta(minutes=15),
        show="show-101",
        platform=platform,
    )


def _local(url: str, site: str) -> str:
    return url.replace("http://127.0.0.1:8000", site)


def test_the_landing_page_links_the_checkout_and_counts_clicks(
    links: ShortLinks, site: str, clock: FakeClock, http: requests.Session, engine: Engine
) -> None:
    url = _create(links, clock)
    code = url.rsplit("/", 1)[1]
    assert url == f"http://127.0.0.1:8000/l/{code}"
    assert len(code) == CODE_LENGTH and code_is_authentic(KEY, code)
    for _ in range(2):  # each open of the landing page is a click
        resp = http.get(_local(url, site), allow_redirects=False, timeout=5)
        assert resp.status_code == 200
        assert f'id="checkout" href="{html.escape(TARGET)}"' in resp.text
    _create(links, clock, platform="twitch")
    assert clicks_by_platform(engine, "show-101") == {"youtube": 2, "twitch": 0}
    assert links.clicks_by_platform("other-show") == {}


def test_tampered_and_unknown_codes_never_redirect(
    links: ShortLinks, site: str, clock: FakeClock, http: requests.Session, engine: Engine
) -> None:
    url = _create(links, clock)
    code = url.rsplit("/", 1)[1]
    flipped = code[:-1] + ("A" if code[-1] != "A" else "B")
    random_flipped = ("x" if code[0] != "x" else "y") + code[1:]
    other_key = sign_code(b"z" * 32, code[:12])
    unstored = sign_code(KEY, "AAAAAAAAAAAA")
    for bad in (flipped, random_flipped, other_key, unstored, "short", code + "x", "ä" * 20):
        resp = http.get(f"{site}/l/{bad}", allow_redirects=False, timeout=5)
        assert resp.status_code == 404, bad
        assert TARGET not in resp.text
    assert clicks_by_platform(engine, "show-101") == {"youtube": 0}


def test_expired_link_offers_the_waitlist_and_no_checkout(
    links: ShortLinks, site: str, clock: FakeClock, http: requests.Session
) -> None:
    url = _create(links, clock)
    clock.now += timedelta(minutes=15)
    resp = http.get(_local(url, site), allow_redirects=False, timeout=5)
    assert resp.status_code == 410
    assert "!waitlist" in resp.text
    assert "/cart/" not in resp.text and "href" not in resp.text
    assert links.resolve(url.rsplit("/", 1)[1]).kind == "expired"


def test_codes_are_unique(links: ShortLinks, clock: FakeClock) -> None:
    urls = {_create(links, clock) for _ in range(200)}
    assert len(urls) == 200


def test_create_refuses_bad_input(links: ShortLinks, clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        links.create("javascript:alert(1)", hold_ids=["h"], viewer_key="", expires_at=clock())
    with pytest.raises(ValueError):
        links.create(TARGET, hold_ids=["a,b"], viewer_key="", expires_at=clock())
    with pytest.raises(ValueError):
        links.create(TARGET, hold_ids=["h"], viewer_key="", expires_at=clock().replace(tzinfo=None))


def test_signing_key_from_environment(caplog: pytest.LogCaptureFixture) -> None:
    assert signing_key({"SHOPSTREAM_LINK_SIGNING_KEY": "s" * 20}, sandbox=False) == b"s" * 20
    with pytest.raises(ValueError, match="SHOPSTREAM_LINK_SIGNING_KEY"):
        signing_key({}, sandbox=False)
    with pytest.raises(ValueError, match="16"):
        signing_key({"SHOPSTREAM_LINK_SIGNING_KEY": "short"}, sandbox=True)
    with caplog.at_level(logging.WARNING):
        one = signing_key({}, sandbox=True)
    assert len(one) == 32 and one != signing_key({}, sandbox=True)
    assert "ephemeral" in caplog.text


def test_short_link_keeps_a_youtube_reply_under_200_chars(engine: Engine, clock: FakeClock) -> None:
    links = ShortLinks(
        engine, key=KEY, public_base_url="https://live.example-shop.com", clock=clock
    )
    full = build_cart_permalink(
        "example-shop.myshopify.com",
        [
            LineItem(variant_id="44000000001", quantity=2),
            LineItem(variant_id="44000000017", quantity=1),
        ],
        hold_ids=["3f2b9c1e-7d1a-4c55-9a0e-1b2c3d4e5f60", "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d"],
        show="black-friday-live",
        platform="youtube",
        viewer="yt_5d41402abc4b2a76",
        discount="LIVE10",
    )
    reply = "@Alexandria_the_Great Classic Tee S/Red ×2 + Hoodie M ×1 held 15 min. Pay: {}"
    assert len(reply.format(full)) > 200
    short = links.create(
        full, hold_ids=["h1"], viewer_key="v", expires_at=clock() + timedelta(minutes=15)
    )
    assert len(reply.format(short)) < 200


def test_links_of_ended_holds_stop_redirecting(links: ShortLinks, clock: FakeClock) -> None:
    both = _create(links, clock).rsplit("/", 1)[1]  # covers h1 and h2
    other = links.create(
        TARGET, hold_ids=["h3"], viewer_key="v", expires_at=clock() + timedelta(minutes=9)
    ).rsplit("/", 1)[1]
    assert links.expire_for_holds(["h2", "zzz"]) == 1
    assert links.expire_for_holds([]) == 0
    assert links.resolve(both).kind == "expired"
    assert links.resolve(other).kind == "redirect"
    assert links.expire_for_holds(["h2"]) == 0


def test_links_made_in_a_batch_are_stored_together_at_its_end(
    links: ShortLinks, clock: FakeClock
) -> None:
    def code(url: str) -> str:
        return url.rsplit("/", 1)[1]

    with links.batch():
        made = [_create(links, clock, platform=p) for p in ("youtube", "twitch", "facebook")]
        with links.batch():  # nested: still one batch
            made.append(_create(links, clock))
        assert all(links.resolve(code(u)).kind == "unknown" for u in made)  # not stored yet
    resolved = [links.resolve(code(u)) for u in made]
    assert [r.kind for r in resolved] == ["redirect"] * 4
    assert {r.target_url for r in resolved} == {TARGET}
    assert links.clicks_by_platform("show-101") == {"youtube": 2, "twitch": 1, "facebook": 1}


def test_a_link_made_inside_a_unit_of_work_is_stored_with_it(
    engine: Engine, links: ShortLinks, clock: FakeClock
) -> None:
    from shopstream.storage.unit import unit_of_work

    with unit_of_work(engine):  # a hold notice: the unit holds SQLite's one write lock
        url = _create(links, clock)
    assert links.resolve(url.rsplit("/", 1)[1]).kind == "redirect"
    with pytest.raises(RuntimeError), unit_of_work(engine):
        failed = _create(links, clock)
        raise RuntimeError("the unit fails")
    assert links.resolve(failed.rsplit("/", 1)[1]).kind == "unknown"  # gone with it
