"""Hypothesis profiles: CI sees the same examples on every run; the hunt draws fresh ones.

CI (the default profile, ``ci``) derandomizes: each property test draws the same examples on
every run of a commit, so a red run is a defect that is always there, never a lottery. Hunting
for new counterexamples is a separate command, ``python -m bench.fuzz_properties``, which loads
the ``hunt`` profile (fresh randomness) and scales every test's example count.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "SHOPSTREAM_HYPOTHESIS_PROFILE"
SCALE_ENV = "SHOPSTREAM_HYPOTHESIS_SCALE"


def register_profiles() -> None:
    """Register ``ci`` and ``hunt`` and load the one the environment names (``ci`` if none)."""
    common = {
        "database": None,  # nothing written to .hypothesis/; a found example is printed instead
        "deadline": None,  # time limits belong to bench/, not to tests on a shared machine
        "suppress_health_check": [HealthCheck.too_slow],
        "print_blob": True,
        "max_examples": examples(100),  # Hypothesis' own default, for tests that name none
    }
    settings.register_profile("ci", derandomize=True, **common)  # type: ignore[arg-type]
    settings.register_profile("hunt", derandomize=False, **common)  # type: ignore[arg-type]
    settings.load_profile(os.environ.get(PROFILE_ENV, "ci"))


def examples(count: int) -> int:
    """A test's example count: ``count`` in CI, ``count`` times the hunt's scale when hunting."""
    return count * max(1, int(os.environ.get(SCALE_ENV, "1")))
