"""Twitch Shared Chat: a partner channel's message never claims, cancels or commands in ours.

Payloads are Twitch's published shapes (fixtures/shared_chat.json names each source): real
IRC lines from Chatterino's snapshot suite and EventSub's channel.chat.message example with
the Shared Chat fields filled. They go through the production translators, the connector
(both transports, against the emulator) and the application's real chat handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from twitch_support import connector_for

from connectors.events import ChatMessage, Reply, Role
from connectors.twitch.irc import parse_line
from connectors.twitch.translate import eventsub_event, irc_event
from sandbox.twitch import TwitchEmulator
from shopstream.core import Core, build_core
from shopstream.demo_view import summary_table
from shopstream.runtime.show import ShowResult
from shopstream.runtime.supervisor import Envelope
from shopstream.sandbox_store import sandbox_store
from shopstream.settings import parse_settings
from tests.support.reader import Reader

FIXTURES = json.loads((Path(__file__).parent / "fixtures/shared_chat.json").read_text("utf-8"))
CASES = [("irc", c) for c in FIXTURES["irc"]] + [("eventsub", c) for c in FIXTURES["eventsub"]]
RECEIVED = datetime(2024, 10, 23, tzinfo=UTC)


def translate(transport: str, case: dict[str, Any]) -> ChatMessage:
    if transport == "irc":
        event = irc_event(parse_line(case["line"]), received_at=RECEIVED, fallback_id="F")
    else:
        event = eventsub_event(case["message"])
    assert isinstance(event, ChatMessage)
    return event


SHARED = [translate(t, c) for t, c in CASES if c["want"]["shared"]]
SHARED_IDS = [c["name"] for _, c in CASES if c["want"]["shared"]]


@pytest.mark.parametrize(("transport", "case"), CASES, ids=[c["name"] for _, c in CASES])
def test_published_payloads_name_the_channel_they_were_typed_in(
    transport: str, case: dict[str, Any]
) -> None:
    msg = translate(transport, case)
    want = case["want"]
    assert msg.shared is want["shared"]
    assert msg.channel_id == want["channel_id"]
    assert msg.source_channel_id == want["source_channel_id"]
    assert msg.kind == want["kind"] and msg.text == want["text"]
    assert msg.author_id == want["author_id"]
    # roles are those in *our* channel: a partner's moderator badge (source-badges) is not one
    assert msg.roles == frozenset(Role(r) for r in want["roles"])


@contextlib.asynccontextmanager
async def show(db_url: str, **twitch: Any) -> AsyncIterator[Core]:
    """A synced core over the sandbox store (201 featured, 5 units)."""
    settings = parse_settings(
        {"show": {"id": "shared", "featured": "201"}, "connectors": {"twitch": twitch}}
    )
    async with sandbox_store(settings) as store:
        core = build_core(settings, store.access, database_url=db_url)
        core.sync()
        try:
            yield core
        finally:
            core.close()


def handle(core: Core, messages: Sequence[ChatMessage]) -> list[Sequence[Reply]]:
    """Through the application's handler, as the pipeline does (take, then handle)."""
    envelopes = [Envelope(m.platform, m) for m in messages]
    for envelope in envelopes:
        core.handler.needs_order(envelope)
    core.records.take_messages(list(messages))
    with core.records.batch():
        results = core.handler.handle_many(envelopes)
    assert not [r for r in results if isinstance(r, Exception)]
    return [r for r in results if not isinstance(r, Exception)]


def said(msg: ChatMessage, text: str, n: int, **changes: Any) -> ChatMessage:
    return replace(msg, text=text, message_id=f"{msg.message_id}-{n}", **changes)


@pytest.mark.parametrize("shared", SHARED, ids=SHARED_IDS)
async def test_a_partner_message_never_claims_cancels_or_commands(
    shared: ChatMessage, sqlite_db_url: str
) -> None:
    local = replace(shared, source_channel_id=None, message_id="local-buy", text="sold 201")
    mod = frozenset({Role.MODERATOR, Role.BROADCASTER})  # even one who mods our channel too
    async with show(sqlite_db_url) as core:
        [bought] = handle(core, [local])
        replies = handle(
            core,
            [
                said(shared, "sold 201", 1),
                said(shared, "!cancel", 2),
                said(shared, "!cart", 3),
                said(shared, "!feature 101", 4, roles=mod),
                said(shared, "how much is 201?", 5),
            ],
        )
        claims = core.records.claims(show_id="shared")
        featured = core.control.state.featured
        counted = core.handler.shared_chat["twitch"]
        ordered = core.handler.needs_order(Envelope("twitch", said(shared, "sold 201", 6)))
    assert bought  # the same viewer's buy typed in our channel is claimed ...
    assert [(c.message_id, c.status) for c in claims] == [("local-buy", "held")]  # ... kept
    assert all(not r for r in replies)  # no claim, no cancel, no cart, no answer by default
    assert featured == "201"  # the moderator command from the partner's chat did nothing
    assert counted == 5
    assert ordered is False  # it never waits at the fairness gate: it cannot change stock


async def test_answers_to_partner_questions_are_a_setting(sqlite_db_url: str) -> None:
    [shared] = [m for m in SHARED if m.source_channel_id == "112233"]  # EventSub
    async with show(sqlite_db_url, shared_chat_answers=True) as core:
        question, buy = handle(
            core, [said(shared, "how much is 201?", 1), said(shared, "sold 201", 2)]
        )
        claims = core.records.claims(show_id="shared")
    assert len(question) == 1 and question[0].reply_to_id == f"{shared.message_id}-1"
    assert not buy and not claims  # answering never means selling


@pytest.mark.parametrize("transport", ["irc", "eventsub"])
async def test_both_transports_count_and_keep_partner_messages_out_of_stock(
    transport: str, sqlite_db_url: str
) -> None:
    async with TwitchEmulator() as emu, connector_for(emu, transport=transport) as conn:
        reader = Reader(conn)
        if transport == "irc":
            assert emu.irc is not None
            async with asyncio.timeout(10):
                while not emu.irc.in_room():
                    emu.irc.changed.clear()
                    await emu.irc.changed.wait()
        else:
            async with asyncio.timeout(10):
                await emu.eventsub.subscribed.wait()
        emu.inject_message(
            "sold 201", author_id="31", author_name="Ana", shared_from="partner",
            source_badges=["moderator"],
        )  # fmt: skip
        emu.inject_message("sold 201", author_id="32", author_name="Bo")
        partner = await reader.message("sold 201")
        ours = await reader.message("sold 201")
        status = dict(conn.health.extra)
        await reader.stop()
    assert partner.shared and partner.author_id == "31"
    assert partner.source_channel_id == emu.world.partner("partner").id
    assert not ours.shared  # typed here, in a session (IRC: source-room-id is our room)
    assert status["shared_chat"] == "1"
    async with show(sqlite_db_url) as core:
        handle(core, [partner, ours])
        claims = core.records.claims(show_id="shared")
        summary = ShowResult(shared_chat=sum(core.handler.shared_chat.values()))
    assert [c.viewer_id for c in claims] == ["32"]
    console = Console(width=120, record=True)
    console.print(summary_table(summary, holds={}))
    assert "│ Shared Chat messages (partner channels) │     1 │" in console.export_text()


def test_the_answers_setting_is_off_by_default_and_described() -> None:
    settings = parse_settings({})
    field = type(settings.connectors.twitch).model_fields["shared_chat_answers"]
    assert settings.connectors.twitch.shared_chat_answers is False
    assert field.description and "Shared Chat" in field.description
    on = parse_settings({"connectors": {"twitch": {"shared_chat_answers": True}}})
    assert on.connectors.twitch.shared_chat_answers is True
