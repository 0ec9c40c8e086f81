"""The IRC parser against ircdocs' parser-tests vectors and real Twitch lines from other clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.twitch.irc import format_line, parse_line, split_source

HERE = Path(__file__).parent / "fixtures"
IRCDOCS = json.loads((HERE / "ircdocs_parser_tests.json").read_text("utf-8"))
REAL = json.loads((HERE / "irc_real_lines.json").read_text("utf-8"))["cases"]


def _ids(cases: list[dict[str, Any]], key: str) -> list[str]:
    return [f"{i}-{c[key][:40]}" for i, c in enumerate(cases)]


@pytest.mark.parametrize("case", IRCDOCS["msg_split"], ids=_ids(IRCDOCS["msg_split"], "input"))
def test_msg_split(case: dict[str, Any]) -> None:
    atoms = case["atoms"]
    msg = parse_line(case["input"])
    assert msg.tags == atoms.get("tags", {})
    assert msg.source == atoms.get("source")
    assert msg.command == atoms["verb"].upper()  # IRC verbs are case-insensitive; we upper them
    assert msg.params == atoms.get("params", [])


@pytest.mark.parametrize("case", IRCDOCS["msg_join"], ids=_ids(IRCDOCS["msg_join"], "desc"))
def test_msg_join(case: dict[str, Any]) -> None:
    atoms = case["atoms"]
    line = format_line(
        atoms["verb"],
        atoms.get("params", []),
        tags=atoms.get("tags"),
        source=atoms.get("source") or "",
    )
    assert line in case["matches"]


@pytest.mark.parametrize(
    "case", IRCDOCS["userhost_split"], ids=_ids(IRCDOCS["userhost_split"], "source")
)
def test_userhost_split(case: dict[str, Any]) -> None:
    atoms = case["atoms"]
    want = (atoms.get("nick", ""), atoms.get("user", ""), atoms.get("host", ""))
    assert split_source(case["source"]) == want
    assert parse_line(f":{case['source']} PRIVMSG #c :hi").nick == want[0]


def test_the_vectors_are_all_there() -> None:
    # ircdocs/parser-tests at 6b417e6 holds 35 split, 18 join and 7 userhost vectors
    assert [len(IRCDOCS[k]) for k in ("msg_split", "msg_join", "userhost_split")] == [35, 18, 7]


@pytest.mark.parametrize("case", REAL, ids=[c["name"] for c in REAL])
def test_real_lines_survive_format_and_parse(case: dict[str, Any]) -> None:
    msg = parse_line(case["line"])
    again = format_line(msg.command, msg.params, tags=msg.tags, source=msg.source or "")
    assert parse_line(again) == msg
