"""The emulator enforces Graph's documented budgets (sandbox/facebook/usage.py): the Page's
Business Use Case budget over 24 h, the app's Platform budget over an hour, Messenger's 24 h
budget and the Send API's 300 a second."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from connectors.errors import RateLimited
from connectors.facebook.graph_errors import RATE_LIMIT_CODES, classify
from sandbox.facebook import FacebookEmulator
from sandbox.facebook.usage import SEND_API_PER_SECOND, Bucket, UsageMeter, bucket_of
from tests.support.clock import T0, FakeClock


@pytest.mark.parametrize(
    ("bucket", "engaged", "users", "budget"),
    [
        ("pages", 1, 1, 4800),  # 4800 * engaged users a day (Pages BUC)
        ("pages", 25, 1, 120_000),
        ("messenger", 25, 1, 5000),  # 200 * engaged users a day (Messenger API)
        ("platform", 1, 7, 1400),  # 200 * users an hour (Platform)
    ],
)
def test_budgets_follow_the_documented_formulas(
    bucket: str, engaged: int, users: int, budget: int
) -> None:
    assert UsageMeter(engaged_users=engaged, app_users=users).budget(bucket) == budget


@pytest.mark.parametrize(
    ("route", "token", "bucket"),
    [
        ("comments", "page", "pages"),
        ("reply", "page", "pages"),
        ("live_comments", "page", "pages"),
        ("private_reply", "page", "messenger"),
        ("comments", "user", "platform"),
        ("private_reply", "user", "platform"),
    ],
)
def test_which_budget_a_call_spends(route: str, token: str, bucket: str) -> None:
    assert bucket_of(route, token) == bucket


def test_the_window_rolls_and_refused_calls_count() -> None:
    bucket = Bucket(timedelta(hours=24), budget=2)
    assert [bucket.charge(T0), bucket.charge(T0 + timedelta(hours=1))] == [True, True]
    assert bucket.charge(T0 + timedelta(hours=2)) is False  # refused, and counted
    assert bucket.percent(T0 + timedelta(hours=2)) == 150
    # the first call leaves the window at 24 h; the refused one still counts until 26 h
    assert bucket.regain_minutes(T0 + timedelta(hours=2)) == 23 * 60
    assert bucket.charge(T0 + timedelta(hours=24)) is False
    assert bucket.charge(T0 + timedelta(hours=26, minutes=1)) is True


def test_send_api_takes_300_a_second() -> None:
    meter = UsageMeter(engaged_users=10)  # 2,000 Messenger calls a day: not the limit here
    refusals = [meter.charge("private_reply", "page", T0) for _ in range(SEND_API_PER_SECOND + 1)]
    assert refusals[:-1] == [None] * SEND_API_PER_SECOND
    assert refusals[-1] is not None and refusals[-1].code == 613
    assert meter.charge("private_reply", "page", T0 + timedelta(seconds=1)) is None
    assert meter.charge("comments", "page", T0) is None  # the Pages budget is another one


def test_messenger_budget_is_its_own() -> None:
    meter = UsageMeter(engaged_users=1)  # 200 Messenger calls, 4,800 Pages calls a day
    at = [T0 + timedelta(seconds=i) for i in range(201)]
    refusals = [meter.charge("private_reply", "page", t) for t in at]
    assert refusals[:200] == [None] * 200
    assert refusals[200] is not None and refusals[200].code == 80006
    assert meter.charge("comments", "page", at[-1]) is None


@pytest.mark.parametrize("code", [613, 80001, 80006, 4])
def test_every_refusal_code_is_a_rate_limit_for_the_connector(code: int) -> None:
    assert code in RATE_LIMIT_CODES
    envelope = {"error": {"code": code, "message": "limit"}}
    assert isinstance(classify(400, envelope, {}, default_wait=60.0), RateLimited)


async def _get(emu: FacebookEmulator, path: str, **params: Any) -> httpx.Response:
    params.setdefault("access_token", emu.page_token)
    async with httpx.AsyncClient(base_url=emu.graph_url) as client:
        return await client.get(path, params=params)


async def test_page_budget_over_http_with_the_time_to_regain_access() -> None:
    clock = FakeClock()
    async with FacebookEmulator(clock=clock, keepalive_seconds=None) as emu:
        emu.limit_usage(4)
        answers = []
        for _ in range(5):
            answers.append(await _get(emu, f"{emu.live_video_id}/comments"))
            clock.advance(600)  # ten minutes apart
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 400]
        usage = [
            json.loads(a.headers["x-business-use-case-usage"])[emu.page_id][0] for a in answers
        ]
        assert [u["call_count"] for u in usage] == [25, 50, 75, 100, 125]
        assert all(u["type"] == "pages" for u in usage)
        assert answers[-1].json()["error"]["code"] == 80001
        # five calls counted (the refused one too): one more fits once two have left the
        # window, the second (at 10 min) 24 h after it was made, 23 h 30 min after the refusal
        assert usage[-1]["estimated_time_to_regain_access"] == 23 * 60 + 30
        clock.advance(24 * 3600)
        assert (await _get(emu, f"{emu.live_video_id}/comments")).status_code == 200


async def test_private_replies_report_messenger_usage() -> None:
    async with FacebookEmulator(keepalive_seconds=None, engaged_users=1) as emu:
        comment = emu.inject_message("sold 201", author_id="u1")
        async with httpx.AsyncClient(base_url=emu.graph_url) as client:
            answer = await client.post(
                f"v26.0/{emu.page_id}/messages",
                data={
                    "access_token": emu.page_token,
                    "recipient": json.dumps({"comment_id": comment}),
                    "message": json.dumps({"text": "your link"}),
                },
            )
        assert answer.status_code == 200
        entry = json.loads(answer.headers["x-business-use-case-usage"])[emu.page_id][0]
        assert entry["type"] == "messenger"
        assert entry["call_count"] == 0  # 1 of 200 (integer percent)
