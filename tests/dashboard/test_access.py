"""Dashboard access: one-time links, the host's secret, sessions, single-use CSRF tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shopstream.dashboard.access import CsrfCheck, DashboardAccess
from tests.support.clock import FakeClock


class AuditLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, **detail: Any) -> None:
        self.lines.append((kind, detail))


def access(**kwargs: Any) -> tuple[DashboardAccess, FakeClock, AuditLog]:
    clock, log = FakeClock(), AuditLog()
    return DashboardAccess(clock=clock, audit=log, **kwargs), clock, log


def test_a_login_link_works_once() -> None:
    acc, _, log = access()
    code = acc.login_link().removeprefix("/login/")
    session = acc.redeem(code)
    assert session is not None and acc.session(session.id) is session
    assert acc.redeem(code) is None
    assert [k for k, _ in log.lines] == ["dashboard_login_refused"]


def test_a_login_link_expires() -> None:
    acc, clock, _ = access(login_ttl=timedelta(minutes=5))
    code = acc.login_link().removeprefix("/login/")
    clock.advance(301)
    assert acc.redeem(code) is None


def test_the_host_secret_signs_in_and_a_wrong_one_is_audited() -> None:
    acc, _, log = access(host_token="s3cret")
    assert acc.sign_in("s3cret") is not None
    assert acc.sign_in("guess") is None
    assert log.lines == [
        ("dashboard_login_refused", {"platform": "dashboard", "actor": "dashboard", "how": "token"})
    ]
    assert "s3cret" not in repr(log.lines)


def test_without_a_host_secret_the_form_signs_nobody_in() -> None:
    acc, _, _ = access()
    assert not acc.has_host_token
    assert acc.sign_in("") is None


def test_sessions_expire() -> None:
    acc, clock, _ = access(host_token="t", session_ttl=timedelta(hours=1))
    session = acc.sign_in("t")
    assert session is not None
    clock.advance(3601)
    assert acc.session(session.id) is None
    assert acc.session(None) is None and acc.session("nope") is None


def test_csrf_tokens_work_once_and_belong_to_their_session() -> None:
    acc, _, log = access(host_token="t")
    one, two = acc.sign_in("t"), acc.sign_in("t")
    assert one is not None and two is not None
    token = acc.issue_csrf(one)
    assert acc.use_csrf(two, token, action="pause") is CsrfCheck.FORGED
    assert acc.use_csrf(one, token, action="pause") is CsrfCheck.OK
    assert acc.use_csrf(one, token, action="pause") is CsrfCheck.REPLAYED
    assert acc.use_csrf(one, "made-up", action="pause") is CsrfCheck.FORGED
    assert acc.use_csrf(one, None, action="pause") is CsrfCheck.MISSING
    reasons = [d["reason"] for k, d in log.lines if k == "dashboard_action_refused"]
    assert reasons == ["forged", "replayed", "forged", "missing"]


def test_the_overlay_token_opens_the_overlay_only() -> None:
    acc, _, _ = access(host_token="t", overlay_token="ov")
    assert acc.overlay_allows("ov") and not acc.overlay_allows("t")
    assert not acc.overlay_allows(None) and not acc.overlay_allows("")
    assert acc.sign_in("ov") is None  # it is no host secret
    assert acc.overlay_path() == "/overlay?token=ov"


def test_tokens_come_from_the_environment() -> None:
    acc = DashboardAccess.from_env(
        {"SHOPSTREAM_DASHBOARD_TOKEN": "h", "SHOPSTREAM_OVERLAY_TOKEN": "o"}
    )
    assert acc.sign_in("h") is not None and acc.overlay_allows("o")
    fresh = DashboardAccess.from_env({})
    assert (
        not fresh.has_host_token
        and fresh.overlay_path() != DashboardAccess.from_env({}).overlay_path()
    )  # one overlay token per run
