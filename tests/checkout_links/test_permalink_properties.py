"""Property: whatever the text, a permalink's query decodes back to exactly what went in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from checkout_links.lines import LineItem
from checkout_links.permalink import build_cart_permalink
from tests.fuzz import examples

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)
hold = text.filter(lambda h: "," not in h and len(h) <= 64 and h.isprintable() and h.strip() == h)
line = st.builds(
    LineItem,
    variant_id=st.integers(1, 10**14).map(str),
    quantity=st.integers(1, 50),
)


@settings(max_examples=examples(300))
@given(
    lines=st.lists(line, min_size=1, max_size=6),
    holds=st.lists(hold, min_size=1, max_size=4),
    show=text,
    platform=text,
    viewer=text,
    discount=st.none() | text.filter(lambda d: "," not in d),
)
def test_query_round_trips(
    lines: list[LineItem],
    holds: list[str],
    show: str,
    platform: str,
    viewer: str,
    discount: str | None,
) -> None:
    url = build_cart_permalink(
        "demo.myshopify.com",
        lines,
        hold_ids=holds,
        show=show,
        platform=platform,
        viewer=viewer,
        discount=discount,
    )
    parts = urlsplit(url)
    assert " " not in url and "[" not in url and "#" not in url
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert query["attributes[_shopstream_hold]"] == [",".join(holds)]
    assert query["attributes[_shopstream_show]"] == [show]
    assert query["attributes[_shopstream_platform]"] == [platform]
    assert query["attributes[_shopstream_viewer]"] == [viewer]
    assert query["utm_source"] == [platform] and query["utm_campaign"] == [show]
    assert query.get("discount") == ([discount] if discount else None)
    totals: dict[str, int] = {}
    for li in lines:
        totals[li.variant_id] = totals.get(li.variant_id, 0) + li.quantity
    assert parts.path == "/cart/" + ",".join(f"{v}:{q}" for v, q in totals.items())
