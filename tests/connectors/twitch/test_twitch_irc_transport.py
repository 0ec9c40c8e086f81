"""The IRC transport against the emulator's TMI server (TLS with its self-signed certificate)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from twitch_support import connector_for

from connectors.errors import AuthError, FatalError, RateLimited, TransientError
from connectors.events import ChatMessage, MessageDeleted, Reply, UserBanned
from connectors.twitch.ircclient import IrcConnection, IrcEndpoint
from sandbox.twitch import TwitchEmulator
from tests.support.reader import Reader


@pytest.fixture
async def emu() -> AsyncIterator[TwitchEmulator]:
    async with TwitchEmulator(irc_ping_interval=0.2, irc_ping_timeout=2.0) as emulator:
        yield emulator


async def joined(emu: TwitchEmulator, count: int = 1) -> None:
    assert emu.irc is not None
    async with asyncio.timeout(10):
        while len(emu.irc.in_room()) < count:
            emu.irc.changed.clear()
            await emu.irc.changed.wait()


def reply(text: str, reply_to: str | None = None, key: str = "k") -> Reply:
    return Reply(platform="twitch", channel="shopstream_demo", text=text, key=key,
                 reply_to_id=reply_to)  # fmt: skip


async def test_reads_over_tls_with_threads_and_moderation(emu: TwitchEmulator) -> None:
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        parent = emu.inject_message("is the tee in stock?", author_id="11", author_name="Kim")
        first = await reader.message("is the tee in stock?")
        child = emu.inject_message("!buy tee M", author_id="12", author_name="Lou", reply_to=parent)
        threaded = await reader.message("!buy tee M")  # "@Kim " prefix stripped
        emu.delete_message(child)
        deleted = await reader.next()
        emu.ban_user("12", duration=600)
        banned = await reader.next()
        await reader.stop()
    assert first.message_id == parent and first.author_id == "11" and first.author_name == "Kim"
    assert threaded.reply_to_id == parent and threaded.message_id == child
    assert isinstance(deleted, MessageDeleted) and deleted.message_id == child
    assert isinstance(banned, UserBanned) and banned.author_id == "12"
    assert banned.until is not None and (banned.until - banned.at).total_seconds() == 600


async def test_plain_tcp_also_works(emu: TwitchEmulator) -> None:
    async with connector_for(emu, transport="irc", irc_tls=False, irc_port=emu.irc_port) as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.inject_message("plain", author_id="13", author_name="Max")
        assert (await reader.message("plain")).author_id == "13"
        await reader.stop()


async def test_reconnect_rejoins_and_keeps_reading(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.inject_message("before", author_id="14", author_name="Ned")
        await reader.message("before")
        first_peer = emu.irc.in_room()[0]
        await emu.server_reconnect()
        async with asyncio.timeout(10):
            while first_peer in emu.irc.peers or not emu.irc.in_room():
                emu.irc.changed.clear()
                await emu.irc.changed.wait()
        emu.inject_message("after", author_id="14", author_name="Ned")
        await reader.message("after")
        leftovers = reader.drain()
        await reader.stop()
    assert leftovers == []


async def test_server_pings_are_answered(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        async with asyncio.timeout(10):
            while emu.irc.pongs < 3:
                emu.irc.pong_seen.clear()
                await emu.irc.pong_seen.wait()
        emu.inject_message("still here", author_id="15", author_name="Oli")
        await reader.message("still here")
        await reader.stop()


async def test_garbage_lines_are_skipped(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.irc.send_raw(b"\xff\xfe\xfd not utf-8 \r\n@@@\r\n\r\n:only-a-source\r\n")
        emu.irc.send_raw(
            b":x!x@x PRIVMSG #shopstream_demo\r\n@id=;x :tmi.twitch.tv CLEARMSG #c\r\n"
        )
        emu.irc.send_raw(b"@" + b"a" * 70_000 + b" :x PRIVMSG #shopstream_demo :huge\r\n")
        emu.inject_message("after garbage", author_id="16", author_name="Pat")
        got = await reader.next()  # nothing from the garbage, not even the oversized tail
        await reader.stop()
    assert isinstance(got, ChatMessage) and got.text == "after garbage"


async def test_abrupt_disconnect_is_transient_and_the_next_session_rejoins(
    emu: TwitchEmulator,
) -> None:
    assert emu.irc is not None
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.drop_connections()
        assert isinstance(await reader.error(), TransientError)
        await reader.stop()
        again = Reader(conn)
        await joined(emu)
        emu.inject_message("back", author_id="17", author_name="Quin")
        await again.message("back")
        await again.stop()


async def test_refused_capabilities_still_read_chat(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    emu.irc.refuse_caps = True
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.inject_message("no tags here", author_id="18", author_name="Rae")
        got = await reader.message("no tags here")
        await reader.stop()
    assert got.author_id == "rae" and got.message_id.startswith("irc-")


async def test_shuffled_tags_parse_the_same(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    emu.irc.shuffle_tags = True
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        ids = [emu.inject_message(f"m{i}", author_id="19", author_name="Sam Q") for i in range(5)]
        got = [await reader.message(f"m{i}") for i in range(5)]
        await reader.stop()
    assert [g.message_id for g in got] == ids
    assert {g.author_name for g in got} == {"Sam Q"}


async def test_send_threads_learns_the_mod_tier_and_maps_notices(emu: TwitchEmulator) -> None:
    emu.set_moderator(True)
    parent = emu.inject_message("!buy 101", author_id="20", author_name="Tia")
    async with (
        connector_for(emu, transport="irc") as conn,
        connector_for(emu, transport="irc") as other,
    ):
        assert (await conn.send(reply("Tia: held", reply_to=parent))).sent
        assert conn.limits.max_messages == 100  # USERSTATE said moderator
        dropped = await other.send(reply("Tia: held"))  # NOTICE msg_duplicate
        emu.world.limiter.silenced_until = emu.world.clock() + 1800
        with pytest.raises(RateLimited):
            await conn.send(reply("another", key="k3"))
    assert not dropped.sent and dropped.drop_reason == "msg_duplicate"
    assert emu.bot_sends[0].reply_to_id == parent and emu.bot_sends[0].sent


async def test_followers_only_notice_and_usernotices(emu: TwitchEmulator) -> None:
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.set_chat_modes(followers_only=True)
        emu.inject_usernotice("resub", login="fan1", text="7 months!", cumulative_months="7")
        emu.inject_usernotice("sub", login="fan2")  # no viewer text: no event
        emu.inject_message("after the notices", author_id="22", author_name="Vic")
        resub = await reader.next()  # the viewer's resub text is chat, with its kind
        after = await reader.next()
        dropped = await conn.send(reply("hello"))
        await reader.stop()
    assert isinstance(resub, ChatMessage) and resub.text == "7 months!"
    assert resub.kind == "resub" and resub.author_name
    assert isinstance(after, ChatMessage) and after.text == "after the notices"
    assert not dropped.sent and dropped.drop_reason == "msg_followersonly"


async def test_slow_mode_learned_from_roomstate(emu: TwitchEmulator) -> None:
    now = [0.0]
    emu.set_slow_mode(30)
    async with connector_for(emu, transport="irc", monotonic=lambda: now[0]) as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.inject_message("sync", author_id="21", author_name="Uma")
        await reader.message("sync")  # ROOMSTATE came before it
        assert conn.limits.min_interval_seconds == 30
        assert (await conn.send(reply("first"))).sent
        now[0] = 10.0
        with pytest.raises(RateLimited) as caught:
            await conn.send(reply("second", key="k2"))
        await reader.stop()
    assert caught.value.retry_after == pytest.approx(20.0)


async def test_over_500_characters_is_silently_dropped_by_twitch(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    conn = IrcConnection(
        IrcEndpoint(host="127.0.0.1", port=emu.irc_port, tls=False),
        nick="shopstream_bot",
        token=emu.token,
        channel="shopstream_demo",
    )
    await conn.open()
    try:
        await conn.write("PRIVMSG #shopstream_demo :" + "x" * 501)
        await conn.write("PING :sync")
        while (msg := await conn.read()) is None or msg.command != "PONG":
            pass
    finally:
        await conn.close()
    assert emu.bot_sends == []


async def test_bad_irc_token_is_an_auth_error(emu: TwitchEmulator) -> None:
    conn = IrcConnection(
        IrcEndpoint(host="127.0.0.1", port=emu.irc_tls_port, tls=True, ca_file=emu.ca_file),
        nick="shopstream_bot",
        token="wrong",
        channel="shopstream_demo",
    )
    with pytest.raises(AuthError):
        await conn.open()


async def test_untrusted_certificate_is_refused(emu: TwitchEmulator) -> None:
    conn = IrcConnection(
        IrcEndpoint(host="127.0.0.1", port=emu.irc_tls_port, tls=True),
        nick="shopstream_bot",
        token=emu.token,
        channel="shopstream_demo",
    )
    with pytest.raises(TransientError):
        await conn.open()


async def test_sends_go_out_on_the_reading_connection(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    parent = emu.inject_message("!buy 101", author_id="23", author_name="Wes")
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        await joined(emu)
        result = await conn.send(reply("Wes: held", reply_to=parent))
        peers = len(emu.irc.peers)
        await reader.stop()
    assert result.sent and peers == 1
    assert emu.bot_sends[0].reply_to_id == parent


async def test_refused_tags_send_threaded_replies_plain(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    emu.irc.refuse_caps = True
    parent = emu.inject_message("!buy 102", author_id="24", author_name="Xia")
    async with connector_for(emu, transport="irc") as conn:
        result = await conn.send(reply("Xia: held", reply_to=parent))  # settled by PING/PONG
    privmsgs = [line for line in emu.irc.received if "PRIVMSG" in line]
    assert result.sent and privmsgs == ["PRIVMSG #shopstream_demo :Xia: held"]


async def test_irc_runs_without_helix(emu: TwitchEmulator) -> None:
    async with connector_for(
        emu, transport="irc", helix_url=None, oauth_url=None, irc_nick="shopstream_bot"
    ) as conn:
        reader = Reader(conn)
        await joined(emu)
        emu.inject_message("no helix", author_id="25", author_name="Yan")
        got = await reader.message("no helix")
        sent = await conn.send(reply("hi Yan"))
        checked = await conn.check()
        await reader.stop()
    assert got.author_id == "25" and sent.sent and checked == "ok"


async def test_irc_without_helix_needs_the_nick(emu: TwitchEmulator) -> None:
    with pytest.raises(FatalError):
        async with connector_for(emu, transport="irc", helix_url=None, oauth_url=None):
            pass
