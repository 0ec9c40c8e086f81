"""Golden URLs for the cart permalink builder and its refusals."""

from __future__ import annotations

from typing import Any

import pytest

from checkout_links.lines import LineItem
from checkout_links.permalink import build_cart_permalink, shop_base_url

L = LineItem
ATTRS = "attributes%5B_shopstream_hold%5D"
SHOW = "attributes%5B_shopstream_show%5D"
PLAT = "attributes%5B_shopstream_platform%5D"
VIEW = "attributes%5B_shopstream_viewer%5D"

GOLDEN: list[tuple[str, dict[str, Any], str]] = [
    (
        "one line, minimal",
        dict(
            shop_domain="demo.myshopify.com",
            lines=[L(variant_id="4001", quantity=1)],
            hold_ids=["h1"],
            show="s101",
            platform="youtube",
            viewer="",
        ),
        "https://demo.myshopify.com/cart/4001:1?"
        f"{ATTRS}=h1&{SHOW}=s101&{PLAT}=youtube&ref=ss%3Ah1"
        "&utm_source=youtube&utm_medium=livestream&utm_campaign=s101",
    ),
    (
        "several lines, merged duplicates, several holds, viewer",
        dict(
            shop_domain="Demo.MyShopify.com/",
            lines=[
                L(variant_id="4001", quantity=1),
                L(variant_id="gid://shopify/ProductVariant/4002", quantity=2),
                L(variant_id="4001", quantity=2),
            ],
            hold_ids=["h1", "h2"],
            show="s101",
            platform="twitch",
            viewer="v_9f2c",
        ),
        "https://demo.myshopify.com/cart/4001:3,4002:2?"
        f"{ATTRS}=h1%2Ch2&{SHOW}=s101&{PLAT}=twitch&{VIEW}=v_9f2c&ref=ss%3Ah1%2Ch2"
        "&utm_source=twitch&utm_medium=livestream&utm_campaign=s101",
    ),
    (
        "discount, email, locale, explicit ref, spaces and unicode in the show",
        dict(
            shop_domain="shop.example.com",
            lines=[L(variant_id="7", quantity=5)],
            hold_ids=["42"],
            show="Black Friday Live ü",
            platform="facebook",
            viewer="",
            ref="host-anna",
            discount="LIVE10",
            email="a+b@example.com",
            locale="fr",
        ),
        "https://shop.example.com/fr/cart/7:5?"
        f"{ATTRS}=42&{SHOW}=Black%20Friday%20Live%20%C3%BC&{PLAT}=facebook&ref=host-anna"
        "&discount=LIVE10&checkout%5Bemail%5D=a%2Bb%40example.com"
        "&utm_source=facebook&utm_medium=livestream&utm_campaign=Black%20Friday%20Live%20%C3%BC",
    ),
    (
        "sandbox emulator base URL, campaign override, reserved characters in values",
        dict(
            shop_domain="http://127.0.0.1:8123",
            lines=[L(variant_id="12", quantity=1)],
            hold_ids=["a&b=c"],
            show="s/1?x#y",
            platform="youtube",
            viewer="",
            utm_campaign="fall&drop",
            locale="en-CA",
        ),
        "http://127.0.0.1:8123/en-CA/cart/12:1?"
        f"{ATTRS}=a%26b%3Dc&{SHOW}=s%2F1%3Fx%23y&{PLAT}=youtube&ref=ss%3Aa%26b%3Dc"
        "&utm_source=youtube&utm_medium=livestream&utm_campaign=fall%26drop",
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_urls(name: str, kwargs: dict[str, Any], expected: str) -> None:
    shop = kwargs.pop("shop_domain")
    lines = kwargs.pop("lines")
    assert build_cart_permalink(shop, lines, **kwargs) == expected


BAD: list[tuple[str, dict[str, Any]]] = [
    ("no lines", dict(lines=[])),
    ("no holds", dict(hold_ids=[])),
    ("comma in hold id", dict(hold_ids=["a,b"])),
    ("empty hold id", dict(hold_ids=[""])),
    ("comma in discount", dict(discount="A,B")),
    ("bad locale", dict(locale="../x")),
    ("shop with path", dict(shop_domain="demo.myshopify.com/cart")),
    ("ftp shop", dict(shop_domain="ftp://demo.myshopify.com")),
    ("empty shop", dict(shop_domain="")),
    ("empty show", dict(show="")),
]


@pytest.mark.parametrize(("name", "override"), BAD, ids=[b[0] for b in BAD])
def test_refusals(name: str, override: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = dict(
        shop_domain="demo.myshopify.com",
        lines=[L(variant_id="1", quantity=1)],
        hold_ids=["h1"],
        show="s",
        platform="youtube",
        viewer="",
    )
    kwargs.update(override)
    shop = kwargs.pop("shop_domain")
    lines = kwargs.pop("lines")
    with pytest.raises(ValueError):
        build_cart_permalink(shop, lines, **kwargs)


@pytest.mark.parametrize(
    ("variant_id", "quantity"),
    [("abc", 1), ("0", 1), ("-3", 1), ("gid://shopify/Product/1", 1), ("1", 0), ("1", -2)],
)
def test_line_item_refuses_bad_values(variant_id: str, quantity: int) -> None:
    with pytest.raises(ValueError):
        LineItem(variant_id=variant_id, quantity=quantity)


def test_line_item_refuses_non_int_quantity() -> None:
    with pytest.raises(ValueError):
        LineItem(variant_id="1", quantity=True)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("demo.myshopify.com", "https://demo.myshopify.com"),
        (" https://Shop.Example.com/ ", "https://shop.example.com"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
    ],
)
def test_shop_base_url(given: str, expected: str) -> None:
    assert shop_base_url(given) == expected
