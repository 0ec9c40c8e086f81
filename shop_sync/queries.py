"""The GraphQL Admin documents the sync sends (one selection of variant fields for all)."""

from __future__ import annotations

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
