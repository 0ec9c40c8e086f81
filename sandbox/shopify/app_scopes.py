"""``currentAppInstallation { accessScopes { handle } }``: the scopes the app was granted, so
``shopstream check`` can say which one a custom app lacks (shopify.dev Admin GraphQL
``AppInstallation.accessScopes``; the scope names are commerce.md §1.1's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

APP_SCOPES = (
    "read_products",
    "read_inventory",
    "read_locations",
    "read_orders",
    "write_draft_orders",
)


@dataclass(slots=True)
class AppScopes:
    """The installation's granted scopes (every token of the app shares them)."""

    scopes: list[str] = field(default_factory=lambda: list(APP_SCOPES))

    def answer(
        self, query: str, variables: Mapping[str, Any], *, base_url: str
    ) -> dict[str, Any] | None:
        """An Admin fallback: the scopes document, or None for any other."""
        del variables, base_url
        if "currentAppInstallation" not in query or "accessScopes" not in query:
            return None
        handles = [{"handle": s} for s in self.scopes]
        cost = {
            "requestedQueryCost": 1,
            "actualQueryCost": 1,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": 1999.0,
                "restoreRate": 100.0,
            },
        }
        return {
            "data": {"currentAppInstallation": {"accessScopes": handles}},
            "extensions": {"cost": cost},
        }
