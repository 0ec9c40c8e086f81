"""Fixtures of the shop_sync tests: a settable clock and a hold book on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import shop_sync.models  # noqa: F401  (registers the tables)
from shop_sync.config import HoldConfig
from shop_sync.holds import HoldBook
from shopstream.storage import make_engine
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_db_url: str) -> Iterator[Engine]:
    eng = make_engine(sqlite_db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def book(engine: Engine, clock: FakeClock) -> HoldBook:
    return HoldBook(
        engine,
        clock=clock,
        config=HoldConfig(ttl_seconds=900, reminder_lead_seconds=120, max_per_product=3),
    )
