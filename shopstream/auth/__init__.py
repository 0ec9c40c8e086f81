"""``shopstream auth <platform>`` and the live ``check``: obtain credentials the way each
platform documents for a self-hosted app, and validate them at the platform's own endpoint."""
