"""Chat command parsing: text + catalog index + show state -> one Intent (pure, no I/O).

Entry points: ``catalog.load_products_json`` (Shopify products.json -> products),
``index.CatalogIndex.build`` (prebuilt lookups), ``parse.parse(text, ParseContext)`` (the
parser), ``record.intent_record`` (the flat JSON record), ``config.ParserConfig`` (settings)
and ``language.load_config_languages`` (keyword tables, merchant files merged in).
"""
