"""A merchant's own catalog for the sandbox store: our products.json or Shopify's product CSV.

:func:`load_catalog` reads either file, checks every product and variant, and returns a
:class:`CatalogReport`: the products the store emulator can safely serve, and one finding
per problem (with its row or product and field) or assumption. A report that ``stops``
must not start a show.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.catalog.checks import check_lineup, check_products
from sandbox.catalog.report import CatalogReport, Finding
from sandbox.catalog.shopify_csv import field_names, looks_like_csv, read_shopify_csv


def load_catalog(path: Path) -> CatalogReport:
    """Read and check ``path`` (``.csv``: Shopify's product export; otherwise products.json)."""
    source = str(path)
    report = CatalogReport(source=source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        report.stop(source, "file", "not UTF-8 text (export the CSV again from Shopify)")
        return report
    except OSError as exc:
        report.stop(source, "file", f"cannot read: {exc.strerror}")
        return report
    if path.suffix.lower() == ".csv" or (path.suffix.lower() != ".json" and looks_like_csv(text)):
        products = read_shopify_csv(text, source, report)
        if report.stops:
            return report
        return check_products(products, source, fields=field_names(), report=report)
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 0)
        report.stop(f"{source}:{line}" if line else source, "file", f"not valid JSON: {exc}")
        return report
    if not isinstance(data, dict) or "products" not in data:
        report.stop(source, "products", 'expected an object with a "products" list')
        return report
    return check_products(data["products"], source, report=report)


__all__ = ["CatalogReport", "Finding", "check_lineup", "check_products", "load_catalog"]
