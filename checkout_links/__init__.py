"""Attributable checkout links for holds: builders, strategies, short links, attribution, reports.

Modules (import what you need; this package imports nothing on its own):

- ``lines``: ``LineItem``, ``CheckoutRequest``; ``permalink``: the pure cart permalink builder.
- ``strategies``: ``LinkStrategy`` and ``make_strategy`` (permalink, storefront_cart,
  draft_order); ``shopify_api``: their GraphQL clients; ``errors``: the ``LinkError`` tree.
- ``shortlinks`` + ``web``: signed ``/l/{code}`` links and their router; ``service``:
  ``CheckoutLinks.link_for`` (strategy + short link per platform) and ``viewer_key``.
- ``viewer_cart``: one link covering all of a viewer's active holds.
- ``attribution`` + ``ledger``: orders traced back to holds, show and platform, recorded once.
- ``report``: a show's funnel per platform; ``config``: ``LinksConfig``; ``models``: tables.
"""
