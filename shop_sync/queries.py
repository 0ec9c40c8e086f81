"""The GraphQL Admin documents the sync sends (one selection of variant fields for all), and the
page sizes that keep each under Shopify's single-query cost maximum.

Cost (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost calculation"): scalars
and enums 0, an object 1, a connection 2 plus ``first`` (or ``last``) times the cost of one node,
a list fetched by ids one object per id, a mutation 10; a document whose requested cost is over
1,000 is refused with ``MAX_COST_EXCEEDED`` before it runs. :func:`document_cost` applies those
rules to a document's text (a field with a selection set is an object, one with ``first`` or
``last`` a connection), and the page sizes below are the largest that cost at most
:data:`MAX_QUERY_COST`. ``tests/shop_sync/test_query_cost.py`` checks the same documents against
Shopify's schema and the emulator's schema-aware calculation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    parse,
    value_from_ast_untyped,
)

MAX_QUERY_COST = 1000
"""Shopify's single-query maximum (requested cost)."""
MAX_PAGE = 250
"""The largest ``first`` and the most ids Shopify accepts in one argument."""

LEVELS_FIRST = 5
"""Levels read with each variant; a variant stocked at more locations gets :data:`MORE_LEVELS`
reads (a connection returns at most ``first`` nodes: follow ``pageInfo``, shopify.dev
"Paginating results with GraphQL")."""

MORE_LEVELS_FIRST = 50

LEVEL_FIELDS = """
            updatedAt
            location { id }
            quantities(names: ["available"]) { name quantity }
"""

VARIANT_FIELDS = (
    """
      id legacyResourceId sku title price position inventoryPolicy updatedAt
      selectedOptions { name value }
      product {
        id legacyResourceId handle title status tags updatedAt
        options { name position values }
      }
      inventoryItem {
        id legacyResourceId tracked
        inventoryLevels(first: """
    + str(LEVELS_FIRST)
    + """) {
          pageInfo { hasNextPage endCursor }
          nodes {"""
    + LEVEL_FIELDS
    + """          }
        }
      }
"""
)

MORE_LEVELS = (
    """query MoreLevels($id: ID!, $after: String) {
  inventoryItem(id: $id) {
    inventoryLevels(first: """
    + str(MORE_LEVELS_FIRST)
    + """, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {"""
    + LEVEL_FIELDS
    + """      }
    }
  }
}"""
)
"""The rest of one inventory item's levels, after the cursor its variant read ended at."""

VARIANTS_PAGE = (
    """query VariantsPage($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {"""
    + VARIANT_FIELDS
    + """    }
  }
}"""
)

VARIANTS_BY_ID = (
    """query VariantsById($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant {"""
    + VARIANT_FIELDS
    + """    }
  }
}"""
)

SHOP_CURRENCY = "query ShopCurrency { shop { currencyCode } }"

BULK_VARIANTS_QUERY = """{
  products {
    edges {
      node {
        id legacyResourceId handle title status tags updatedAt
        options { name position values }
        variants {
          edges {
            node {
              id legacyResourceId sku title price position inventoryPolicy updatedAt
              selectedOptions { name value }
              inventoryItem {
                id legacyResourceId tracked
                inventoryLevels {
                  edges {
                    node {
                      updatedAt
                      location { id }
                      quantities(names: ["available"]) { name quantity }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}"""
"""Products with their variants and levels: 3 connections, nested 2 deep (the bulk limits);
each product is written once, its variants and levels as child lines with ``__parentId``."""

BULK_RUN = """mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}"""

BULK_POLL = """query BulkPoll($id: ID!) {
  node(id: $id) {
    ... on BulkOperation {
      id status errorCode objectCount rootObjectCount fileSize url partialDataUrl
    }
  }
}"""


# --- cost, by Shopify's published rules ------------------------------------------------------


def _arg(field: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for arg in field.arguments:
        if arg.name.value == name:
            if isinstance(arg.value, VariableNode):
                return variables.get(arg.value.name.value)
            return value_from_ast_untyped(arg.value, dict(variables))
    return None


class _Cost:
    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.fragments = fragments
        self.variables = variables

    def selection(self, sel: SelectionSetNode | None) -> int:
        """Fields without a type condition, plus the costliest typed fragment (an interface
        or union costs the maximum of its possible selections)."""
        if sel is None:
            return 0
        plain = 0
        typed: dict[str, int] = {}
        for s in sel.selections:
            if isinstance(s, FieldNode):
                plain += self.field(s)
            elif isinstance(s, InlineFragmentNode):
                cost = self.selection(s.selection_set)
                if s.type_condition is None:
                    plain += cost
                else:
                    name = s.type_condition.name.value
                    typed[name] = typed.get(name, 0) + cost
            elif isinstance(s, FragmentSpreadNode) and s.name.value in self.fragments:
                frag = self.fragments[s.name.value]
                name = frag.type_condition.name.value
                typed[name] = typed.get(name, 0) + self.selection(frag.selection_set)
        return plain + max(typed.values(), default=0)

    def field(self, f: FieldNode) -> int:
        if f.selection_set is None:
            return 0  # a scalar or an enum
        size = _arg(f, "first", self.variables)
        if size is None:
            size = _arg(f, "last", self.variables)
        if size is not None:  # a connection
            return 2 + int(size) * self.node(f.selection_set)
        one = 1 + self.selection(f.selection_set)
        ids = _arg(f, "ids", self.variables)
        return len(ids) * one if isinstance(ids, list) else one

    def node(self, sel: SelectionSetNode) -> int:
        """One node of a connection: its ``nodes`` or ``edges { node }`` selection."""
        best = 0
        for s in sel.selections:
            if not isinstance(s, FieldNode) or s.name.value == "pageInfo":
                continue
            if s.name.value == "nodes":
                best = max(best, 1 + self.selection(s.selection_set))
            elif s.name.value == "edges" and s.selection_set is not None:
                for e in s.selection_set.selections:
                    if isinstance(e, FieldNode) and e.name.value == "node":
                        best = max(best, 1 + self.selection(e.selection_set))
            else:
                best = max(best, self.field(s))
        return best


def document_cost(document: str, variables: Mapping[str, Any] | None = None) -> int:
    """Return the requested cost of a one-operation document with these variables."""
    doc = parse(document)
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    roots = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    if op.operation == OperationType.MUTATION:
        return 10 * len(roots)
    cost = _Cost(fragments, variables or {})
    return cost.selection(op.selection_set)


def largest_page(cost_of: Any) -> int:
    """The largest ``n`` (at most :data:`MAX_PAGE`) with ``cost_of(n) <= MAX_QUERY_COST``;
    the cost of a page grows linearly with its size."""
    fixed = cost_of(0)
    each = cost_of(1) - fixed
    return max(1, min(MAX_PAGE, (MAX_QUERY_COST - fixed) // max(1, each)))


VARIANTS_PAGE_MAX = largest_page(lambda n: document_cost(VARIANTS_PAGE, {"first": n}))
"""The largest ``productVariants`` page within the cost maximum (45 with 5 levels a variant)."""

VARIANTS_BY_ID_MAX = largest_page(
    lambda n: document_cost(VARIANTS_BY_ID, {"ids": ["gid://shopify/ProductVariant/1"] * n})
)
"""The most ids one ``nodes(ids:)`` read may carry within the cost maximum."""

if document_cost(MORE_LEVELS) > MAX_QUERY_COST:  # pragma: no cover - a constant above
    raise ValueError("MORE_LEVELS_FIRST makes MoreLevels cost more than the maximum")
