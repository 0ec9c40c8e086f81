"""The emulator speaks Graph: routes with and without a version, real shapes, limits, errors."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.facebook.sse import SseParser
from sandbox.facebook import FacebookEmulator
from sandbox.facebook.fields import parse_fields, project

GRAPH_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


async def _get(emu: FacebookEmulator, path: str, **params: Any) -> httpx.Response:
    params.setdefault("access_token", emu.page_token)
    async with httpx.AsyncClient(base_url=emu.graph_url) as client:
        return await client.get(path, params=params)


async def _post(emu: FacebookEmulator, path: str, **data: Any) -> httpx.Response:
    data.setdefault("access_token", emu.page_token)
    async with httpx.AsyncClient(base_url=emu.graph_url) as client:
        return await client.post(path, data=data)


@pytest.mark.parametrize(
    ("prefix", "served"),
    [("", "v26.0"), ("v26.0/", "v26.0"), ("v3.1/", "v21.0"), ("v99.0/", "v26.0")],
)
async def test_routes_with_and_without_version(
    emu: FacebookEmulator, prefix: str, served: str
) -> None:
    response = await _get(emu, f"{prefix}{emu.page_id}/live_videos", broadcast_status='["LIVE"]')
    assert response.status_code == 200
    assert response.headers["facebook-api-version"] == served
    [video] = response.json()["data"]
    assert video["id"] == emu.live_video_id and video["status"] == "LIVE"
    assert video["video"] == {"id": emu.video_id}


async def test_comments_shape_ids_and_timestamps(emu: FacebookEmulator) -> None:
    ids = [emu.inject_message(f"comment number {i}", author_id=f"u{i}") for i in range(3)]
    body = (await _get(emu, f"v26.0/{emu.live_video_id}/comments", filter="stream")).json()
    assert [c["id"] for c in body["data"]] == ids
    for comment in body["data"]:
        assert isinstance(comment["id"], str)
        assert re.match(rf"^{emu.video_id}_\d+$", comment["id"])
        assert GRAPH_TIME.match(comment["created_time"])
        assert set(comment) == {"created_time", "from", "message", "id"}  # default fields
    assert "next" not in body["paging"]


async def test_from_is_stripped_unless_page_token(emu: FacebookEmulator) -> None:
    emu.inject_message("hello there friend", author_id="u1", author_name="Ana")
    as_page = (await _get(emu, f"{emu.live_video_id}/comments")).json()["data"][0]
    as_user = (
        await _get(emu, f"{emu.live_video_id}/comments", access_token=emu.user_token)
    ).json()["data"][0]
    assert as_page["from"] == {"name": "Ana", "id": "u1"}
    assert "from" not in as_user


async def test_bad_token_is_190(emu: FacebookEmulator) -> None:
    response = await _get(emu, f"{emu.live_video_id}/comments", access_token="nope")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 190 and error["type"] == "OAuthException" and "fbtrace_id" in error


async def test_filter_order_since_limit_and_cursors(emu: FacebookEmulator) -> None:
    start = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    top = [
        emu.inject_message(f"top level {i}", created=start + timedelta(seconds=i)) for i in range(5)
    ]
    reply = emu.inject_message(
        "a reply here", parent_id=top[0], created=start + timedelta(seconds=10)
    )
    short = emu.inject_message("sold 2", created=start + timedelta(seconds=11))
    path = f"{emu.live_video_id}/comments"

    toplevel = (await _get(emu, path)).json()["data"]
    assert [c["id"] for c in toplevel] == top  # default: toplevel + low-quality filter

    stream = (await _get(emu, path, filter="stream", live_filter="no_filter")).json()["data"]
    assert [c["id"] for c in stream] == [*top, reply, short]

    reverse = (
        await _get(
            emu, path, filter="stream", live_filter="no_filter", order="reverse_chronological"
        )
    ).json()["data"]
    assert [c["id"] for c in reverse] == [short, reply, *reversed(top)]

    since = int((start + timedelta(seconds=3)).timestamp())
    recent = (
        await _get(emu, path, filter="stream", live_filter="no_filter", since=str(since))
    ).json()["data"]
    assert [c["id"] for c in recent] == [top[3], top[4], reply, short]

    seen: list[str] = []
    params: dict[str, Any] = {"filter": "stream", "live_filter": "no_filter", "limit": "3"}
    while True:
        page = (await _get(emu, path, **params)).json()
        seen += [c["id"] for c in page["data"]]
        if "next" not in page["paging"]:
            break
        assert page["paging"]["next"].startswith(emu.graph_url + "v26.0/")
        params["after"] = page["paging"]["cursors"]["after"]
    assert seen == [*top, reply, short]

    summary = (await _get(emu, path, summary="true")).json()["summary"]
    assert summary == {"order": "chronological", "total_count": 5, "can_comment": True}


async def test_fields_projection(emu: FacebookEmulator) -> None:
    parent = emu.inject_message("first comment here", author_id="u1", author_name="Ana")
    emu.inject_message("second comment", author_id="u2", author_name="Bo", parent_id=parent)
    body = (
        await _get(
            emu,
            f"{emu.live_video_id}/comments",
            filter="stream",
            fields="id,message,from{id},parent{id}",
        )
    ).json()
    assert body["data"][1]["from"] == {"id": "u2"}
    assert body["data"][1]["parent"] == {"id": parent}
    assert "created_time" not in body["data"][0]


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("id,message", {"id": None, "message": None}),
        ("from{id,name},parent{id}", {"from": {"id": None, "name": None}, "parent": {"id": None}}),
        ("a{b{c}}", {"a": {"b": {"c": None}}}),
        ("{x}", {}),
        ("", {}),
    ],
)
def test_parse_fields(text: str, spec: dict[str, Any]) -> None:
    assert parse_fields(text) == spec


def test_project_keeps_id() -> None:
    assert project({"id": "1", "message": "m", "x": 2}, {"message": None}) == {
        "message": "m",
        "id": "1",
    }


async def test_public_reply_and_duplicate(emu: FacebookEmulator) -> None:
    comment = emu.inject_message("price please?")
    first = await _post(emu, f"v26.0/{comment}/comments", message="It is $24")
    assert first.status_code == 200 and first.json()["id"].startswith(emu.video_id + "_")
    again = await _post(emu, f"v26.0/{comment}/comments", message="It is $24")
    assert again.json()["error"]["code"] == 506
    as_user = await _post(emu, f"{comment}/comments", message="x", access_token=emu.user_token)
    assert as_user.json()["error"]["code"] == 200
    [reply] = emu.replies
    assert (reply.kind, reply.target_id, reply.text) == ("comment", comment, "It is $24")


async def test_private_reply_once_per_comment_and_within_seven_days(emu: FacebookEmulator) -> None:
    comment = emu.inject_message("SOLD 101 M", author_id=None, author_name=None)
    body = {
        "recipient": json.dumps({"comment_id": comment}),
        "message": json.dumps({"text": "Your link: https://shop.example/c/1"}),
        "messaging_type": "RESPONSE",
    }
    first = await _post(emu, f"v26.0/{emu.page_id}/messages", **body)
    assert first.status_code == 200 and first.json()["message_id"].startswith("m_")
    second = await _post(emu, f"v26.0/{emu.page_id}/messages", **body)
    assert second.json()["error"]["code"] == 10900
    old = emu.inject_message(
        "SOLD old", created=datetime.now(UTC) - timedelta(days=8), author_id="u9"
    )
    late = await _post(
        emu, f"{emu.page_id}/messages", **{**body, "recipient": json.dumps({"comment_id": old})}
    )
    assert (late.json()["error"]["code"], late.json()["error"]["error_subcode"]) == (10, 2018278)
    async with httpx.AsyncClient(base_url=emu.graph_url) as client:  # JSON bodies work too
        other = emu.inject_message("SOLD 102 L")
        as_json = await client.post(
            f"v26.0/{emu.page_id}/messages",
            params={"access_token": emu.page_token},
            json={"recipient": {"comment_id": other}, "message": {"text": "link"}},
        )
    assert as_json.status_code == 200
    assert [r.kind for r in emu.replies] == ["private", "private"]


async def test_injected_errors_carry_usage_headers(emu: FacebookEmulator) -> None:
    emu.fail_next("comments", code=80001, regain_minutes=7)
    failed = await _get(emu, f"{emu.live_video_id}/comments")
    assert failed.json()["error"]["code"] == 80001
    buc = json.loads(failed.headers["x-business-use-case-usage"])
    assert buc[emu.page_id][0]["estimated_time_to_regain_access"] == 7
    ok = await _get(emu, f"{emu.live_video_id}/comments")
    assert ok.status_code == 200
    assert json.loads(ok.headers["x-app-usage"])["call_count"] == 0


async def test_usage_enforcement(emu: FacebookEmulator) -> None:
    emu.limit_usage(3, regain_minutes=2)
    codes = []
    for _ in range(4):
        response = await _get(emu, f"{emu.live_video_id}/comments")
        codes.append(response.json()["error"]["code"] if response.status_code != 200 else 0)
    assert codes == [0, 0, 0, 80001]
    assert (
        json.loads(response.headers["x-business-use-case-usage"])[emu.page_id][0][
            "estimated_time_to_regain_access"
        ]
        == 2
    )
    # user tokens spend the app's budget (Platform limits), apart from the Page's
    user = [await _get(emu, "me", access_token=emu.user_token) for _ in range(4)]
    assert [r.status_code for r in user] == [200, 200, 200, 400]
    assert user[-1].json()["error"]["code"] == 4


async def test_raw_failure(emu: FacebookEmulator) -> None:
    emu.fail_raw("any", status=502, body="<html>Bad Gateway</html>")
    response = await _get(emu, "me")
    assert response.status_code == 502 and response.text.startswith("<html>")


def test_unknown_fault_route_is_refused() -> None:
    with pytest.raises(ValueError):
        FacebookEmulator().fail_next("nowhere", code=4)


async def _read_stream(
    emu: FacebookEmulator, rate: str, token: str | None = None, until_events: int = 0
) -> tuple[list[dict[str, Any]], SseParser]:
    parser = SseParser()
    events: list[dict[str, Any]] = []
    params = {"access_token": token or emu.page_token, "comment_rate": rate}
    async with (
        httpx.AsyncClient(base_url=emu.streaming_url) as client,
        client.stream("GET", f"{emu.live_video_id}/live_comments", params=params) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        async for chunk in response.aiter_bytes():
            events += [json.loads(e.data) for e in parser.feed(chunk)]
    return events, parser


async def test_sse_drops_comments_over_comment_rate(emu: FacebookEmulator) -> None:
    reader = asyncio.create_task(_read_stream(emu, "ten_per_second"))
    async with asyncio.timeout(5):
        await emu.hub.wait_streams(1)
    ids = emu.inject_many([(f"buy {i}", f"u{i}", f"Viewer {i}") for i in range(50)])
    emu.disconnect_streams()
    events, _ = await reader
    assert [e["id"] for e in events] == ids[:10]  # the burst landed inside one second
    assert events[0]["from"] == {"name": "Viewer 0", "id": "u0"}
    assert emu.hub.dropped == 40


async def test_sse_strips_from_for_user_tokens(emu: FacebookEmulator) -> None:
    reader = asyncio.create_task(_read_stream(emu, "one_hundred_per_second", emu.user_token))
    async with asyncio.timeout(5):
        await emu.hub.wait_streams(1)
    comment_id = emu.inject_message("hello", author_id="u1", author_name="Ana")
    emu.end_live()  # queued behind the comment: the stream ends after delivering it
    events, _ = await reader
    assert events == [{"message": "hello", "id": comment_id}]


async def test_sse_sends_keepalive_comments(emu: FacebookEmulator) -> None:
    parser = SseParser()
    params = {"access_token": emu.page_token, "comment_rate": "ten_per_second"}
    async with (
        asyncio.timeout(5),
        httpx.AsyncClient(base_url=emu.streaming_url) as client,
        client.stream("GET", f"{emu.live_video_id}/live_comments", params=params) as response,
    ):
        async for chunk in response.aiter_bytes():
            assert parser.feed(chunk) == []
            if parser.comments >= 2:
                break
    assert parser.comments >= 2


async def test_sse_ends_at_once_when_not_live(emu: FacebookEmulator) -> None:
    emu.end_live()
    events, _ = await _read_stream(emu, "ten_per_second")
    assert events == []


async def test_sse_refuses_bad_rate(emu: FacebookEmulator) -> None:
    async with httpx.AsyncClient(base_url=emu.streaming_url) as client:
        response = await client.get(
            f"{emu.live_video_id}/live_comments",
            params={"access_token": emu.page_token, "comment_rate": "fast"},
        )
    assert response.status_code == 400 and response.json()["error"]["code"] == 100


async def test_deleted_comment_disappears(emu: FacebookEmulator) -> None:
    keep = emu.inject_message("keep this one")
    gone = emu.inject_message("delete this one")
    emu.delete_comment(gone)
    data = (await _get(emu, f"{emu.live_video_id}/comments")).json()["data"]
    assert [c["id"] for c in data] == [keep]
    assert (await _get(emu, gone)).json()["error"]["code"] == 100


async def test_replies_edge_and_delete(emu: FacebookEmulator) -> None:
    top = emu.inject_message("first comment here")
    reply = emu.inject_message("a reply to it", parent_id=top)
    nested = emu.inject_message("a reply to the reply", parent_id=reply)
    replies = (await _get(emu, f"v26.0/{top}/comments")).json()["data"]
    assert [c["id"] for c in replies] == [reply, nested]  # one level: attached to the top
    async with httpx.AsyncClient(base_url=emu.graph_url) as client:
        as_user = await client.delete(f"v26.0/{reply}", params={"access_token": emu.user_token})
        deleted = await client.delete(f"v26.0/{reply}", params={"access_token": emu.page_token})
    assert as_user.json()["error"]["code"] == 200
    assert deleted.json() == {"success": True}
    assert [c["id"] for c in (await _get(emu, f"{top}/comments")).json()["data"]] == [nested]
