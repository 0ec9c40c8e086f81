"""Chat events hold what the rest of the app can store and order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.events import ChatMessage

T = datetime(2026, 11, 24, 12, 0, 5, tzinfo=UTC)


def _msg(**given: object) -> ChatMessage:
    fields: dict[str, object] = {
        "platform": "youtube",
        "channel": "c",
        "message_id": "m1",
        "author_id": "u1",
        "author_name": "Ann",
        "text": "sold 201",
        "sent_at": T,
    }
    fields.update(given)
    return ChatMessage(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "given", "kept"),
    [
        ("text", "sold\x00 201", "sold\ufffd 201"),
        ("author_name", "\x00Ann\x00", "\ufffdAnn\ufffd"),
        ("message_id", "m\x001", "m\ufffd1"),
        ("author_id", None, None),
        ("text", "sold 201 ✓", "sold 201 ✓"),  # everything else untouched
    ],
)
def test_nul_never_reaches_storage(field: str, given: str | None, kept: str | None) -> None:
    assert getattr(_msg(**{field: given}), field) == kept


@pytest.mark.parametrize(
    ("precision", "offset"),
    [(0.0, timedelta(0)), (1.0, timedelta(milliseconds=500)), (0.001, timedelta(microseconds=500))],
)
def test_order_time_is_the_middle_of_what_the_stamp_stands_for(
    precision: float, offset: timedelta
) -> None:
    msg = _msg(sent_at_precision=precision)
    assert msg.order_time == T + offset and msg.sent_at == T


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_a_negative_precision_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="precision"):
        _msg(sent_at_precision=bad)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _msg(sent_at=datetime(2026, 11, 24, 12, 0))
