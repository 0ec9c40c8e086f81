"""Chat platform connectors: each yields frozen chat events and sends replies.

Connectors never parse commands or touch stock; they translate a platform's wire
protocol into :mod:`connectors.events` and back.
"""
