"""EventSub against Twitch's published shapes: the emulator sends them, the connector reads them.

``fixtures/eventsub_messages.json`` holds the reference's example messages (``_sources`` names
where each comes from). The emulator's frames must have exactly the reference's fields; the
connector is fed the reference frames themselves.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import requests
from twitch_support import connector_for
from websockets.asyncio.client import ClientConnection, connect

from connectors.errors import AuthError
from connectors.events import ChatMessage
from sandbox.twitch import TwitchEmulator
from tests.support.reader import Reader

REFERENCE = json.loads(
    (Path(__file__).parent / "fixtures/eventsub_messages.json").read_text("utf-8")
)
SHARED = json.loads((Path(__file__).parent / "fixtures/shared_chat.json").read_text("utf-8"))


def paths(value: object, prefix: str = "") -> set[str]:
    """Every field path of a JSON value (``payload.event.message.fragments[].type`` ...)."""
    if isinstance(value, dict):
        out: set[str] = set()
        for key, item in value.items():
            out |= {prefix + key} | paths(item, f"{prefix}{key}.")
        return out
    if isinstance(value, list):
        return set().union(*(paths(item, f"{prefix}[].") for item in value))
    return set()


@pytest.fixture
async def emu() -> AsyncIterator[TwitchEmulator]:
    async with TwitchEmulator(tls=False) as emulator:
        yield emulator


async def recv(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(10):
        frame = json.loads(await ws.recv())
    assert isinstance(frame, dict)
    return frame


def subscribe(emu: TwitchEmulator, session_id: str) -> None:
    world = emu.world
    response = requests.post(
        f"{emu.helix_url}/eventsub/subscriptions",
        headers={"Authorization": f"Bearer {emu.token}", "Client-Id": emu.client_id},
        json={
            "type": "channel.chat.message",
            "version": "1",
            "condition": {"broadcaster_user_id": world.broadcaster.id, "user_id": world.bot.id},
            "transport": {"method": "websocket", "session_id": session_id},
        },
        timeout=10,
    )
    assert response.status_code == 202, response.text


async def test_the_emulator_sends_the_reference_shapes(emu: TwitchEmulator) -> None:
    async with connect(emu.eventsub_url) as ws:
        welcome = await recv(ws)
        await asyncio.to_thread(subscribe, emu, welcome["payload"]["session"]["id"])
        parent = emu.inject_message("Hi chat", author_id="41", badges=["moderator", "subscriber"])
        plain = await recv(ws)
        emu.inject_message("!buy hoodie M", author_id="42", reply_to=parent)
        reply = await recv(ws)
        emu.inject_message("Cheer100 sold 201", author_id="43", bits=100, badges=["vip"])
        cheer = await recv(ws)
        emu.inject_message("sold 201", author_id="44", shared_from="partner", source_badges=["vip"])
        shared = await recv(ws)
        emu.eventsub.keepalive_now()
        keepalive = await recv(ws)
        emu.eventsub.revoke("channel.chat.message")
        revocation = await recv(ws)
        emu.eventsub.reconnect()
        reconnect = await recv(ws)
    assert paths(welcome) == paths(REFERENCE["welcome"])
    assert paths(keepalive) == paths(REFERENCE["keepalive"])
    assert paths(reconnect) == paths(REFERENCE["reconnect"])
    assert reconnect["payload"]["session"]["keepalive_timeout_seconds"] is None
    assert paths(revocation) == paths(REFERENCE["revocation"])
    assert paths(plain) == paths(REFERENCE["chat_message"])
    assert paths(reply) == paths(REFERENCE["chat_reply"])
    assert paths(cheer) == paths(REFERENCE["chat_cheer"])
    assert cheer["payload"]["event"]["cheer"] == {"bits": 100}
    [partner] = [c["message"] for c in SHARED["eventsub"] if c["want"]["shared"]]
    assert paths(shared) == paths(partner)
    source = shared["payload"]["event"]["source_broadcaster_user_id"]
    assert source == emu.world.partner("partner").id


async def test_the_connector_reads_the_reference_frames(emu: TwitchEmulator) -> None:
    """Cheers, first-time intros and redeliveries as Twitch publishes them; then a revocation."""
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        async with asyncio.timeout(10):
            await emu.eventsub.subscribed.wait()
        frames = [REFERENCE[n] for n in ("chat_cheer", "chat_user_intro", "chat_cheer")]
        local = copy.deepcopy(REFERENCE["chat_message"])
        local["payload"]["event"]["chatter_user_id"] = "4145995"  # not the bot's id
        for frame in (*frames, local):
            emu.eventsub.send_raw(json.dumps(frame))
        marker = emu.inject_message("marker", author_id="45")
        await reader.message("marker")
        emu.eventsub.send_raw(json.dumps(REFERENCE["revocation"]))
        error = await reader.error()
        status = conn.health.status
    got = [e for e in reader.events if isinstance(e, ChatMessage) and e.message_id != marker]
    assert [(m.text, m.kind) for m in got] == [
        ("Cheer100 sold 201", "chat"),  # the redelivered cheer (same message_id) came once
        ("hi, first time here Kappa", "user_intro"),
        ("Hi chat", "chat"),
    ]
    assert isinstance(error, AuthError)  # authorization_revoked: stop and say invalid_auth
    assert status == "invalid_auth"
