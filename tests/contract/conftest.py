"""Discover every platform's contract harness (``harness_<platform>.py``)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.contract.harness import ContractHarness

_HERE = Path(__file__).parent
_NAMES = sorted(p.stem for p in _HERE.glob("harness_*.py"))


def _factory(name: str) -> Callable[[], ContractHarness]:
    module = importlib.import_module(f"tests.contract.{name}")
    factory: Callable[[], ContractHarness] = module.HARNESS
    return factory


@pytest.fixture(params=_NAMES or [pytest.param(None, marks=pytest.mark.skip("no harness yet"))])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A running emulator for one platform (the suite runs once per platform)."""
    async with _factory(request.param)() as h:
        yield h
