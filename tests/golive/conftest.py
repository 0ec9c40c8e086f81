"""Fixtures of the going-live tests: an environment without any real credential."""

from __future__ import annotations

import pytest

from shopstream.secrets import SECRET_ENV


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Unset every ``SHOPSTREAM_*`` credential for the test."""
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch
