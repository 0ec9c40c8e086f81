"""Shopify's published GraphQL schemas (Admin, Storefront) and the API versions the emulator serves.

The schemas are introspection results shipped by the npm package ``@shopify/dev-mcp`` 1.16.0
(``dist/data/admin_2026-07.json.gz``, ``storefront-graphql_2026-07.json.gz``), committed beside this
module in ``schema/`` (see its README). The supported versions are that package's
``supported-versions-schema.json`` for the Admin API.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Literal

from graphql import GraphQLSchema, build_client_schema

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
SCHEMA_VERSION = "2026-07"
"""The version of the committed schemas (the one shop_sync and checkout_links pin)."""

SUPPORTED_VERSIONS = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10")
"""Stable Admin API versions Shopify supports today, oldest first (``@shopify/dev-mcp``'s
supported-versions list; 2026-10 is the release candidate). Every one is executed with the
committed 2026-07 schema."""

Api = Literal["admin", "storefront"]
_FILES = {"admin": "admin_{v}.json.gz", "storefront": "storefront-graphql_{v}.json.gz"}


@cache
def load_schema(api: Api = "admin") -> GraphQLSchema:
    """Return the committed schema of ``api`` (built once per process, about 0.5 s)."""
    path = SCHEMA_DIR / _FILES[api].format(v=SCHEMA_VERSION)
    with gzip.open(path, "rb") as f:
        introspection = json.loads(f.read())
    return build_client_schema(introspection["data"])


def served_version(asked: str) -> str:
    """Return the version Shopify answers a request for ``asked`` with.

    A supported version is served as asked, ``unstable`` too; any other (retired, or not yet
    released) falls forward to the oldest supported version (shopify.dev "API versioning":
    "requests to an unsupported version fall forward to the oldest supported stable version").
    """
    if asked in SUPPORTED_VERSIONS or asked == "unstable":
        return asked
    return SUPPORTED_VERSIONS[0]
