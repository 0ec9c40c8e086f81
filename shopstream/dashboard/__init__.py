"""The host's live dashboard: a live hub, access control, pages and show-control actions."""
