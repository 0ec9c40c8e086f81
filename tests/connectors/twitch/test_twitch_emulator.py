"""The emulator speaks Twitch: close codes, Helix shapes, limits and OAuth, via real clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from sandbox.twitch import TwitchEmulator


@pytest.fixture
async def emu() -> AsyncIterator[TwitchEmulator]:
    async with TwitchEmulator(min_keepalive=0.3, tls=False, clock=lambda: CLOCK[0]) as emulator:
        yield emulator


CLOCK = [0.0]


@pytest.fixture(autouse=True)
def _reset_clock() -> None:
    CLOCK[0] = 0.0


def headers(emu: TwitchEmulator, token: str | None = None) -> dict[str, str]:
    return {"Client-Id": emu.client_id, "Authorization": f"Bearer {token or emu.token}"}


async def post(
    emu: TwitchEmulator, path: str, body: dict[str, Any], token: str | None = None
) -> requests.Response:
    return await asyncio.to_thread(
        requests.post, f"{emu.helix_url}/{path}", json=body, headers=headers(emu, token), timeout=5
    )


async def get(emu: TwitchEmulator, url: str, **kwargs: Any) -> requests.Response:
    return await asyncio.to_thread(requests.get, url, timeout=5, **kwargs)


def chat(emu: TwitchEmulator, text: str) -> dict[str, Any]:
    return {
        "broadcaster_id": emu.world.broadcaster.id,
        "sender_id": emu.world.bot.id,
        "message": text,
    }


async def close_code(ws: Any) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_welcome_then_4003_without_a_subscription(emu: TwitchEmulator) -> None:
    async with connect(emu.eventsub_url + "?keepalive_timeout_seconds=0.3") as ws:
        welcome = json.loads(await ws.recv())
        session = welcome["payload"]["session"]
        assert welcome["metadata"]["message_type"] == "session_welcome"
        assert session["status"] == "connected" and session["reconnect_url"] is None
        assert welcome["metadata"]["message_timestamp"].endswith("Z")
        assert await close_code(ws) == 4003


async def test_client_frames_get_4001(emu: TwitchEmulator) -> None:
    async with connect(emu.eventsub_url) as ws:
        await ws.recv()
        await ws.send("hello")
        assert await close_code(ws) == 4001


async def test_unknown_reconnect_id_gets_4007(emu: TwitchEmulator) -> None:
    async with connect(emu.eventsub_url + "?reconnect_id=bm9wZQ") as ws:
        assert await close_code(ws) == 4007


async def test_keepalive_is_clamped_to_twitchs_range() -> None:
    async with (
        TwitchEmulator(tls=False) as emu,
        connect(emu.eventsub_url + "?keepalive_timeout_seconds=1") as ws,
    ):
        welcome = json.loads(await ws.recv())
    assert welcome["payload"]["session"]["keepalive_timeout_seconds"] == 10


async def test_subscription_errors(emu: TwitchEmulator) -> None:
    body = {
        "type": "channel.chat.message",
        "version": "1",
        "condition": {"broadcaster_user_id": emu.world.broadcaster.id, "user_id": emu.world.bot.id},
        "transport": {"method": "websocket", "session_id": "nope"},
    }
    unknown = await post(emu, "eventsub/subscriptions", body)
    assert unknown.status_code == 400 and unknown.json()["error"] == "Bad Request"
    async with connect(emu.eventsub_url) as ws:
        session_id = json.loads(await ws.recv())["payload"]["session"]["id"]
        body["transport"]["session_id"] = session_id
        created = await post(emu, "eventsub/subscriptions", body)
        assert created.status_code == 202
        data = created.json()
        assert data["data"][0]["status"] == "enabled" and data["max_total_cost"] == 10
        assert (await post(emu, "eventsub/subscriptions", body)).status_code == 409
        limited = emu.world.issue_token(emu.world.bot, scopes=["chat:read"])
        assert (await post(emu, "eventsub/subscriptions", body, token=limited)).status_code == 403
    assert (await post(emu, "eventsub/subscriptions", body, token="nope")).status_code == 401


async def test_chat_message_limits_and_the_30_minute_silence(emu: TwitchEmulator) -> None:
    too_long = await post(emu, "chat/messages", chat(emu, "x" * 501))
    assert too_long.status_code == 422
    for i in range(20):
        ok = await post(emu, "chat/messages", chat(emu, f"m{i}"))
        assert ok.json()["data"][0]["is_sent"] is True
    over = (await post(emu, "chat/messages", chat(emu, "m20"))).json()["data"][0]
    assert over == {
        "message_id": "",
        "is_sent": False,
        "drop_reason": {"code": "msg_ratelimit", "message": over["drop_reason"]["message"]},
    }
    CLOCK[0] = 31.0  # the window passed, but the bot is ignored for 30 minutes
    late = (await post(emu, "chat/messages", chat(emu, "later"))).json()["data"][0]
    assert late["drop_reason"]["code"] == "msg_ratelimit"
    CLOCK[0] = 1801.0
    assert (await post(emu, "chat/messages", chat(emu, "free"))).json()["data"][0]["is_sent"]


async def test_duplicates_and_slow_mode(emu: TwitchEmulator) -> None:
    assert (await post(emu, "chat/messages", chat(emu, "same"))).json()["data"][0]["is_sent"]
    dup = (await post(emu, "chat/messages", chat(emu, "same"))).json()["data"][0]
    assert dup["drop_reason"]["code"] == "msg_duplicate"
    CLOCK[0] = 30.0
    emu.set_slow_mode(10)
    assert (await post(emu, "chat/messages", chat(emu, "same"))).json()["data"][0]["is_sent"]
    CLOCK[0] = 35.0
    slow = (await post(emu, "chat/messages", chat(emu, "other"))).json()["data"][0]
    assert slow["drop_reason"]["code"] == "msg_slowmode"
    emu.set_moderator(True)
    assert (await post(emu, "chat/messages", chat(emu, "other"))).json()["data"][0]["is_sent"]


async def test_ratelimit_headers_and_the_point_bucket(emu: TwitchEmulator) -> None:
    resp = await get(emu, f"{emu.helix_url}/users", params={"login": "shopstream_demo"},
                     headers=headers(emu))  # fmt: skip
    assert resp.headers["Ratelimit-Limit"] == "800"
    assert int(resp.headers["Ratelimit-Remaining"]) == 799
    assert int(resp.headers["Ratelimit-Reset"]) > 0
    emu.fail_next("users", 429)
    limited = await get(emu, f"{emu.helix_url}/users", headers=headers(emu))
    assert limited.status_code == 429 and limited.headers["Ratelimit-Remaining"] == "0"
    assert limited.json() == {
        "error": "Too Many Requests",
        "status": 429,
        "message": "injected 429",
    }


async def test_validate_and_refresh(emu: TwitchEmulator) -> None:
    ok = await get(
        emu, f"{emu.oauth_url}/validate", headers={"Authorization": f"OAuth {emu.token}"}
    )
    assert ok.json()["login"] == "shopstream_bot" and ok.json()["user_id"] == emu.world.bot.id
    bad = await get(emu, f"{emu.oauth_url}/validate", headers={"Authorization": "OAuth nope"})
    assert bad.status_code == 401 and bad.json() == {
        "status": 401,
        "message": "invalid access token",
    }
    form = {"grant_type": "refresh_token", "refresh_token": emu.refresh_token,
            "client_id": emu.client_id, "client_secret": emu.client_secret}  # fmt: skip
    fresh = await asyncio.to_thread(requests.post, f"{emu.oauth_url}/token", data=form, timeout=5)
    assert fresh.status_code == 200 and fresh.json()["token_type"] == "bearer"
    again = await asyncio.to_thread(requests.post, f"{emu.oauth_url}/token", data=form, timeout=5)
    assert again.status_code == 400  # a refresh token is single-use
    new = fresh.json()["access_token"]
    users = await get(emu, f"{emu.helix_url}/users", headers=headers(emu, new))
    assert users.json()["data"][0]["login"] == "shopstream_bot"


async def test_batch_injection_fans_out_in_order(emu: TwitchEmulator) -> None:
    ids = emu.inject_messages(
        [{"text": f"!buy {i}", "author_id": str(i), "author_name": f"v{i}"} for i in range(200)]
    )
    assert len(set(ids)) == 200
    assert [emu.world.lines[i].text for i in ids] == [f"!buy {i}" for i in range(200)]
