"""Read Shopify's product CSV export (Products → Export) into ``products.json`` shape.

The column set is Shopify's own (help.shopify.com/en/manual/products/import-export/using-csv):
``Handle``, ``Title``, ``Option1 Name`` / ``Option1 Value`` … ``Option3``, ``Variant SKU``,
``Variant Inventory Tracker`` (``shopify``, or blank when inventory isn't tracked),
``Variant Inventory Qty``, ``Variant Inventory Policy`` (``deny`` / ``continue``),
``Variant Price``, ``Tags``, ``Status`` (``active`` / ``draft`` / ``archived``). Newer exports
name some columns differently (``URL handle``, ``SKU``, ``Price``, ``Inventory quantity``,
``Option1 name``); both are read, header names without regard to case.

Rows with the same handle are one product: its first row carries the title and the option
names, each row with option values or a price is a variant, and rows with neither (extra
images) are skipped. Each product and variant keeps the CSV line it came from, so the
catalog check can name it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sandbox.catalog.report import CatalogReport

# our key -> the header names Shopify has used for it (legacy export first)
COLUMNS: dict[str, tuple[str, ...]] = {
    "handle": ("Handle", "URL handle"),
    "title": ("Title",),
    "body_html": ("Body (HTML)", "Description"),
    "vendor": ("Vendor",),
    "product_type": ("Type",),
    "tags": ("Tags",),
    "status": ("Status",),
    "option1_name": ("Option1 Name",),
    "option1_value": ("Option1 Value",),
    "option2_name": ("Option2 Name",),
    "option2_value": ("Option2 Value",),
    "option3_name": ("Option3 Name",),
    "option3_value": ("Option3 Value",),
    "sku": ("Variant SKU", "SKU"),
    "inventory_management": ("Variant Inventory Tracker", "Inventory tracker"),
    "inventory_quantity": ("Variant Inventory Qty", "Inventory quantity"),
    "inventory_policy": ("Variant Inventory Policy",),
    "price": ("Variant Price", "Price"),
    "compare_at_price": ("Variant Compare At Price", "Compare-at price"),
    "barcode": ("Variant Barcode", "Barcode"),
}

_VARIANT_KEYS = (
    "sku",
    "inventory_management",
    "inventory_quantity",
    "inventory_policy",
    "price",
    "compare_at_price",
    "barcode",
)


def looks_like_csv(text: str) -> bool:
    """True when the first line is a Shopify product CSV header."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].casefold()
    return "title" in first and ("handle" in first) and "," in first


def read_shopify_csv(text: str, source: str, report: CatalogReport) -> list[dict[str, Any]]:
    """Products in ``products.json`` shape from a product CSV (problems go to ``report``)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        report.stop(f"{source}:1", "header", "the file is empty")
        return []
    except csv.Error as exc:
        report.stop(f"{source}:1", "header", f"not a CSV file ({exc})")
        return []
    columns = _columns(header)
    fields = field_names(columns)
    for key in ("title", "price"):
        if key not in columns and not (key == "title" and "handle" in columns):
            report.stop(
                f"{source}:1",
                COLUMNS[key][0],
                "column missing: is this Shopify's product CSV (Products → Export)?",
            )
    if report.stops:
        return []
    products: dict[str, dict[str, Any]] = {}
    try:
        for row in reader:
            line = reader.line_num
            cell = _cells(row, columns)
            if not any(row):
                continue
            if len(row) != len(header):
                report.stop(
                    f"{source}:{line}",
                    "row",
                    f"has {len(row)} cells, the header has {len(header)}",
                )
                continue
            _add_row(products, cell, line, source, report, fields)
    except csv.Error as exc:
        report.stop(f"{source}:{reader.line_num}", "row", f"not valid CSV ({exc})")
    return list(products.values())


def field_names(columns: dict[str, int] | None = None) -> dict[str, str]:
    """How the catalog check should name each field: the CSV column the merchant sees."""
    names = {key: headers[0] for key, headers in COLUMNS.items()}
    for k in (1, 2, 3):
        names[f"option{k}"] = f"Option{k} Value"
    names["options"] = "Option1 Name"
    names["variants"] = "Option1 Value / Variant Price"
    names["id"] = "Handle"
    names["product_id"] = "Handle"
    return names


def _columns(header: list[str]) -> dict[str, int]:
    folded = {h.strip().casefold(): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for name in names:
            if name.casefold() in folded:
                found[key] = folded[name.casefold()]
                break
    return found


def _cells(row: list[str], columns: dict[str, int]) -> dict[str, str]:
    return {key: row[i].strip() for key, i in columns.items() if i < len(row)}


def _add_row(
    products: dict[str, dict[str, Any]],
    cell: dict[str, str],
    line: int,
    source: str,
    report: CatalogReport,
    fields: dict[str, str],
) -> None:
    handle = cell.get("handle", "")
    title = cell.get("title", "")
    is_variant = any(cell.get(f"option{k}_value") for k in (1, 2, 3)) or bool(cell.get("price"))
    if not handle:
        if not title:
            if is_variant:
                report.stop(f"{source}:{line}", fields["handle"], "empty: which product is this?")
            return
        handle = f"row-{line}"  # the check names it from the title
    product = products.get(handle)
    if product is None:
        product = {
            "_row": line,
            "handle": cell.get("handle", ""),
            "title": title,
            "body_html": cell.get("body_html", ""),
            "vendor": cell.get("vendor", ""),
            "product_type": cell.get("product_type", ""),
            "tags": cell.get("tags", ""),
            "status": (cell.get("status") or "active").lower(),
            "options": [
                {"name": cell[f"option{k}_name"], "position": k}
                for k in (1, 2, 3)
                if cell.get(f"option{k}_name")
            ],
            "variants": [],
        }
        products[handle] = product
    if not is_variant:
        return  # an extra image row
    variant: dict[str, Any] = {"_row": line}
    for k in (1, 2, 3):
        variant[f"option{k}"] = cell.get(f"option{k}_value") or None
    for key in _VARIANT_KEYS:
        if key in cell:
            variant[key] = cell[key] or None
        elif key == "inventory_management" and "inventory_management" not in variant:
            continue  # the column is absent: the check decides (and reports)
    if "inventory_management" in variant and variant["inventory_management"] is not None:
        variant["inventory_management"] = variant["inventory_management"].lower()
    product["variants"].append(variant)
