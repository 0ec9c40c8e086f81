"""Emulator controls the fault drill uses: restarts on the same port, unheard Twitch lines,
and Graph times UTC cannot hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from sandbox.facebook import FacebookEmulator
from sandbox.facebook.state import graph_time
from sandbox.twitch import TwitchEmulator
from sandbox.youtube import YouTubeEmulator


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (datetime(2021, 8, 10, 18, 45, 3, tzinfo=UTC), "2021-08-10T18:45:03+0000"),
        (
            datetime(2021, 8, 10, 20, 45, 3, tzinfo=timezone(timedelta(hours=2))),
            "2021-08-10T18:45:03+0000",
        ),
        # issue 15's poison: year 1 east of Greenwich is before year 1 in UTC
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "0001-01-01T00:00:00+0100"),
    ],
)
def test_graph_time(at: datetime, text: str) -> None:
    assert graph_time(at) == text


async def test_youtube_restart_keeps_its_port_and_its_chat() -> None:
    async with YouTubeEmulator(polling_interval_ms=0, backlog=10) as emu:
        url = emu.base_url
        emu.inject_message("before", author_name="a")
        await emu.restart()
        assert emu.base_url == url
        emu.inject_message("after", author_name="b")
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/youtube/v3/videos")).status_code < 500
        assert [i["snippet"]["displayMessage"] for i in emu.state.chat.items] == ["before", "after"]


async def test_facebook_restart_keeps_its_port_and_its_comments() -> None:
    async with FacebookEmulator() as emu:
        url = emu.base_url
        before = emu.inject_message("before")
        await emu.restart()
        assert emu.base_url == url
        async with httpx.AsyncClient() as client:
            resp = await client.get(
                f"{emu.graph_url}/{emu.live_video_id}/comments",
                params={"access_token": emu.page_token},
            )
        assert resp.status_code == 200
        assert [c.id for c in emu.state.comments[emu.live_video_id]] == [before]


async def test_twitch_keeps_the_lines_no_client_received() -> None:
    async with TwitchEmulator(tls=False) as emu:
        unheard = emu.inject_message("nobody listens", author_id="1", author_name="a")
        assert emu.unheard == [unheard]
