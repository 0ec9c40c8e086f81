"""Store sync: the Shopify client, the catalog mirror, webhooks, reconciliation, holds.

Modules (what the app calls):

- :mod:`shop_sync.config`: ``ShopConfig`` (the ``[shop]`` settings) and ``HoldConfig``;
  secret environment variable names.
- :mod:`shop_sync.client`: ``ShopifyClient`` (GraphQL Admin: pages, bulk, throttling).
- :mod:`shop_sync.tokens`: ``token_source_from_env`` (static or client-credentials tokens).
- :mod:`shop_sync.mirror`: ``Mirror`` (``catalog_products()``, ``sellable_quantity()``).
- :mod:`shop_sync.webhooks`: ``WebhookReceiver`` and ``webhook_router(receiver)``.
- :mod:`shop_sync.dedupe`: ``DbDedupe`` (default) and ``RedisDedupe``.
- :mod:`shop_sync.reconcile`: ``Reconciler`` (full / incremental / lineup syncs, APScheduler).
- :mod:`shop_sync.holds`: ``HoldBook`` (claims, waitlists, expiry, sales).
- :mod:`shop_sync.hold_types`: ``ClaimRequest``, ``ClaimOutcome``, ``HoldView``,
  ``HOLD_NOTE_ATTRIBUTE`` (``"_shopstream_hold"``).
- :mod:`shop_sync.models`: the tables (one shared ``SQLModel.metadata``).
"""
