"""The production Twitch connector's IRC transport against a real IRC server (ngircd 26).

ngircd offers no message-tags and none of Twitch's caps, so this is the standard-IRC path:
``CAP LS`` answered with ``multi-prefix`` only, registration on 001, sends settled by PING/PONG.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from ngircd_support import NGIRCD, Ngircd, RawClient

from connectors.errors import AuthError
from connectors.events import ChatMessage, Reply
from connectors.status import Status
from connectors.twitch.config import TwitchConfig, TwitchSecrets
from connectors.twitch.connector import TwitchConnector
from connectors.twitch.irc import IrcMessage
from shopstream.runtime.supervisor import Envelope, Supervisor
from tests.support.reader import Reader

pytestmark = pytest.mark.skipif(
    NGIRCD is None, reason="ngircd is not installed (.ci/run installs it: apt-get install ngircd)"
)

CHANNEL = "shopstream_demo"
BOT = "shopstream_bot"
TIMEOUT = 10.0
TOKEN = "bot-token"


def connector(server: Ngircd, *, token: str = TOKEN, **overrides: Any) -> TwitchConnector:
    values: dict[str, Any] = {
        "enabled": True,
        "channel": CHANNEL,
        "transport": "irc",
        "irc_host": "127.0.0.1",
        "irc_port": server.port,
        "irc_tls": False,
        "irc_nick": BOT,
        "http_timeout_seconds": 5.0,
        "send_confirm_seconds": 5.0,
    }
    values.update(overrides)
    return TwitchConnector(TwitchConfig(**values), secrets=TwitchSecrets(token=token))


def reply(text: str, reply_to: str | None = None) -> Reply:
    return Reply(platform="twitch", channel=CHANNEL, text=text, key=text, reply_to_id=reply_to)


def from_bot(msg: IrcMessage) -> bool:
    return msg.command == "PRIVMSG" and msg.nick == BOT


def bot_joined(msg: IrcMessage) -> bool:
    return msg.command == "JOIN" and msg.nick == BOT


@pytest.fixture
async def ngircd(tmp_path: Path) -> AsyncIterator[Ngircd]:
    server = Ngircd(tmp_path, password=f"oauth:{TOKEN}")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def viewer(ngircd: Ngircd) -> AsyncIterator[RawClient]:
    client = RawClient("kim")  # joins first, so it is the channel operator
    await client.connect(ngircd.port, password=ngircd.password)
    await client.join(CHANNEL)
    try:
        yield client
    finally:
        await client.close()


async def test_reads_a_viewer_and_replies_plain_and_threaded(
    ngircd: Ngircd, viewer: RawClient
) -> None:
    async with connector(ngircd) as conn:
        reader = Reader(conn)
        await viewer.until(bot_joined)
        await viewer.send(f"PRIVMSG #{CHANNEL} :!buy tee M")
        got = await reader.message("!buy tee M")
        plain = await conn.send(reply("Kim: held"))
        heard = await viewer.until(from_bot)
        threaded = await conn.send(reply("Kim: still held", reply_to=got.message_id))
        heard_threaded = await viewer.until(from_bot)
        await reader.stop()
    assert got.author_id == "kim" and got.author_name == "kim"
    assert plain.sent and heard.params == [f"#{CHANNEL}", "Kim: held"]
    # no message-tags here: the thread tag is left off, or ngircd would answer 421
    assert threaded.sent and heard_threaded.params == [f"#{CHANNEL}", "Kim: still held"]


async def test_a_refused_send_is_not_reported_sent(ngircd: Ngircd, viewer: RawClient) -> None:
    async with connector(ngircd) as conn:
        reader = Reader(conn)
        await viewer.until(bot_joined)
        await viewer.send(f"MODE #{CHANNEL} +m")  # moderated: only voiced users may speak
        await viewer.until(lambda m: m.command == "MODE")
        refused = await conn.send(reply("Kim: held"))
        await reader.stop()
    assert not refused.sent and refused.drop_reason == "irc_404"  # ERR_CANNOTSENDTOCHAN


async def test_server_restart_mid_show_rejoins(ngircd: Ngircd, viewer: RawClient) -> None:
    restarted = asyncio.Event()

    async def backoff_sleep(_seconds: float) -> None:
        await restarted.wait()  # the supervisor's backoff ends when the server is back

    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    conn = connector(ngircd)
    supervisor = Supervisor([conn], queue, sleep=backoff_sleep)
    task = asyncio.create_task(supervisor.run())
    again = RawClient("kim")
    try:
        await viewer.until(bot_joined)
        await viewer.send(f"PRIVMSG #{CHANNEL} :before")
        before = await next_message(queue)
        await viewer.close()
        await ngircd.stop()
        await ngircd.start()
        restarted.set()
        await again.connect(ngircd.port, password=ngircd.password)
        await again.send(f"JOIN #{CHANNEL}")
        names = await again.until(lambda m: m.command == "353")
        if BOT not in names.trailing.split():
            await again.until(bot_joined)
        await again.send(f"PRIVMSG #{CHANNEL} :after")
        after = await next_message(queue)
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await again.close()
    assert (before.text, after.text) == ("before", "after")
    assert supervisor.errors == []


async def next_message(queue: asyncio.Queue[Envelope]) -> ChatMessage:
    async with asyncio.timeout(TIMEOUT):
        while True:
            event = (await queue.get()).event
            if isinstance(event, ChatMessage):
                return event


async def test_wrong_password_is_invalid_auth(tmp_path: Path) -> None:
    server = Ngircd(tmp_path, password="oauth:right")  # ngircd: ERROR, then it hangs up
    await server.start()
    try:
        async with connector(server, token="wrong") as refused:
            reader = Reader(refused)
            error = await reader.error()
            await reader.stop()
            status = refused.health.status
        async with connector(server, token="right") as accepted:
            checked = await accepted.check()
    finally:
        await server.stop()
    assert isinstance(error, AuthError) and status is Status.INVALID_AUTH
    assert checked == "ok"
