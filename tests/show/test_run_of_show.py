"""Run-of-show files: a good one parses; a bad one is rejected with the right line numbers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstream.show import LineupItem, RunOfShowError, load_run_of_show, parse_run_of_show
from shopstream.show.run_of_show import parse_at

GOOD = """\
# Friday show
lineup = [
  {code = "101", handle = "classic-tee"},
  {code = 102, handle = "hoodie"},
]

[[drops]]
at = "+00:30:00"
code = "102"
qty = 5

[[drops]]
at = "+00:15:00"
code = "101"
qty = 20
cap = 2

[[timers]]
every_minutes = 10
text = "Type !buy 101 M to claim"
min_chat_messages = 5
"""


def test_good_file_parses() -> None:
    show = parse_run_of_show(GOOD)
    assert show.lineup == (
        LineupItem(code="101", handle="classic-tee"),
        LineupItem(code="102", handle="hoodie"),
    )
    assert [(d.at, d.code, d.qty, d.cap) for d in show.drops] == [
        (timedelta(minutes=15), "101", 20, 2),
        (timedelta(minutes=30), "102", 5, 1),
    ]
    assert [d.line for d in show.drops] == [12, 7]
    (timer,) = show.timers
    assert (timer.every_minutes, timer.min_chat_messages, timer.line) == (10.0, 5, 18)


def test_lineup_as_array_of_tables() -> None:
    text = '[[lineup]]\ncode = "1"\nhandle = "a"\n\n[[lineup]]\ncode = "2"\nhandle = ""\n'
    with pytest.raises(RunOfShowError) as err:
        parse_run_of_show(text, "ros.toml")
    assert err.value.problems == ["ros.toml:7: lineup[1]: handle must be a non-empty string"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('lineup = [{code = "1", handle = "a"}]\ntitle = "x"\n',
         ["ros.toml:2: unknown key 'title' (expected lineup, drops, timers)"]),
        ('lineup = [\n  {code = "1", handle = "a"},\n  {code = "1", handle = "b"},\n]\n',
         ["ros.toml:3: lineup[1]: code '1' appears twice"]),
        ('lineup = [{code = "1", handle = "a"}]\n[[drops]]\nat = "+00:01:00"\n'
         'code = "9"\nqty = 1\n',
         ["ros.toml:4: drops[0]: code '9' is not in the lineup"]),
        ('lineup = [{code = "1", handle = "a"}]\n\n[[drops]]\nat = "soon"\ncode = "1"\nqty = 0\n',
         ['ros.toml:4: drops[0]: at must look like "+00:15:00"',
          "ros.toml:6: drops[0]: qty must be a whole number >= 1"]),
        ('lineup = [{code = "1", handle = "a"}]\n[[drops]]\ncode = "1"\nqty = 2\ncap = 0\n',
         ["ros.toml:2: drops[0]: missing 'at'",
          "ros.toml:5: drops[0]: cap must be a whole number >= 1"]),
        ('[[timers]]\nevery_minutes = 0\ntext = "hi"\ncolour = 1\n',
         ["ros.toml:4: timers[0]: unknown key 'colour'",
          "ros.toml:2: timers[0]: every_minutes must be > 0 and <= 1440"]),
        ('[[timers]]\nevery_minutes = 5\ntext = ""\nmin_chat_messages = -1\n',
         ["ros.toml:3: timers[0]: text must be a non-empty string",
          "ros.toml:4: timers[0]: min_chat_messages must be a whole number >= 0"]),
        ('lineup = "101"\n', ["ros.toml:1: lineup must be a list of tables"]),
        ("lineup = [1]\n", ["ros.toml:1: lineup[0] must be a table"]),
    ],
)  # fmt: skip
def test_semantic_errors_carry_line_numbers(text: str, expected: list[str]) -> None:
    with pytest.raises(RunOfShowError) as err:
        parse_run_of_show(text, "ros.toml")
    assert err.value.problems == expected


def test_syntax_errors_carry_tomllib_line() -> None:
    with pytest.raises(RunOfShowError) as err:
        parse_run_of_show("lineup = []\n\n[[drops]]\nat = +00:15\n", "ros.toml")
    assert err.value.problems[0].startswith("ros.toml:4: ")


def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert len(load_run_of_show(path).drops) == 2
    with pytest.raises(RunOfShowError, match="cannot read"):
        load_run_of_show(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+00:15:00", timedelta(minutes=15)),
        ("1:02:03", timedelta(hours=1, minutes=2, seconds=3)),
        ("+00:61:00", None),
        ("15m", None),
        ("", None),
    ],
)
def test_parse_at(text: str, expected: timedelta | None) -> None:
    assert parse_at(text) == expected


def test_demo_run_of_show_matches_the_demo_catalog() -> None:
    import json

    from shopstream.show.run_of_show import DEMO_PATH

    show = load_run_of_show(DEMO_PATH)
    catalog = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "demo_products.json"
    tags = {
        p["handle"]: {t.strip() for t in p["tags"].split(",")}
        for p in json.loads(catalog.read_text())["products"]
    }
    for item in show.lineup:
        assert f"live:{item.code}" in tags[item.handle]
    assert [d.code for d in show.drops] == ["102", "201"]


_FRAGMENTS = [
    'lineup = [{code = "1", handle = "a"}]',
    "lineup = 3",
    "lineup = [[1]]",
    "[[drops]]",
    "[drops]",
    "[[timers]]",
    "[[lineup]]",
    'at = "+00:01:00"',
    "at = 1979-05-27",
    'code = "1"',
    "code = 1.5",
    "qty = 5",
    "qty = true",
    "cap = -1",
    "every_minutes = 1e308",
    "every_minutes = nan",
    'text = "hi"',
    "min_chat_messages = 2",
    "x = {a = 1}",
    "# comment {",
    '"quoted key" = 1',
    "= broken",
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=14))
def test_any_file_parses_or_is_rejected_cleanly(lines: list[str]) -> None:
    try:
        show = parse_run_of_show("\n".join(lines) + "\n", "f.toml")
    except RunOfShowError as exc:
        assert exc.problems
        assert all(p.startswith("f.toml:") for p in exc.problems)
        return
    codes = {item.code for item in show.lineup}
    assert all(d.code in codes and d.qty >= d.cap >= 1 for d in show.drops)
    assert all(0 < t.every_minutes <= 1440 for t in show.timers)
