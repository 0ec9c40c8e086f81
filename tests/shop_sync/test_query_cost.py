"""Every GraphQL document the project sends validates against Shopify's published schema and
stays under the 1,000-point single-query maximum, by Shopify's cost rules."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse, validate

import shop_sync.queries as q
from checkout_links.shopify_api import CART_CREATE, DRAFT_ORDER_CREATE
from sandbox.shopify.graphql_cost import requested_cost
from sandbox.shopify.graphql_schema import load_schema

IDS = [f"gid://shopify/ProductVariant/{44000000001 + i}" for i in range(q.VARIANTS_BY_ID_MAX)]

ADMIN: list[tuple[str, str, dict[str, Any]]] = [
    ("VARIANTS_PAGE", q.VARIANTS_PAGE, {"first": q.VARIANTS_PAGE_MAX, "after": None}),
    ("VARIANTS_BY_ID", q.VARIANTS_BY_ID, {"ids": IDS}),
    ("MORE_LEVELS", q.MORE_LEVELS, {"id": "gid://shopify/InventoryItem/1", "after": None}),
    ("SHOP_CURRENCY", q.SHOP_CURRENCY, {}),
    ("BULK_RUN", q.BULK_RUN, {"query": q.BULK_VARIANTS_QUERY}),
    ("BULK_POLL", q.BULK_POLL, {"id": "gid://shopify/BulkOperation/1"}),
    ("DRAFT_ORDER_CREATE", DRAFT_ORDER_CREATE, {"input": {}}),
]


@pytest.mark.parametrize(("name", "document", "variables"), ADMIN, ids=[a[0] for a in ADMIN])
def test_admin_documents_validate_and_fit_the_cost_maximum(
    name: str, document: str, variables: dict[str, Any]
) -> None:
    schema = load_schema("admin")
    doc = parse(document)
    assert validate(schema, doc) == [], name
    cost = requested_cost(schema, doc, variables)
    assert 0 < cost <= q.MAX_QUERY_COST, (name, cost)
    # the client's own calculation (no schema) agrees with the schema-aware one
    assert q.document_cost(document, variables) == cost, name


def test_the_bulk_query_validates() -> None:
    assert validate(load_schema("admin"), parse(q.BULK_VARIANTS_QUERY)) == []


def test_storefront_cart_create_validates_and_fits() -> None:
    schema = load_schema("storefront")
    doc = parse(CART_CREATE)
    assert validate(schema, doc) == []
    assert requested_cost(schema, doc, {"input": {}}) == 10  # a mutation


def test_page_sizes_are_the_largest_that_fit() -> None:
    schema = load_schema("admin")

    def page(n: int) -> int:
        return requested_cost(schema, parse(q.VARIANTS_PAGE), {"first": n})

    def by_id(n: int) -> int:
        return requested_cost(schema, parse(q.VARIANTS_BY_ID), {"ids": IDS[:1] * n})

    assert page(q.VARIANTS_PAGE_MAX) <= q.MAX_QUERY_COST < page(q.VARIANTS_PAGE_MAX + 1)
    assert by_id(q.VARIANTS_BY_ID_MAX) <= q.MAX_QUERY_COST < by_id(q.VARIANTS_BY_ID_MAX + 1)
    # the documents as they were sized before: 100 variants with 5 levels each
    assert page(100) == 2 + 100 * 22 and by_id(100) == 100 * 22


@pytest.mark.parametrize(
    ("document", "variables", "expected"),
    [
        ("{ shop { currencyCode } }", {}, 1),  # an object: 1, its scalars 0
        ("{ products(first: 10) { nodes { id title } } }", {}, 2 + 10 * 1),
        (
            "{ products(first: 3) { edges { cursor node { id options { name } } } } }",
            {},
            2 + 3 * (1 + 1),
        ),
        (
            "{ products(first: 4) { nodes { variants(first: 5) { nodes { id } } } } }",
            {},
            2 + 4 * (1 + 2 + 5 * 1),
        ),
        (
            "query($n: Int) { productVariants(last: $n) { pageInfo { hasNextPage } "
            "nodes { id } } }",
            {"n": 7},
            2 + 7,
        ),
        ('mutation { bulkOperationRunQuery(query: "{}") { userErrors { message } } }', {}, 10),
        (
            '{ node(id: "x") { ... on Product { options { name } } ... on ProductVariant '
            "{ product { id } inventoryItem { id } } } }",
            {},
            1 + 2,  # an interface: the costlier of its possible selections
        ),
    ],
)
def test_cost_rules(document: str, variables: dict[str, Any], expected: int) -> None:
    schema = load_schema("admin")
    doc = parse(document)
    assert validate(schema, doc) == []
    assert requested_cost(schema, doc, variables) == expected
    assert q.document_cost(document, variables) == expected
