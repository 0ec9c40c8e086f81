"""Check products in ``products.json`` shape and make them safe for the sandbox store.

Every product and variant either passes, is repaired with a reported assumption, or is a
problem that stops the show (it would oversell or crash). Stock follows Shopify's rules:
a variant whose inventory is tracked (``inventory_management: "shopify"``) sells what it
has; an untracked one sells without limit (Shopify REST ProductVariant,
``inventory_management``: "null if inventory isn't tracked"). A catalog that gives a
quantity but does not say whether it is tracked is taken as tracked, and reported, so a
show never sells stock the file says is not there.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.catalog.report import CatalogReport

_ROW = "_row"  # CSV line a product or variant came from (dropped before the store sees it)

JSON_FIELDS: dict[str, str] = {}
"""Our JSON's field names are the keys themselves."""

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(title: str) -> str:
    """A handle made from a title, as Shopify makes one (lowercase words joined by '-')."""
    return _SLUG.sub("-", title.lower()).strip("-")


class _Namer:
    """Where a product or variant is, and what a field is called, in the merchant's file."""

    def __init__(self, source: str, fields: Mapping[str, str]) -> None:
        self.source = source
        self.fields = fields
        self.report_ids = not fields  # a CSV export has no ids: giving them is no news

    def product(self, index: int, raw: Mapping[str, Any]) -> str:
        if _ROW in raw:
            return f"{self.source}:{raw[_ROW]}"
        name = raw.get("handle") or raw.get("title")
        return f"{self.source}: product #{index + 1}" + (f" ({name})" if name else "")

    def variant(self, p_where: str, index: int, raw: Mapping[str, Any]) -> str:
        if _ROW in raw:
            return f"{self.source}:{raw[_ROW]}"
        sku = raw.get("sku")
        return f"{p_where}, variant #{index + 1}" + (f" ({sku})" if sku else "")

    def field(self, key: str, *, variant: bool = False) -> str:
        if key in self.fields:
            return self.fields[key]
        return f"variants[].{key}" if variant else key


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().lstrip("-").isdigit()


def check_products(
    products: Any,
    source: str,
    *,
    fields: Mapping[str, str] = JSON_FIELDS,
    report: CatalogReport | None = None,
) -> CatalogReport:
    """Check ``products`` (a list of products.json products); return the repaired copy.

    Nothing in ``products`` is changed; ``report.products`` holds only products that passed
    or were repaired, without the CSV row markers.
    """
    report = report or CatalogReport(source=source)
    names = _Namer(source, fields)
    if not isinstance(products, list):
        report.stop(source, "products", "expected a list of products")
        return report
    if not products:
        report.stop(source, "products", "the catalog has no products: nothing to sell")
        return report
    used_ids = {str(p.get("id")) for p in products if isinstance(p, Mapping) and p.get("id")}
    used_vids = {
        str(v.get("id"))
        for p in products
        if isinstance(p, Mapping) and isinstance(p.get("variants"), list)
        for v in p["variants"]
        if isinstance(v, Mapping) and v.get("id")
    }
    fresh_pid = (str(n) for n in itertools.count(8_100_000_001) if str(n) not in used_ids)
    fresh_vid = (str(n) for n in itertools.count(48_100_000_001) if str(n) not in used_vids)
    handles: dict[str, str] = {}
    variant_ids: dict[str, str] = {}
    for index, raw in enumerate(products):
        if not isinstance(raw, Mapping):
            report.stop(names.product(index, {}), "product", "expected an object")
            continue
        product = _check_product(index, raw, names, report, fresh_pid, fresh_vid)
        if product is None:
            continue
        where = names.product(index, raw)
        handle = product["handle"]
        if handle in handles:
            report.stop(
                where, names.field("handle"), f"handle {handle!r} is also {handles[handle]}"
            )
            continue
        handles[handle] = where
        clash = next((str(v["id"]) for v in product["variants"] if str(v["id"]) in variant_ids), "")
        if clash:
            report.stop(
                where,
                names.field("id", variant=True),
                f"variant id {clash} is also {variant_ids[clash]}",
            )
            continue
        variant_ids.update({str(v["id"]): where for v in product["variants"]})
        report.products.append(product)
    if not report.products and not report.stops:
        report.stop(source, "products", "no product can be sold in a show")
    return report


def _check_product(
    index: int,
    raw: Mapping[str, Any],
    names: _Namer,
    report: CatalogReport,
    fresh_pid: Any,
    fresh_vid: Any,
) -> dict[str, Any] | None:
    where = names.product(index, raw)
    product = copy.deepcopy(dict(raw))
    product.pop(_ROW, None)
    title = str(product.get("title") or "").strip()
    handle = str(product.get("handle") or "").strip()
    if not handle and not title:
        report.stop(where, names.field("handle"), "a product needs a handle or a title")
        return None
    if not handle:
        handle = slug(title)
        report.assume(where, names.field("handle"), "missing", f"{handle!r} (from the title)")
    if not title:
        title = handle
        report.assume(where, names.field("title"), "missing", f"{title!r} (the handle)")
    product["handle"], product["title"] = handle, title
    status = str(product.get("status") or "active")
    if status != "active":
        report.assume(where, names.field("status"), f"is {status!r}", "not for sale: left out")
        return None
    if not product.get("id"):
        product["id"] = int(next(fresh_pid))
        if names.report_ids:
            report.assume(where, names.field("id"), "missing", f"id {product['id']}")
    variants = product.get("variants")
    if not isinstance(variants, list) or not variants:
        report.stop(
            where,
            names.field("variants"),
            "the product has no variants: it needs at least one, with a price",
        )
        return None
    if not _check_options(where, product, names, report):
        return None
    stops_before = len(report.errors())
    ok = True
    for v_index, variant in enumerate(variants):
        if not isinstance(variant, dict):
            report.stop(f"{where}, variant #{v_index + 1}", "variants[]", "expected an object")
            ok = False
            continue
        ok = _check_variant(where, v_index, variant, product, names, report, fresh_vid) and ok
    if ok:
        _check_combinations(where, product, names, report)
    return product if ok and len(report.errors()) == stops_before else None


def _check_options(
    where: str, product: dict[str, Any], names: _Namer, report: CatalogReport
) -> bool:
    variants: list[dict[str, Any]] = product["variants"]
    options = product.get("options")
    if not isinstance(options, list):
        options = []
    named = [o for o in options if isinstance(o, Mapping) and o.get("name")]
    if len(named) != len(options):
        report.stop(where, names.field("options"), "every option needs a name")
        return False
    if not named:
        used = [k for k in (1, 2, 3) if any(v.get(f"option{k}") for v in variants)]
        if not used:
            product["options"] = [{"name": "Title", "position": 1, "values": ["Default Title"]}]
            for v in variants:
                v["option1"] = "Default Title"
            report.assume(where, names.field("options"), "missing", "one variant option, 'Title'")
            return True
        product["options"] = [
            {
                "name": f"Option{k}",
                "position": k,
                "values": list(
                    dict.fromkeys(str(v[f"option{k}"]) for v in variants if v.get(f"option{k}"))
                ),
            }
            for k in used
        ]
        report.assume(
            where,
            names.field("options"),
            "variants have option values but the product names no options",
            ", ".join(o["name"] for o in product["options"]),
        )
        return True
    if len(named) > 3:
        report.stop(where, names.field("options"), "Shopify allows at most 3 options")
        return False
    if [o["name"] for o in named] == ["Title"] and len(variants) > 1:
        named[0] = {**named[0], "name": "Option1"}
        report.assume(
            where,
            names.field("options"),
            f"the option is named 'Title' but the product has {len(variants)} variants",
            "the option 'Option1' (viewers name the value)",
        )
    product["options"] = named
    return True


def _check_variant(
    where: str,
    index: int,
    variant: dict[str, Any],
    product: dict[str, Any],
    names: _Namer,
    report: CatalogReport,
    fresh_vid: Any,
) -> bool:
    v_where = names.variant(where, index, variant)
    variant.pop(_ROW, None)

    def name(key: str) -> str:
        return names.field(key, variant=True)

    ok = True
    if not variant.get("id"):
        variant["id"] = int(next(fresh_vid))
        if names.report_ids:
            report.assume(v_where, name("id"), "missing", f"id {variant['id']}")
    if str(variant.get("product_id") or "") != str(product["id"]):
        if variant.get("product_id"):
            report.stop(
                v_where,
                name("product_id"),
                f"is {variant['product_id']} but the variant is listed under product"
                f" {product['id']}",
            )
            ok = False
        else:
            variant["product_id"] = product["id"]
            if names.report_ids:
                report.assume(v_where, name("product_id"), "missing", "the id of its product")
    price = variant.get("price")
    try:
        amount = Decimal(str(price).strip())
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        amount = None
    if price in (None, "") or amount is None:
        report.stop(v_where, name("price"), f"expected a price like 24.00, got {price!r}")
        ok = False
    else:
        variant["price"] = f"{amount:.2f}"
    for k, option in enumerate(product["options"], start=1):
        value = variant.get(f"option{k}")
        if value in (None, ""):
            report.stop(
                v_where,
                name(f"option{k}"),
                f"no value for the option {option['name']!r}: every variant needs one",
            )
            ok = False
    for k in range(len(product["options"]) + 1, 4):
        if variant.get(f"option{k}") not in (None, ""):
            report.stop(
                v_where, name(f"option{k}"), f"has a value but the product has no option {k}"
            )
            ok = False
    if not variant.get("title"):
        variant["title"] = " / ".join(
            str(variant[f"option{k}"])
            for k in range(1, len(product["options"]) + 1)
            if variant.get(f"option{k}")
        )
    return _check_stock(v_where, variant, name, report) and ok


def _check_stock(v_where: str, variant: dict[str, Any], name: Any, report: CatalogReport) -> bool:
    qty = variant.get("inventory_quantity")
    has_qty = qty not in (None, "")
    if has_qty and not _is_int(qty):
        report.stop(v_where, name("inventory_quantity"), f"expected a whole number, got {qty!r}")
        return False
    count = int(str(qty).strip()) if has_qty else 0
    tracker = variant.get("inventory_management")
    said = "inventory_management" in variant
    if tracker in (None, ""):
        if has_qty:
            variant["inventory_management"] = "shopify"
            report.assume(
                v_where,
                name("inventory_management"),
                "does not say whether stock is tracked, but a quantity is given",
                f"tracked, {count} in stock",
            )
        elif said:
            variant["inventory_management"] = None
            report.assume(
                v_where,
                name("inventory_management"),
                "stock is not tracked",
                "unlimited stock (the store sells it without counting)",
            )
        else:
            variant["inventory_management"] = "shopify"
            variant["inventory_quantity"] = 0
            report.assume(
                v_where,
                name("inventory_quantity"),
                "no stock given and no inventory tracking stated",
                "tracked, 0 in stock",
            )
            return True
    elif not has_qty:
        variant["inventory_quantity"] = 0
        report.assume(v_where, name("inventory_quantity"), "missing", "0 in stock")
        return True
    if has_qty:
        if count < 0:
            report.assume(
                v_where, name("inventory_quantity"), f"is {count}", "0 in stock (none to sell)"
            )
            count = 0
        variant["inventory_quantity"] = count
    if variant.get("inventory_management") and variant.get("inventory_policy") == "continue":
        report.assume(
            v_where,
            name("inventory_policy"),
            "'continue': the store keeps selling when the stock is gone",
            "holds are still limited to the stock given",
        )
    return True


def _check_combinations(
    where: str, product: dict[str, Any], names: _Namer, report: CatalogReport
) -> None:
    seen: dict[tuple[str, ...], int] = {}
    count = len(product["options"])
    for index, variant in enumerate(product["variants"]):
        combo = tuple(str(variant.get(f"option{k}")) for k in range(1, count + 1))
        if combo in seen:
            report.stop(
                names.variant(where, index, variant),
                names.field("option1", variant=True),
                f"{' / '.join(combo)} is also variant #{seen[combo] + 1}: a viewer could not"
                " say which one",
            )
        seen.setdefault(combo, index)
    for k, option in enumerate(product["options"], start=1):
        values = list(
            dict.fromkeys(str(v[f"option{k}"]) for v in product["variants"] if v.get(f"option{k}"))
        )
        option.setdefault("position", k)
        option["values"] = values


def check_lineup(
    report: CatalogReport,
    lineup: Sequence[tuple[str, str]],
    *,
    featured: str = "",
    where: str = "run of show",
) -> list[str]:
    """Settings problems: lineup handles or a featured product the catalog does not have."""
    handles = {p["handle"] for p in report.products}
    problems = [
        f"{where}: lineup code {code!r}: handle {handle!r} is not in the catalog {report.source}"
        for code, handle in lineup
        if handle not in handles
    ]
    if featured:
        codes = {code.casefold() for code, _ in lineup}
        codes |= {c.casefold() for p in report.products for c in _live_codes(p)}
        if featured not in handles and featured.casefold() not in codes:
            problems.append(
                f"settings: show.featured: {featured!r} is neither a lineup code nor a product"
                f" handle of {report.source}"
            )
    return problems


def _live_codes(product: Mapping[str, Any]) -> list[str]:
    tags = product.get("tags") or ""
    parts = tags.split(",") if isinstance(tags, str) else list(tags)
    return [t.strip()[5:].strip() for t in parts if str(t).strip().lower().startswith("live:")]
