"""kill -9 between the commit and the send: the restarted bot sends the reply, exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from shopstream.storage import make_engine

ROOT = Path(__file__).resolve().parents[2]


def _worker(phase: str, db_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.app.crash_worker", phase, db_url],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_a_reply_committed_but_not_sent_is_sent_once_after_kill_9(sqlite_db_url: str) -> None:
    with _worker("handle", sqlite_db_url) as first:
        try:
            assert first.stdout is not None
            said = first.stdout.readline().strip()
        finally:
            first.kill()  # SIGKILL: no clean-up, nothing sent
            first.wait(timeout=60)
    assert said == "committed"  # it was killed after the batch's unit committed
    engine = make_engine(sqlite_db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT key, status FROM outbox_sent_replies")).all()
    assert rows and {status for _, status in rows} == {"queued"}  # stored, never taken
    keys = sorted(str(k) for k, _ in rows)

    with _worker("resume", sqlite_db_url) as second:
        out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    lines = out.splitlines()
    assert lines[-1] == "done"
    sent = sorted(line.split(" ", 1)[1] for line in lines if line.startswith("sent "))
    assert sent == keys  # each stored reply once, none lost, none twice
    assert "duplicates 1" in lines  # the re-read buy is not handled (nor answered) again
    with engine.connect() as conn:
        status = dict(conn.execute(text("SELECT key, status FROM outbox_sent_replies")).all())
        claims = conn.execute(text("SELECT count(*) FROM hold_claim")).scalar()
    assert set(status.values()) == {"sent"}
    assert claims == 1
    engine.dispose()
