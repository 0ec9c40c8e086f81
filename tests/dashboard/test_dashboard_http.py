"""The dashboard over HTTP during a sandbox show: access, CSRF, replays, escaping, controls."""

from __future__ import annotations

import html
import json
import re

import httpx

from tests.dashboard.live_show import HOST_TOKEN, OVERLAY_TOKEN, LiveShow


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf" content="([^"]+)">', page)
    assert found, page[:500]
    return found.group(1)


async def signed_in(client: httpx.AsyncClient) -> str:
    r = await client.post("/login", data={"token": HOST_TOKEN})
    assert r.status_code == 303
    page = await client.get("/")
    assert page.status_code == 200 and "Show control" in page.text
    return csrf_of(page.text)


def audit(show: LiveShow, kind: str) -> list[dict[str, object]]:
    return [
        {"actor": e.actor, "platform": e.platform, "subject": e.subject, **json.loads(e.detail)}
        for e in show.core.records.audit_entries(kind)
    ]


async def test_without_signing_in_nothing_is_shown_or_done(show: LiveShow) -> None:
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        page = await client.get("/")
        state = await client.get("/dashboard/state")
        events = await client.get("/dashboard/events")
        pause = await client.post("/dashboard/control/pause", data={"csrf": "x"})
        wrong = await client.post("/login", data={"token": "guess"})
        overlay_as_host = await client.post("/login", data={"token": OVERLAY_TOKEN})
    assert page.status_code == 200 and "Sign in" in page.text and "Show control" not in page.text
    assert (state.status_code, events.status_code, pause.status_code) == (401, 401, 401)
    assert wrong.status_code == 401 and overlay_as_host.status_code == 401
    assert not show.core.control.state.paused
    assert [a["how"] for a in audit(show, "dashboard_login_refused")] == ["token", "token"]
    assert [a["reason"] for a in audit(show, "dashboard_action_refused")] == ["not_signed_in"]


async def test_a_login_link_signs_in_once_with_a_strict_http_only_cookie(show: LiveShow) -> None:
    link = show.runner.login_url()
    async with httpx.AsyncClient() as client:
        first = await client.get(link)
        again = await client.get(link)
    cookie = first.headers["set-cookie"].lower()
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert again.status_code == 403


async def test_forged_missing_and_replayed_actions_are_refused_and_audited(
    show: LiveShow,
) -> None:
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        csrf = await signed_in(client)
        missing = await client.post("/dashboard/control/pause")
        forged = await client.post("/dashboard/control/pause", data={"csrf": "forged"})
        assert (missing.status_code, forged.status_code) == (403, 403)
        assert not show.core.control.state.paused
        done = await client.post("/dashboard/control/pause", data={"csrf": csrf})
        assert done.status_code == 200 and show.core.control.state.paused
        await client.post("/dashboard/control/resume", data={"csrf": done.json()["csrf"]})
        replayed = await client.post("/dashboard/control/pause", data={"csrf": csrf})
    assert replayed.status_code == 403 and "already" in replayed.json()["message"]
    assert not show.core.control.state.paused  # the replay changed nothing
    reasons = [a["reason"] for a in audit(show, "dashboard_action_refused")]
    assert reasons == ["missing", "forged", "replayed"]


async def test_a_button_takes_the_chat_commands_path_and_reaches_the_chat(show: LiveShow) -> None:
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        csrf = await signed_in(client)
        r = await client.post("/dashboard/control/feature", data={"csrf": csrf, "code": "201"})
        assert r.status_code == 200 and r.json()["message"] == "Featured 201."
        csrf = r.json()["csrf"]
        r = await client.post(
            "/dashboard/control/drop",
            data={"csrf": csrf, "code": "201", "qty": "5", "cap": "2", "seconds": "60"},
        )
        assert r.status_code == 200, r.text
    said = await show.until(lambda: len(show.bot_said()) >= 2 and show.bot_said())
    assert any("Glow Serum" in t for t in said)
    drop = show.core.control.state.drop_for("201")
    assert drop is not None and (drop.total, drop.cap) == (5, 2)
    commands = audit(show, "mod_command")
    assert [(c["platform"], c["actor"], c["subject"]) for c in commands] == [
        ("dashboard", "dashboard", "!feature 201"),
        ("dashboard", "dashboard", "!drop 201 5 2"),
    ]
    shown = show.runner.dashboard.show_seen()
    assert shown.drops[0].ends_at is not None  # the countdown


async def test_a_drop_with_a_countdown_closes_when_it_runs_out(show: LiveShow) -> None:
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        csrf = await signed_in(client)
        r = await client.post(
            "/dashboard/control/drop",
            data={"csrf": csrf, "code": "301", "qty": "2", "seconds": "1"},
        )
        assert r.status_code == 200, r.text
    await show.until(lambda: show.core.control.state.drop_for("301") is None)
    said = await show.until(lambda: len(show.bot_said()) >= 2 and show.bot_said())
    assert "Canvas Tote" in said[0]
    closing = audit(show, "mod_command")[-1]
    assert (closing["actor"], closing["subject"]) == ("dashboard timer", "!close 301")


BAD_VALUES = [
    ("drop", {"code": "201", "qty": "-1"}, "at least 1"),
    ("drop", {"code": "201", "qty": "3", "cap": "5"}, "more than the drop's 3 units"),
    ("drop", {"code": "201", "qty": "26"}, "Only 25 of 201"),
    ("drop", {"code": "999", "qty": "3"}, "no product '999'"),
    ("feature", {"code": "<b>nope</b>"}, "no product"),
    ("close_drop", {"code": "101"}, "no open drop"),
    ("explode", {}, "not a show control"),
]


async def test_bad_values_are_refused_with_a_message_and_change_nothing(show: LiveShow) -> None:
    before = show.core.control.state
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        csrf = await signed_in(client)
        for action, fields, message in BAD_VALUES:
            r = await client.post(f"/dashboard/control/{action}", data={"csrf": csrf, **fields})
            assert r.status_code == 400 and message in r.json()["message"], (action, r.text)
            csrf = r.json()["csrf"]
    assert show.core.control.state is before
    assert audit(show, "mod_command") == []
    assert len(audit(show, "dashboard_refused")) == len(BAD_VALUES)
    assert show.bot_said() == []


async def test_viewer_names_and_chat_are_data_never_markup(show: LiveShow) -> None:
    show.viewer_says("!buy 201", name="<script>alert(1)</script>")
    await show.until(lambda: show.runner.hub.snapshot()["claims"])
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        await signed_in(client)
        page = (await client.get("/")).text
        state = (await client.get("/dashboard/state")).json()
    assert "<script>alert" not in page and "\\u003cscript\\u003e" in page
    claim = state["claims"][0]
    assert (claim["viewer"], claim["product"], claim["outcome"]) == (
        "<script>alert(1)</script>",
        "Glow Serum",
        "held",
    )
    chat = state["chat"][0]
    assert chat["understood"] == "buy" and chat["outcome"] == "held"


async def test_no_response_carries_a_token_a_page_id_or_a_buyers_link(show: LiveShow) -> None:
    show.viewer_says("!buy 201", name="Grace")
    said = await show.until(lambda: show.bot_said())
    link = re.search(r"https?://\S+/l/\S+", said[0])
    assert link, said
    await show.until(lambda: show.runner.hub.snapshot()["claims"])
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        await signed_in(client)
        page = (await client.get("/")).text
        state = (await client.get("/dashboard/state")).text
        status = (await client.get("/status")).json()
    channel = show.runner.connectors[0].channel  # type: ignore[attr-defined]
    assert status["connectors"][0]["name"] == "twitch"
    assert channel not in repr(status) and channel not in page and channel not in state
    code = link.group(0).rsplit("/", 1)[1]
    for body in (page.replace(OVERLAY_TOKEN, ""), state):
        assert HOST_TOKEN not in body and code not in body and "/l/" not in body
    assert OVERLAY_TOKEN not in state  # only the host's page shows the overlay's link


async def test_an_unpaid_hold_can_be_reminded_and_released(show: LiveShow) -> None:
    show.viewer_says("!buy 201", name="Grace")
    holds = await show.until(lambda: show.runner.hub.snapshot()["holds"])
    hold_id = holds[0]["hold_id"]
    assert (holds[0]["viewer"], holds[0]["qty"]) == ("Grace", 1)
    await show.until(lambda: len(show.bot_said()) == 1)
    async with httpx.AsyncClient(base_url=show.base_url) as client:
        csrf = await signed_in(client)
        remind = await client.post(f"/dashboard/holds/{hold_id}/remind", data={"csrf": csrf})
        assert remind.status_code == 200, remind.text
        said = await show.until(lambda: len(show.bot_said()) == 2 and show.bot_said())
        release = await client.post(
            f"/dashboard/holds/{hold_id}/release", data={"csrf": remind.json()["csrf"]}
        )
        again = await client.post(
            f"/dashboard/holds/{hold_id}/release", data={"csrf": release.json()["csrf"]}
        )
    assert "/l/" in said[1]  # the reminder carries the buyer's own link, in the chat only
    assert release.status_code == 200 and again.status_code == 400
    hold = show.core.holds.hold(hold_id)
    assert hold is not None and hold.status == "released"
    await show.until(lambda: not show.runner.hub.snapshot()["holds"])
    kinds = [e.kind for e in show.core.records.audit_entries() if e.kind.startswith("dashboard_")]
    assert kinds == ["dashboard_remind", "dashboard_release"]


COMPLETE = re.compile(r"""action=['"](/checkouts/(?:cn|do)/[^'"/]+/complete)['"]""")


async def test_a_buyer_opening_the_link_and_paying_shows_in_the_feed_and_figures(
    show: LiveShow,
) -> None:
    show.viewer_says("!buy 201", name="Grace")
    said = await show.until(lambda: show.bot_said())
    link = re.search(r"https?://\S+/l/\S+", said[0])
    assert link, said
    async with httpx.AsyncClient(follow_redirects=True) as buyer:
        landing = await buyer.get(link.group(0))  # the landing page: the link is opened
        button = re.search(r'id="checkout" href="([^"]+)"', landing.text)
        assert landing.status_code == 200 and button, landing.text[:300]
        await show.until(
            lambda: (claims := show.runner.hub.snapshot()["claims"]) and claims[0]["link_opened"]
        )
        checkout = await buyer.get(html.unescape(button.group(1)))  # the emulated checkout
        form = COMPLETE.search(checkout.text)
        assert checkout.status_code == 200 and form, checkout.text[:300]
        paid = await buyer.post(str(checkout.url.join(form.group(1))))
        assert paid.status_code == 200
    assert await show.until(lambda: show.runner.hub.snapshot()["claims"][0]["paid"])
    figures = await show.until(
        lambda: (f := show.runner.hub.snapshot()["figures"]) and f["orders"] == 1 and f
    )
    assert figures["revenue"] != "0" and figures["conversion"] == "100.0%"
    stock = show.runner.hub.snapshot()["stock"]["glow-serum/44000000031"]
    assert (stock["held"], stock["sold"]) == (0, 1)
