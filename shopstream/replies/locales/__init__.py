"""Shipped reply templates, one TOML file per locale (package data)."""
