"""Pure builder of Shopify cart permalinks (``https://{shop}/cart/{variant}:{qty},...``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from checkout_links.keys import (
    HOLD_ATTRIBUTE,
    PLATFORM_ATTRIBUTE,
    SHOW_ATTRIBUTE,
    UTM_MEDIUM,
    VIEWER_ATTRIBUTE,
    check_hold_id,
    default_ref,
)
from checkout_links.lines import LineItem, merge_lines, numeric_variant_id

_LOCALE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$")


def shop_base_url(shop_domain: str) -> str:
    """Return ``https://{shop}`` for a bare domain, or the given ``scheme://host[:port]`` as is.

    A scheme is accepted so that the sandbox can point links at the emulator
    (``http://127.0.0.1:8123``).

    Raises:
        ValueError: the domain is empty or is not a bare host (path, query, spaces).
    """
    raw = shop_domain.strip().rstrip("/")
    scheme = "https"
    if "://" in raw:
        scheme, raw = raw.split("://", 1)
        if scheme not in ("http", "https"):
            raise ValueError(f"shop domain must be http(s): {shop_domain!r}")
    if not raw or not _HOST.match(raw):
        raise ValueError(f"not a shop domain: {shop_domain!r}")
    return f"{scheme}://{raw.lower()}"


def _q(text: str) -> str:
    return quote(text, safe="")


def build_cart_permalink(
    shop_domain: str,
    lines: Sequence[LineItem],
    *,
    hold_ids: Sequence[str],
    show: str,
    platform: str,
    viewer: str,
    ref: str | None = None,
    discount: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    utm_campaign: str | None = None,
) -> str:
    """Build the cart permalink for ``lines`` that attributes the order to its holds.

    Lines of the same variant are merged. The query carries, in this order:
    ``attributes[_shopstream_hold]`` (hold ids, comma-separated), ``attributes[_shopstream_show]``,
    ``attributes[_shopstream_platform]``, ``attributes[_shopstream_viewer]`` (when ``viewer`` is
    set), ``ref`` (default ``ss:<hold ids>``), ``discount``, ``checkout[email]``, then
    ``utm_source`` = platform, ``utm_medium`` = livestream, ``utm_campaign`` = show (or
    ``utm_campaign``). Every key and value is percent-encoded (RFC 3986 unreserved characters
    only), brackets included.

    Args:
        shop_domain: ``example.myshopify.com`` (https is implied) or ``http(s)://host[:port]``.
        lines: The cart lines (numeric variant ids or gids).
        hold_ids: The holds this link converts; at least one.
        show: Show id.
        platform: Chat platform the link is sent on.
        viewer: Opaque viewer key ("" to leave it out).
        ref: Referral code; default ``ss:<hold ids>``.
        discount: Discount code (no comma: Shopify reads a comma as a second code).
        email: Prefills ``checkout[email]``.
        locale: Locale prefix of the path (``fr``, ``en-ca``).
        utm_campaign: Overrides the campaign (default: the show id).

    Returns:
        The absolute URL.

    Raises:
        ValueError: empty lines or hold ids, a bad variant id, quantity, hold id, locale,
            discount code or shop domain.
    """
    base = shop_base_url(shop_domain)
    merged = merge_lines(lines)
    if not merged:
        raise ValueError("a cart permalink needs at least one line")
    holds = [check_hold_id(h) for h in hold_ids]
    if not holds:
        raise ValueError("a cart permalink needs at least one hold id")
    if not show or not platform:
        raise ValueError("show and platform are required")
    path = "/cart/" + ",".join(
        f"{numeric_variant_id(li.variant_id)}:{li.quantity}" for li in merged
    )
    if locale:
        if not _LOCALE.match(locale):
            raise ValueError(f"not a locale: {locale!r}")
        path = f"/{locale}{path}"
    params: list[tuple[str, str]] = [
        (f"attributes[{HOLD_ATTRIBUTE}]", ",".join(holds)),
        (f"attributes[{SHOW_ATTRIBUTE}]", show),
        (f"attributes[{PLATFORM_ATTRIBUTE}]", platform),
    ]
    if viewer:
        params.append((f"attributes[{VIEWER_ATTRIBUTE}]", viewer))
    params.append(("ref", ref if ref is not None else default_ref(holds)))
    if discount:
        if "," in discount:
            raise ValueError(f"a discount code cannot contain a comma: {discount!r}")
        params.append(("discount", discount))
    if email:
        params.append(("checkout[email]", email))
    params += [
        ("utm_source", platform),
        ("utm_medium", UTM_MEDIUM),
        ("utm_campaign", utm_campaign or show),
    ]
    return base + path + "?" + "&".join(f"{_q(k)}={_q(v)}" for k, v in params)
