"""Table tests of the saved reading progress (page token + last item handed over)."""

from __future__ import annotations

import pytest

from connectors.youtube.cursor import (
    CursorStore,
    MemoryCursorStore,
    Progress,
    decode_progress,
    encode_progress,
)


@pytest.mark.parametrize(
    "progress",
    [
        Progress(),
        Progress(token="GPabc"),
        Progress(token="GPabc", after="LCC.1"),
        Progress(after="x"),
    ],
)
def test_round_trip(progress: Progress) -> None:
    assert decode_progress(encode_progress(progress)) == progress


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("GPbareToken", Progress(token="GPbareToken")),  # a plain token saved by hand
        ("[1, 2]", Progress(token="[1, 2]")),
        ('{"token": 5, "after": ""}', Progress()),
    ],
)
def test_decode_odd_values(text: str | None, expected: Progress | None) -> None:
    assert decode_progress(text) == expected


def test_memory_store_is_a_cursor_store() -> None:
    store = MemoryCursorStore()
    assert isinstance(store, CursorStore)
    assert store.get("k") is None
    store.set("k", "v")
    store.set("k", "w")
    assert store.get("k") == "w"
