"""The connector against the emulator: no comment lost, identity gaps, replies, errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.errors import AuthError, FatalError, RateLimited, StreamOffline, TransientError
from connectors.events import ChatEnded, Reply, Role
from connectors.facebook import (
    DuplicateContent,
    FacebookConfig,
    FacebookConnector,
    FacebookCredentials,
    PostingBlocked,
)
from connectors.status import Status
from sandbox.facebook import FacebookEmulator
from tests.support.reader import Reader

Build = Callable[..., FacebookConnector]


async def _open_stream(emu: FacebookEmulator, total: int = 1) -> None:
    async with asyncio.timeout(10):
        await emu.hub.wait_opened(total)


@pytest.mark.parametrize("clean", [True, False], ids=["clean-close", "network-drop"])
async def test_disconnect_during_a_burst_loses_no_comment(
    emu: FacebookEmulator, make_connector: Build, clean: bool
) -> None:
    # periodic backfill off (long interval): only the reconnect backfill can recover the gap
    async with make_connector(comment_rate="ten_per_second", backfill_interval_seconds=60) as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            burst = [(f"SOLD {i} M", f"u{i}", f"Viewer {i}") for i in range(300)]
            ids = emu.inject_many(burst[:150])
            emu.disconnect_streams(clean=clean)
            ids += emu.inject_many(burst[150:])
            await reader.wait_for(300)
            await _open_stream(emu, 2)  # reconnected: its backfill adds no duplicate
            emu.inject_message("after reconnect", author_id="u-last")
            messages = (await reader.wait_for(301))[:300]
        finally:
            await reader.stop()
    got = [m.message_id for m in messages]
    assert sorted(got) == sorted(ids)  # every comment, each exactly once
    assert len(set(got)) == len(got) == 300
    assert emu.hub.dropped > 0  # the stream really sampled the burst
    assert len(reader.messages) == 301
    assert (len(reader.transient) > 0) is (not clean)  # a drop goes through the supervisor


async def test_periodic_backfill_fills_what_the_stream_drops(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector(comment_rate="one_per_two_seconds") as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            ids = emu.inject_many([(f"SOLD {i}", f"u{i}", "V") for i in range(40)])
            messages = await reader.wait_for(40)
        finally:
            await reader.stop()
    assert sorted(m.message_id for m in messages) == sorted(ids)
    assert emu.hub.dropped >= 39 and emu.hub.opened == 1


async def test_backfill_rounds_resume_when_a_burst_exceeds_one_round(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    # 2 pages x 10 per round, 150 comments in the same second: restarting each round from
    # `since` would read the same 20 forever; resuming from the paging cursor reads them all
    async with make_connector(
        comment_rate="one_per_two_seconds",
        backfill_page_limit=10,
        backfill_max_pages=2,
        backfill_interval_seconds=60,
    ) as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            emu.inject_message("first", author_id="u0")
            await reader.wait_for(1)
            emu.disconnect_streams(clean=True)  # the reconnect backfill starts the rounds
            ids = emu.inject_many([(f"SOLD {i}", f"u{i}", "V") for i in range(150)])
            messages = await reader.wait_for(151)
        finally:
            await reader.stop()
    assert set(ids) <= {m.message_id for m in messages}
    assert len(messages) == 151


async def test_a_failed_backfill_page_loses_nothing_already_read(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector(
        comment_rate="one_per_two_seconds", backfill_page_limit=10, backfill_interval_seconds=0.05
    ) as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            emu.inject_message("first", author_id="u0")
            await reader.wait_for(1)
            ids = emu.inject_many([(f"SOLD {i}", f"u{i}", "V") for i in range(40)])
            emu.fail_next("comments", code=2, status=503, after=1)  # page 2 of the next round
            messages = await reader.wait_for(41)
        finally:
            await reader.stop()
    assert set(ids) <= {m.message_id for m in messages} and len(messages) == 41
    assert not emu.state.faults["comments"]
    assert reader.transient == []


async def test_messages_are_chronological_within_backfill_and_keep_platform_time(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=30)
    ids = [emu.inject_message(f"early {i}", created=start + timedelta(seconds=i)) for i in range(5)]
    async with make_connector() as conn:
        reader = Reader(conn, resume=True)
        try:
            messages = await reader.wait_for(5)
        finally:
            await reader.stop()
    assert [m.message_id for m in messages] == ids
    assert [m.sent_at for m in messages] == [
        (start + timedelta(seconds=i)).replace(microsecond=0) for i in range(5)
    ]


async def test_comment_without_from_is_a_message_without_author(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector() as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            emu.inject_message("SOLD 101 M", author_id=None, author_name=None)
            [msg] = await reader.wait_for(1)
        finally:
            await reader.stop()
    assert msg.author_id is None and msg.author_name is None and msg.text == "SOLD 101 M"


async def test_user_token_gets_no_identity_but_still_reads(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector(token=emu.user_token, page_id=emu.page_id) as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            emu.inject_message("SOLD 7", author_id="u1", author_name="Ana")
            [msg] = await reader.wait_for(1)
        finally:
            await reader.stop()
    assert msg.author_id is None


async def test_page_id_comes_from_me_and_host_comments_are_broadcaster(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector() as conn:
        assert conn.channel == emu.page_id and conn.live_video_id == emu.live_video_id
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            emu.inject_message("!feature 102", author_id=emu.page_id, author_name="Demo Boutique")
            [msg] = await reader.wait_for(1)
        finally:
            await reader.stop()
    assert msg.roles == frozenset({Role.BROADCASTER}) and msg.is_moderator
    assert conn.health.last_message_at is not None


async def test_own_replies_are_not_read_back(emu: FacebookEmulator, make_connector: Build) -> None:
    async with make_connector() as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            viewer = emu.inject_message("how much?", author_id="u1", author_name="Ana")
            await reader.wait_for(1)
            result = await conn.send(
                Reply(
                    platform="facebook",
                    channel=conn.channel,
                    text="$24",
                    key="a",
                    reply_to_id=viewer,
                )
            )
            assert result.sent
            marker = emu.inject_message("after the reply", author_id="u2")
            messages = await reader.wait_for(2)
            await conn.send(Reply(platform="facebook", channel=conn.channel, text="$25", key="b"))
            emu.inject_message("second marker", author_id="u3")
            messages = await reader.wait_for(3)
        finally:
            await reader.stop()
    assert [m.text for m in messages] == ["how much?", "after the reply", "second marker"]
    assert messages[1].message_id == marker


async def test_malformed_frames_are_skipped_and_the_loop_survives(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector(backfill_interval_seconds=60) as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            emu.hub.send_raw(
                b"data: not json\n\n"
                b'data: {"error":{"code":1,"message":"inline"}}\n\n'
                b"data: [1,2]\n\n"
                b'data: {"message":"no id"}\n\n'
                b"event: weird\ndata: {}\n\n"
                b": just a comment\r\n\r\n"
                b"\xff\xfe garbage line without newline end\n\n"
                b'data: {"id": "123_456", "message": 7, "from": "x", "unknown": {"a": 1}}\n\n'
            )
            good = emu.inject_message("still here", author_id="u1")
            messages = await reader.wait_for(2)
        finally:
            await reader.stop()
    by_id = {m.message_id: m for m in messages}
    assert sorted(by_id) == sorted(["123_456", good])  # backfill may win the race for `good`
    assert by_id["123_456"].text == "" and by_id["123_456"].author_id is None
    assert reader.failure is None and reader.transient == []


async def test_live_end_yields_chat_ended(emu: FacebookEmulator, make_connector: Build) -> None:
    async with make_connector() as conn:
        reader = Reader(conn, resume=True)
        await _open_stream(emu)
        last = emu.inject_message("last call", author_id="u1")
        emu.end_live()
        async with asyncio.timeout(10):
            await reader.task
    assert [m.message_id for m in reader.messages] == [last]
    assert isinstance(reader.events[-1], ChatEnded)
    assert conn.health.status is Status.STOPPED


async def test_after_chat_ended_the_next_session_finds_the_next_live(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector() as conn:
        reader = Reader(conn, resume=True)
        await _open_stream(emu)
        emu.end_live()
        async with asyncio.timeout(10):
            await reader.task
        assert isinstance(reader.events[-1], ChatEnded)
        new_id = emu.new_live()
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu, 2)
            comment = emu.inject_message("SOLD 5 on the new live", author_id="u1")
            [msg] = await reader.wait_for(1)
        finally:
            await reader.stop()
    assert conn.live_video_id == new_id and msg.message_id == comment


async def test_error_envelope_with_status_200_on_the_stream(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    emu.fail_next("live_comments", code=190, status=200)
    async with make_connector() as conn:
        with pytest.raises(AuthError):
            async with asyncio.timeout(10):
                async for _ in conn.events():
                    pass


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
async def test_rate_limit_codes_on_read(
    emu: FacebookEmulator, make_connector: Build, code: int
) -> None:
    emu.fail_next("live_comments", code=code, regain_minutes=3)
    async with make_connector() as conn:
        with pytest.raises(RateLimited) as caught:
            async with asyncio.timeout(10):
                async for _ in conn.events():
                    pass
        assert caught.value.retry_after == 180.0  # from X-Business-Use-Case-Usage
        assert conn.health.status is Status.RATE_LIMITED


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
async def test_rate_limit_codes_on_send(
    emu: FacebookEmulator, make_connector: Build, code: int
) -> None:
    comment = emu.inject_message("price?")
    emu.fail_next("reply", code=code, regain_minutes=0)
    async with make_connector(rate_limit_wait_seconds=33) as conn:
        with pytest.raises(RateLimited) as caught:
            await conn.send(_reply(conn, "a", reply_to_id=comment))
        assert caught.value.retry_after == 33  # regain 0: no time said, the default wait
        assert (await conn.send(_reply(conn, "b", reply_to_id=comment))).sent


async def test_periodic_backfill_rate_limit_keeps_the_stream(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector(
        comment_rate="one_per_two_seconds",
        backfill_interval_seconds=0.05,
        rate_limit_wait_seconds=0.05,
    ) as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            emu.inject_message("first", author_id="u0")
            await reader.wait_for(1)  # the opening backfill is behind us
            emu.fail_next("comments", code=32, regain_minutes=0, times=2)
            ids = emu.inject_many([(f"SOLD {i}", f"u{i}", "V") for i in range(20)])
            messages = await reader.wait_for(21)  # most only through backfill, after the 429s
        finally:
            await reader.stop()
    assert set(ids) <= {m.message_id for m in messages}
    assert not emu.state.faults["comments"]  # both rate-limited rounds happened
    assert reader.transient == [] and reader.failure is None


async def test_auth_failure_on_read(emu: FacebookEmulator, make_connector: Build) -> None:
    emu.fail_next("comments", code=190, subcode=460)
    async with make_connector() as conn:
        with pytest.raises(AuthError):
            async with asyncio.timeout(10):
                async for _ in conn.events():
                    pass
        assert conn.health.status is Status.INVALID_AUTH


async def test_bad_token_fails_at_open(emu: FacebookEmulator, make_connector: Build) -> None:
    with pytest.raises(AuthError):
        async with make_connector(token="revoked"):
            pass


async def test_non_json_502_is_transient(emu: FacebookEmulator, make_connector: Build) -> None:
    async with make_connector() as conn:
        emu.fail_raw("live_comments", status=502, body="<html>Bad Gateway</html>")
        with pytest.raises(TransientError):
            async for _ in conn.events():
                pass
        emu.fail_raw("reply", status=502, body="<html>Bad Gateway</html>")
        with pytest.raises(TransientError):
            await conn.send(_reply(conn, "x"))


async def test_duplicate_then_varied_text(emu: FacebookEmulator, make_connector: Build) -> None:
    comment = emu.inject_message("price?")
    async with make_connector() as conn:
        assert (await conn.send(_reply(conn, "It is $24", reply_to_id=comment))).sent
        with pytest.raises(DuplicateContent):
            await conn.send(_reply(conn, "It is $24", reply_to_id=comment))
        assert (await conn.send(_reply(conn, "It is $24 (tee)", reply_to_id=comment))).sent


async def test_policy_block_stops_posting(emu: FacebookEmulator, make_connector: Build) -> None:
    emu.fail_next("reply", code=368, subcode=1390008)
    async with make_connector() as conn:
        with pytest.raises(PostingBlocked):
            await conn.send(_reply(conn, "one"))
        with pytest.raises(PostingBlocked):
            await conn.send(_reply(conn, "two"))
    assert emu.replies == []  # the second attempt never reached Facebook


async def test_permission_error_on_send_is_auth(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector(token=emu.user_token, page_id=emu.page_id) as conn:
        with pytest.raises(AuthError):
            await conn.send(_reply(conn, "hi"))


async def test_private_reply_once_per_comment(emu: FacebookEmulator, make_connector: Build) -> None:
    anonymous = emu.inject_message("SOLD 101 M", author_id=None, author_name=None)
    async with make_connector() as conn:
        reader = Reader(conn, resume=True)
        try:
            await reader.wait_for(1)
        finally:
            await reader.stop()
        first = await conn.send(_reply(conn, "Your link: https://x/1", anonymous, private=True))
        second = await conn.send(_reply(conn, "Your link again", anonymous, private=True))
    assert first.sent and first.platform_message_id and first.platform_message_id.startswith("m_")
    assert (second.sent, second.drop_reason) == (False, "private_reply_already_sent")
    assert [(r.kind, r.target_id, r.text) for r in emu.replies] == [
        ("private", anonymous, "Your link: https://x/1")
    ]


async def test_private_reply_refused_by_facebook(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    comment = emu.inject_message("SOLD 101 M")
    emu.state.private_replied.add(comment)  # another process already answered it
    async with make_connector() as conn:
        result = await conn.send(_reply(conn, "link", comment, private=True))
    assert (result.sent, result.drop_reason) == (False, "private_reply_refused")


async def test_private_reply_window_closed(emu: FacebookEmulator) -> None:
    comment = emu.inject_message("SOLD 101 M", created=datetime.now(UTC) - timedelta(days=8))
    config = FacebookConfig(
        graph_url=emu.graph_url, streaming_url=emu.streaming_url, startup_lookback_seconds=10**6
    )
    conn = FacebookConnector(
        config, credentials=FacebookCredentials(page_token=SecretStr(emu.page_token))
    )
    async with conn:
        reader = Reader(conn, resume=True)
        try:
            await reader.wait_for(1)
        finally:
            await reader.stop()
        result = await conn.send(_reply(conn, "link", comment, private=True))
    assert (result.sent, result.drop_reason) == (False, "private_reply_window_closed")


async def test_private_replies_disabled_answers_publicly(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    comment = emu.inject_message("SOLD 101 M")
    async with make_connector(private_replies=False) as conn:
        result = await conn.send(_reply(conn, "check your DMs", comment, private=True))
    assert result.sent
    assert [(r.kind, r.target_id) for r in emu.replies] == [("comment", comment)]


async def test_private_reply_needs_a_comment(emu: FacebookEmulator, make_connector: Build) -> None:
    async with make_connector() as conn:
        result = await conn.send(_reply(conn, "link", None, private=True))
    assert result.drop_reason == "private_reply_needs_comment"


async def test_length_limit_uses_the_short_form(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector() as conn:
        max_chars = conn.limits.max_chars
        long_reply = Reply(
            platform="facebook",
            channel=conn.channel,
            text="x" * (max_chars + 1),
            key="k",
            short="ok",
        )
        assert (await conn.send(long_reply)).sent
        too_long = Reply(
            platform="facebook", channel=conn.channel, text="y" * (max_chars + 1), key="k2"
        )
        result = await conn.send(too_long)
    assert result.drop_reason == "too_long"
    assert [r.text for r in emu.replies] == ["ok"]


async def test_pacing_never_exceeds_the_declared_limit(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    async with make_connector() as conn:
        limit = conn.limits.max_messages
        for i in range(limit):
            assert (await conn.send(_reply(conn, f"msg {i}"))).sent
        with pytest.raises(RateLimited) as caught:
            await conn.send(_reply(conn, "one too many"))
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    assert len(emu.replies) == limit


async def test_private_replies_have_their_own_pace(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    comments = [emu.inject_message(f"SOLD {i}", author_id=f"u{i}") for i in range(4)]
    async with make_connector(replies_per_minute=1, private_replies_per_second=3) as conn:
        assert conn.limits.private_lane is not None
        assert (conn.limits.max_messages, conn.limits.private_lane.max_messages) == (1, 3)
        assert (await conn.send(_reply(conn, "public one"))).sent
        with pytest.raises(RateLimited):  # the public pace is spent for a minute ...
            await conn.send(_reply(conn, "public two"))
        for comment in comments[:3]:  # ... and private replies still go, 3 a second
            assert (await conn.send(_reply(conn, f"link {comment}", comment, private=True))).sent
        with pytest.raises(RateLimited) as caught:
            await conn.send(_reply(conn, "link 4", comments[3], private=True))
    assert caught.value.retry_after is not None and caught.value.retry_after <= 1.0
    assert [r.kind for r in emu.replies] == ["comment", "private", "private", "private"]


async def test_no_live_video(make_connector: Build, emu: FacebookEmulator) -> None:
    emu.end_live()
    async with make_connector() as conn:
        assert conn.health.status is Status.STREAM_OFFLINE
        assert await conn.check() == "stream_offline"
        with pytest.raises(StreamOffline):
            async for _ in conn.events():
                pass


async def test_check(emu: FacebookEmulator, make_connector: Build) -> None:
    async with make_connector() as conn:
        assert await conn.check() == "ok"
        emu.fail_next("object", code=190)
        assert await conn.check() == "invalid_auth"


async def test_configured_video_skips_the_lookup(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    emu.fail_next("live_videos", code=100)  # would break a lookup
    async with make_connector(live_video_id=emu.live_video_id, page_id=emu.page_id) as conn:
        assert conn.live_video_id == emu.live_video_id
        assert await conn.check() == "ok"


@pytest.mark.parametrize(
    ("kwargs", "env"),
    [
        ({"graph_url": None}, {"SHOPSTREAM_FACEBOOK_PAGE_TOKEN": "t"}),
        ({}, {}),
    ],
)
async def test_missing_configuration_is_fatal(
    emu: FacebookEmulator, kwargs: dict[str, Any], env: dict[str, str], monkeypatch: Any
) -> None:
    monkeypatch.delenv("SHOPSTREAM_FACEBOOK_PAGE_TOKEN", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings: dict[str, Any] = {"graph_url": emu.graph_url, "streaming_url": emu.streaming_url}
    settings.update(kwargs)
    with pytest.raises(FatalError):
        async with FacebookConnector(FacebookConfig(**settings)):
            pass


async def test_credentials_from_the_environment(emu: FacebookEmulator, monkeypatch: Any) -> None:
    monkeypatch.setenv("SHOPSTREAM_FACEBOOK_PAGE_TOKEN", emu.page_token)
    monkeypatch.setenv("SHOPSTREAM_FACEBOOK_PAGE_ID", emu.page_id)
    config = FacebookConfig(graph_url=emu.graph_url, streaming_url=emu.streaming_url)
    async with FacebookConnector(config) as conn:
        assert conn.channel == emu.page_id
        assert emu.page_token not in repr(conn._credentials)


def _reply(
    conn: FacebookConnector,
    text: str,
    reply_to_id: str | None = None,
    *,
    private: bool = False,
) -> Reply:
    return Reply(
        platform="facebook",
        channel=conn.channel,
        text=text,
        key=f"k:{text}",
        reply_to_id=reply_to_id,
        private=private,
    )


async def test_the_token_never_reaches_the_logs(
    emu: FacebookEmulator, make_connector: Build, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    async with make_connector() as conn:
        reader = Reader(conn, resume=True)
        try:
            await _open_stream(emu)
            comment = emu.inject_message("price?", author_id="u1")
            await reader.wait_for(1)
            await conn.send(_reply(conn, "It is $24", comment))
        finally:
            await reader.stop()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "access_token=***" in text  # the HTTP clients did log the URLs...
    assert emu.page_token not in text  # ...without the token


async def test_use_before_open_is_fatal(make_connector: Build) -> None:
    conn = make_connector()
    with pytest.raises(FatalError):
        await conn.send(_reply(conn, "hi"))
    with pytest.raises(FatalError):
        async for _ in conn.events():
            pass
    assert await conn.check() == "cannot_connect"


async def test_a_reply_sent_before_a_crash_is_found_by_its_text(
    emu: FacebookEmulator, make_connector: Build
) -> None:
    comment = emu.inject_message("SOLD 101 M")
    async with make_connector() as conn:
        sent = await conn.send(_reply(conn, "@Ana your tee is held", comment))
        found = await conn.find_sent(_reply(conn, "@Ana your tee is held", comment))
        missing = await conn.find_sent(_reply(conn, "@Bo your tee is held", comment))
    assert sent.sent and found == sent.platform_message_id  # the outbox marks it sent
    assert missing is None  # Facebook has no such comment: the outbox sends it
