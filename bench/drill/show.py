"""The drill's show: one settings object both processes build the same way, and the catalog.

The drill process runs the emulators; the bot process (:mod:`bench.drill.bot`) runs the real
Core and ShowRunner against them. Both build their settings here so the shop domain the
store emulator signs webhooks for is the one the app checks.
"""

from __future__ import annotations

import json
from typing import Any

from shopstream.demo_platforms import DEMO_PRODUCTS
from shopstream.settings import Settings, parse_settings

SHOW_ID = "drill"
BUY_CODE = "201"  # glow-serum, one variant
BUY_HANDLE = "glow-serum"
WEBHOOK_HANDLE = "ceramic-mug"  # its stock moves by webhook during the drill
STOCK = 1_000_000  # every buy is held: a claim without a hold is a fault, not a sell-out
YOUTUBE_QUOTA = 10_000_000
YOUTUBE_POLL_MS = 500


def catalog() -> list[dict[str, Any]]:
    """The demo catalog with stock no drill can sell out."""
    products: list[dict[str, Any]] = json.loads(DEMO_PRODUCTS.read_text(encoding="utf-8"))[
        "products"
    ]
    for product in products:
        if product["handle"] == BUY_HANDLE:
            for variant in product["variants"]:
                variant["inventory_quantity"] = STOCK
    return products


def drill_settings(web_port: int, *, log_level: str = "WARNING") -> Settings:
    """Sandbox settings: holds outlive the drill (no reminders, no expiry), big quota."""
    url = f"http://127.0.0.1:{web_port}"
    raw: dict[str, Any] = {
        "app": {"mode": "sandbox", "log_level": log_level},
        "show": {"id": SHOW_ID, "featured": BUY_CODE, "planned_minutes": 60},
        "web": {"host": "127.0.0.1", "port": web_port, "public_url": url},
        "links": {"public_base_url": url},
        "shop": {"holds": {"ttl_seconds": 6 * 3600}},
        "connectors": {
            "youtube": {
                "quota": {
                    "daily_budget": YOUTUBE_QUOTA,
                    "min_interval_seconds": YOUTUBE_POLL_MS / 1000,
                }
            }
        },
    }
    return parse_settings(raw)
