"""The YouTube emulator answers like the real API: shapes, paging, quota, errors, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.youtube import YouTubeEmulator
from sandbox.youtube.schema import validate
from tests.support.clock import FakeClock

AUTH = {"Authorization": "Bearer any-token"}
MESSAGES = "/youtube/v3/liveChat/messages"
PARTS = "id,snippet,authorDetails"

QUOTA_ENVELOPE = {
    "error": {
        "code": 403,
        "message": "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
        "errors": [
            {
                "message": "The request cannot be completed because you have exceeded your "
                '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                "domain": "youtube.quota",
                "reason": "quotaExceeded",
            }
        ],
    }
}


@pytest.fixture
async def http(emu: YouTubeEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emu.base_url, headers=AUTH) as client:
        yield client


async def list_page(
    http: httpx.AsyncClient, emu: YouTubeEmulator, token: str | None = None, **params: Any
) -> httpx.Response:
    query = {"liveChatId": emu.live_chat_id, "part": PARTS, **params}
    if token:
        query["pageToken"] = token
    return await http.get(MESSAGES, params=query)


def texts(body: dict[str, Any]) -> list[str]:
    return [i["snippet"]["textMessageDetails"]["messageText"] for i in body["items"]]


async def test_first_page_backlog_then_token_paging(
    emu: YouTubeEmulator, http: httpx.AsyncClient
) -> None:
    emu.inject_messages({"text": f"m{i}", "author_name": f"v{i}"} for i in range(25))
    first = (await list_page(http, emu)).json()
    assert texts(first) == [f"m{i}" for i in range(5, 25)]  # the last 20 only
    assert first["pollingIntervalMillis"] == 2000
    token = first["nextPageToken"]
    empty = (await list_page(http, emu, token)).json()
    assert empty["items"] == [] and empty["nextPageToken"] == token  # nothing new: same token
    emu.inject_message("new one", author_name="Zed")
    nxt = (await list_page(http, emu, token)).json()
    assert texts(nxt) == ["new one"]
    assert nxt["nextPageToken"] != token
    assert "offlineAt" not in nxt


async def test_max_results_pages_through_a_burst(
    emu: YouTubeEmulator, http: httpx.AsyncClient
) -> None:
    token = (await list_page(http, emu)).json()["nextPageToken"]
    emu.inject_messages({"text": f"b{i}"} for i in range(450))
    page1 = (await list_page(http, emu, token, maxResults=200)).json()
    page2 = (await list_page(http, emu, page1["nextPageToken"], maxResults=200)).json()
    page3 = (await list_page(http, emu, page2["nextPageToken"], maxResults=200)).json()
    assert [len(p["items"]) for p in (page1, page2, page3)] == [200, 200, 50]
    assert texts(page3)[-1] == "b449"


@pytest.mark.parametrize("token", ["GParbitrary", "nonsense", "GP" + "A" * 18])
async def test_foreign_page_tokens_are_refused(
    emu: YouTubeEmulator, http: httpx.AsyncClient, token: str
) -> None:
    response = await list_page(http, emu, token)
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["reason"] == "invalidPageToken"


async def test_parts_filter_the_resource(emu: YouTubeEmulator, http: httpx.AsyncClient) -> None:
    emu.inject_message("hi")
    item = (await list_page(http, emu, part="id,snippet")).json()["items"][0]
    assert "snippet" in item and "authorDetails" not in item


async def test_quota_meter_and_exact_envelope(clock: FakeClock) -> None:
    async with (
        YouTubeEmulator(clock=clock, daily_quota=12) as emu,
        httpx.AsyncClient(base_url=emu.base_url, headers=AUTH) as http,
    ):
        assert (await list_page(http, emu)).status_code == 200
        assert (await list_page(http, emu)).status_code == 200
        over = await list_page(http, emu)
        assert over.status_code == 403
        assert over.json() == QUOTA_ENVELOPE
        assert emu.quota_used == 10
        emu.reset_quota()
        assert (await list_page(http, emu)).status_code == 200
        assert emu.quota_used == 5


async def test_insert_validates_and_echoes_as_owner(
    emu: YouTubeEmulator, http: httpx.AsyncClient
) -> None:
    def body(text: str) -> dict[str, Any]:
        return {
            "snippet": {
                "liveChatId": emu.live_chat_id,
                "type": "textMessageEvent",
                "textMessageDetails": {"messageText": text},
            }
        }

    token = (await list_page(http, emu)).json()["nextPageToken"]
    too_long = await http.post(MESSAGES, params={"part": "snippet"}, json=body("x" * 201))
    assert too_long.status_code == 400
    assert too_long.json()["error"]["errors"][0]["reason"] == "messageTextInvalid"
    empty = await http.post(MESSAGES, params={"part": "snippet"}, json=body(""))
    assert empty.json()["error"]["errors"][0]["reason"] == "messageTextRequired"
    no_part = await http.post(MESSAGES, json=body("hi"))
    assert no_part.status_code == 400
    ok = await http.post(MESSAGES, params={"part": "snippet"}, json=body("y" * 200))
    assert ok.status_code == 200
    assert validate(ok.json(), "LiveChatMessage") == []
    echoed = (await list_page(http, emu, token)).json()["items"]
    assert [i["id"] for i in echoed] == [ok.json()["id"]]
    assert echoed[0]["authorDetails"]["isChatOwner"] is True
    assert echoed[0]["authorDetails"]["channelId"] == emu.owner_channel_id
    assert emu.sent == ["y" * 200]
    assert emu.quota_used == 5 * 2 + 20 * 4  # invalid inserts cost too


async def test_delete_and_ban_join_the_feed(emu: YouTubeEmulator, http: httpx.AsyncClient) -> None:
    victim = emu.inject_message("spam", author_name="Spammer", author_id="UCspam")
    token = (await list_page(http, emu)).json()["nextPageToken"]
    deleted = await http.delete(MESSAGES, params={"id": victim})
    assert deleted.status_code == 204
    assert (await http.delete(MESSAGES, params={"id": victim})).status_code == 404
    emu.ban_user("UCspam", duration_seconds=300)
    items = (await list_page(http, emu, token)).json()["items"]
    kinds = [i["snippet"]["type"] for i in items]
    assert kinds == ["messageDeletedEvent", "userBannedEvent"]
    assert items[0]["snippet"]["messageDeletedDetails"]["deletedMessageId"] == victim
    ban = items[1]["snippet"]["userBannedDetails"]
    assert ban == {
        "bannedUserDetails": {
            "channelId": "UCspam",
            "channelUrl": "http://www.youtube.com/channel/UCspam",
            "displayName": "Spammer",
            "profileImageUrl": "https://yt3.ggpht.com/emulator/UCspam/photo.jpg",
        },
        "banType": "temporary",
        "banDurationSeconds": "300",
    }
    assert items[1]["snippet"]["authorChannelId"] == emu.owner_channel_id  # the moderator
    fresh = (await list_page(http, emu)).json()
    assert victim not in [i["id"] for i in fresh["items"]]


async def test_chat_end_sequence(emu: YouTubeEmulator, http: httpx.AsyncClient) -> None:
    token = (await list_page(http, emu)).json()["nextPageToken"]
    video = await http.get(
        "/youtube/v3/videos", params={"part": "liveStreamingDetails", "id": emu.video_id}
    )
    assert video.json()["items"][0]["liveStreamingDetails"]["activeLiveChatId"] == emu.live_chat_id
    emu.end_chat()
    last = (await list_page(http, emu, token)).json()
    (ended,) = last["items"]
    assert ended["snippet"]["type"] == "chatEndedEvent"
    assert "displayMessage" not in ended["snippet"]
    assert ended["snippet"]["hasDisplayContent"] is False
    assert "offlineAt" in last
    after = await list_page(http, emu, last["nextPageToken"])
    assert after.status_code == 403
    assert after.json()["error"]["errors"][0]["reason"] == "liveChatEnded"
    details = (
        await http.get(
            "/youtube/v3/videos", params={"part": "liveStreamingDetails", "id": emu.video_id}
        )
    ).json()["items"][0]["liveStreamingDetails"]
    assert "activeLiveChatId" not in details and "actualEndTime" in details


async def test_broadcast_type_defaults_to_event(
    emu: YouTubeEmulator, http: httpx.AsyncClient
) -> None:
    path = "/youtube/v3/liveBroadcasts"
    hidden = await http.get(path, params={"part": "id,snippet", "broadcastStatus": "active"})
    assert hidden.json()["items"] == []  # the persistent "Stream now" broadcast is hidden
    shown = await http.get(
        path,
        params={"part": "id,snippet,status", "broadcastStatus": "active", "broadcastType": "all"},
    )
    (item,) = shown.json()["items"]
    assert item["snippet"]["liveChatId"] == emu.live_chat_id
    assert item["status"]["lifeCycleStatus"] == "live"
    assert validate(shown.json(), "LiveBroadcastListResponse") == []
    missing = await http.get(path, params={"part": "id"})
    assert missing.status_code == 400


async def test_oauth_refresh_and_revocation(emu: YouTubeEmulator) -> None:
    client_id, secret, refresh = emu.oauth_client
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": secret,
        "refresh_token": refresh,
    }
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        anonymous = await http.get(MESSAGES, params={"liveChatId": emu.live_chat_id, "part": PARTS})
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["errors"][0]["reason"] == "authError"
        emu.expire_access_tokens()
        old = await http.get(
            MESSAGES, params={"liveChatId": emu.live_chat_id, "part": PARTS}, headers=AUTH
        )
        assert old.status_code == 401
        granted = (await http.post("/token", data=form)).json()
        assert granted["token_type"] == "Bearer" and granted["expires_in"] > 0
        fresh = {"Authorization": f"Bearer {granted['access_token']}"}
        ok = await http.get(
            MESSAGES, params={"liveChatId": emu.live_chat_id, "part": PARTS}, headers=fresh
        )
        assert ok.status_code == 200
        bad_client = await http.post("/token", data={**form, "client_secret": "nope"})
        assert bad_client.status_code == 401
        emu.revoke_refresh_token()
        revoked = await http.post("/token", data=form)
        assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"


async def test_strict_polling_answers_rate_limit(clock: FakeClock) -> None:
    async with (
        YouTubeEmulator(clock=clock, strict_polling=True, polling_interval_ms=3000) as emu,
        httpx.AsyncClient(base_url=emu.base_url, headers=AUTH) as http,
    ):
        token = (await list_page(http, emu)).json()["nextPageToken"]
        clock.advance(1)
        early = await list_page(http, emu, token)
        assert early.status_code == 403
        assert early.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
        clock.advance(3)
        assert (await list_page(http, emu, token)).status_code == 200


@pytest.mark.parametrize(
    ("route", "reason", "status"),
    [
        ("list", "backendError", 503),
        ("list", "liveChatDisabled", 403),
        ("insert", "forbidden", 403),
    ],
)
async def test_injected_faults_use_real_envelopes(
    emu: YouTubeEmulator, http: httpx.AsyncClient, route: str, reason: str, status: int
) -> None:
    emu.fail_next(route, reason)
    if route == "list":
        response = await list_page(http, emu)
    else:
        response = await http.post(MESSAGES, params={"part": "snippet"}, json={})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == status and error["errors"][0]["reason"] == reason
    assert (await list_page(http, emu)).status_code == 200  # only the next call fails


async def test_every_event_kind_matches_the_discovery_schema(
    emu: YouTubeEmulator, http: httpx.AsyncClient
) -> None:
    victim = emu.inject_message("hello", author_name="Ana", moderator=True, member=True)
    emu.inject_super_chat("!buy 101", author_name="Bo", amount_micros=200_000_000, currency="JPY")
    emu.delete_message(victim)
    emu.ban_user(emu.state.chat.author("Troll").channel_id)
    emu.ban_user(emu.state.chat.author("Spam").channel_id, duration_seconds=60)
    emu.end_chat()
    page = (await list_page(http, emu)).json()
    kinds = {i["snippet"]["type"] for i in page["items"]}
    assert kinds == {
        "superChatEvent",
        "messageDeletedEvent",
        "userBannedEvent",
        "chatEndedEvent",
    }
    assert validate(page, "LiveChatMessageListResponse") == []
    video = await http.get(
        "/youtube/v3/videos", params={"part": "liveStreamingDetails,snippet", "id": emu.video_id}
    )
    assert validate(video.json(), "VideoListResponse") == []
    error = await list_page(http, emu, page["nextPageToken"])
    assert error.status_code == 403


def test_the_validator_catches_wrong_shapes() -> None:
    page = {
        "kind": "youtube#liveChatMessageListResponse",
        "pollingIntervalMillis": "2000",
        "items": [
            {
                "id": "x",
                "snippet": {
                    "type": "textMsg",
                    "publishedAt": "noon",
                    "superChatDetails": {"amountMicros": 5},
                },
                "authorDetails": {"isChatOwner": "yes", "nickname": "x"},
            }
        ],
    }
    errors = validate(page, "LiveChatMessageListResponse")
    assert len(errors) == 6, errors


async def test_stream_list_answers_one_json_page(
    emu: YouTubeEmulator, http: httpx.AsyncClient
) -> None:
    emu.inject_message("streamed")
    page = await http.get(
        MESSAGES + "/stream", params={"liveChatId": emu.live_chat_id, "part": PARTS}
    )
    assert texts(page.json()) == ["streamed"]
    assert validate(page.json(), "LiveChatMessageListResponse") == []
