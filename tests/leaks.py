"""A pytest plugin: a test that leaks a socket, a thread or a temporary file fails, by name.

An unclosed socket or file warns (``ResourceWarning``, an error in this suite) when it is
collected, and pytest reports the warning on the test running at that moment. So each test ends
with a sweep of the garbage it made. A full ``gc.collect()`` scans every object the run has made
so far (1-1.7 s per test late in a run), so after each sweep ``gc.freeze()`` moves the survivors
out of the collector's sight: the next sweep scans only what the next test made. What was frozen
is swept once more when the session ends.

Threads the test started (its fixtures included) must have stopped when its fixtures are torn
down, and temporary files it made under this worker's temp root must be gone.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# Threads of a library's own process-wide machinery, which it ends on its own schedule: grpc's
# asyncio poller (one per process, started with the first grpc.aio channel or server and
# stopped by grpc when the last one is collected, not when a test ends).
LIBRARY_THREADS = ("(_poll_wrapper)",)
# A stopping thread gets this long to finish after teardown (the leak tests shorten it).
THREAD_JOIN_SECONDS = float(os.environ.get("SHOPSTREAM_TEST_THREAD_JOIN_SECONDS", "5"))

# Every tempfile of this process (and its children, by TMPDIR) lands where the check can see it.
TMP_ROOT = Path(tempfile.mkdtemp(prefix="ss-tests-"))
tempfile.tempdir = str(TMP_ROOT)
os.environ["TMPDIR"] = str(TMP_ROOT)


def _temp_entries() -> set[str]:
    # pytest's own tmp_path root lives here too and is pytest's to clean
    return {name for name in os.listdir(TMP_ROOT) if not name.startswith("pytest-of-")}


@pytest.fixture(autouse=True)
def _no_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Torn down after the test's other function fixtures: sweep, then check what is left."""
    threads = set(threading.enumerate())
    temp = _temp_entries()
    yield
    gc.collect()  # a leaked socket or file warns now, on this test
    gc.freeze()
    problems = []
    for thread in threading.enumerate():
        if thread in threads or thread is threading.current_thread():
            continue
        if thread.name.endswith(LIBRARY_THREADS):
            continue
        thread.join(THREAD_JOIN_SECONDS)
        if thread.is_alive():
            problems.append(f"thread {thread.name!r} still running")
    problems += [f"temporary file {name!r} left behind" for name in sorted(_temp_entries() - temp)]
    if problems:
        pytest.fail(f"{request.node.nodeid} leaked: " + "; ".join(problems), pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Sweep what the per-test sweeps froze, then remove this process's temp root."""
    gc.unfreeze()
    gc.collect()
    shutil.rmtree(TMP_ROOT, ignore_errors=True)
