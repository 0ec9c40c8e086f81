"""The closing summary tells the host what went wrong, and only when it did."""

from __future__ import annotations

import pytest
from rich.console import Console

from shopstream.runtime.show import ShowResult
from shopstream.summary import summary_table


def _render(result: ShowResult) -> str:
    console = Console(width=120, record=True)
    console.print(summary_table(result, holds={}))
    return console.export_text()


@pytest.mark.parametrize(("retries", "shown"), [(0, False), (3, True)])
def test_database_retries_are_shown_when_there_were_any(retries: int, shown: bool) -> None:
    text = _render(ShowResult(events=10, storage_retries=retries))
    assert ("batches retried after a database error" in text) is shown
    if shown:
        (row,) = [line for line in text.splitlines() if "retried" in line]
        assert row.strip(" │").endswith("3")
