"""Alembic migrations, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

# Every module that defines tables; Alembic sees the union of their metadata.
MODEL_MODULES: tuple[str, ...] = (
    "shopstream.storage.models",
    "shop_sync.models",
    "checkout_links.models",
    "shopstream.outbox.models",
)

_SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


def load_metadata() -> MetaData:
    """Import every model module and return the shared metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return SQLModel.metadata


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config bound to ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)
