"""The replay connector plays a chat log at speed, skipping malformed lines with their numbers."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.console.config import ConsoleConfig
from connectors.console.connector import ConsoleConnector
from connectors.events import ChatMessage, Reply, Role
from connectors.replay.config import ReplayConfig
from connectors.replay.connector import DEMO_LOG, ReplayConnector
from connectors.replay.translate import BadLine, parse_line

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("{oops", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"platform": "twitch", "text": "hi"}', "author must be a non-empty string"),
        ('{"platform": "twitch", "author": "a", "text": "hi", "offset": -1}', "offset must"),
        ('{"platform": "twitch", "author": "a", "text": "hi", "offset": "5"}', "offset must"),
        ('{"platform": "twitch", "author": "a", "text": "hi", "roles": ["king"]}', "roles must"),
    ],
)
def test_bad_lines_say_why(raw: str, problem: str) -> None:
    with pytest.raises(BadLine, match=problem):
        parse_line(raw, 7)


def test_a_good_line_keeps_ids_as_strings() -> None:
    entry = parse_line(
        '{"platform": "youtube", "author": "Ann", "text": "sold 101", "offset": 2.5,'
        ' "roles": ["moderator"], "message_id": 123}',
        3,
    )
    assert entry is not None
    assert entry.message_id == "123" and entry.author_id == "youtube:ann"
    assert entry.roles == frozenset({Role.MODERATOR}) and entry.offset == 2.5
    assert parse_line("   ", 4) is None


async def test_plays_at_speed_and_skips_malformed_lines(tmp_path: Path) -> None:
    log = tmp_path / "chat.jsonl"
    lines = [
        json.dumps({"platform": "twitch", "author": "a", "text": "one", "offset": 0}),
        "not json",
        json.dumps({"platform": "youtube", "author": "b", "text": "two", "offset": 4}),
        json.dumps({"platform": "facebook", "author": "c", "text": "three", "offset": 10}),
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    conn = ReplayConnector(ReplayConfig(path=log, speed=2.0), clock=lambda: T0, sleep=sleep)
    async with conn:
        got = [e async for e in conn.events()]
    assert [m.text for m in got if isinstance(m, ChatMessage)] == ["one", "two", "three"]
    assert waits == [2.0, 3.0]
    assert conn.skipped == [(2, "not JSON (Expecting value)")]
    third = got[2]
    assert isinstance(third, ChatMessage)
    assert third.platform == "facebook" and third.sent_at == T0 + timedelta(seconds=10)
    # a restart resumes after the last line played, never replays
    async with conn:
        assert [e async for e in conn.events()] == []


async def test_the_bundled_demo_log_plays() -> None:
    async def sleep(_: float) -> None:
        return None

    conn = ReplayConnector(ReplayConfig(), clock=lambda: T0, sleep=sleep)
    assert conn.path == DEMO_LOG
    async with conn:
        got = [e async for e in conn.events()]
    assert len(got) >= 25 and len(conn.skipped) == 1
    sent = await conn.send(Reply(platform="replay", channel="replay", text="ok", key="k"))
    assert sent.sent and conn.sent[0].text == "ok"


async def test_console_reads_lines_and_prints_replies() -> None:
    out = io.StringIO()
    conn = ConsoleConnector(
        ConsoleConfig(author="me"),
        stdin=io.StringIO("!buy 101 M\n\n!cart\n"),
        stdout=out,
        clock=lambda: T0,
    )
    async with conn:
        got = [e async for e in conn.events()]
        await conn.send(Reply(platform="console", channel="console", text="held!", key="k"))
    assert [m.text for m in got if isinstance(m, ChatMessage)] == ["!buy 101 M", "!cart"]
    assert len({m.message_id for m in got if isinstance(m, ChatMessage)}) == 2
    assert out.getvalue() == "bot> held!\n"
