"""Hypothesis strategies shared by the translator properties: JSON-ish values, kept small."""

from __future__ import annotations

from hypothesis import strategies as st

# What a decoded JSON body may hold (plus NaN/inf, which json.loads also returns); small
# enough that a few hundred examples run in seconds on a shared two-core machine.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def json_objects(max_size: int = 3) -> st.SearchStrategy[dict[str, object]]:
    """Objects with arbitrary keys and JSON-ish values."""
    return st.dictionaries(st.text(max_size=10), json_values, max_size=max_size)
