"""The leak checks of tests/leaks.py: a leaking test fails, named; a clean one passes."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LEAKS = """
import socket
import tempfile
import threading

STOP = threading.Event()


def test_clean():
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    with tempfile.NamedTemporaryFile():
        pass
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))


def test_leaks_a_thread():
    threading.Thread(target=STOP.wait, args=(30,), name="left-running", daemon=True).start()


def test_leaks_a_temp_file():
    fd, _ = tempfile.mkstemp(prefix="left-behind-")
    import os
    os.close(fd)


def test_leaks_a_socket():
    cycle = [socket.socket()]
    cycle.append(cycle)  # only the collector can free it, as with most real leaks


def test_after_the_leaks():
    STOP.set()
"""


@pytest.fixture
def outcome(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("SHOPSTREAM_TEST_THREAD_JOIN_SECONDS", "0.2")
    monkeypatch.setenv("TMPDIR", str(pytester.path))  # the child's temp root is its own
    pytester.makepyfile(test_leaky=LEAKS)
    return pytester.runpytest_subprocess(
        "-p", "tests.leaks", "-W", "error", "-p", "no:benchmark", "-p", "no:xdist"
    )


def test_each_leak_fails_the_test_that_leaked_it(outcome: pytest.RunResult) -> None:
    out = outcome.stdout.str()
    assert "test_leaky.py::test_leaks_a_thread leaked: thread 'left-running' still running" in out
    assert "test_leaky.py::test_leaks_a_temp_file leaked: temporary file 'left-behind-" in out
    assert "ERROR test_leaky.py::test_leaks_a_socket - pytest.PytestUnraisableExc" in out
    assert "ResourceWarning: unclosed <socket.socket" in out
    outcome.assert_outcomes(passed=5, errors=3)


def test_clean_tests_pass(outcome: pytest.RunResult) -> None:
    out = outcome.stdout.str()
    assert "ERROR at teardown of test_clean" not in out
    assert "FAILED test_leaky.py::test_clean" not in out
    assert "ERROR test_leaky.py::test_after_the_leaks" not in out
