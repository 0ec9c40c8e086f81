"""An incremental Server-Sent Events parser (pure: bytes in, events out, no I/O).

Follows the WHATWG ``text/event-stream`` rules: lines end with CRLF, LF or CR (a CR at the end of
one chunk and an LF at the start of the next are one line end); ``data`` lines append to the event's
data joined by ``\\n``; a blank line dispatches the event (none when the data is empty); lines
starting with ``:`` are comments (keepalives); a line without a colon is a field with an empty
value; one space after the colon is dropped; a leading byte-order mark is ignored; UTF-8 is decoded
incrementally, so a character split across two chunks survives.

Work is linear in the bytes fed: a line still open keeps its pieces and only new text is
scanned for a line end, and a line longer than ``max_line`` characters is dropped (counted
in ``dropped_lines``, its start kept in ``dropped_head``, one log line) while the stream goes on;
so is an event whose data lines add up to more than that.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass

from connectors.values import ascii_int

_LOGGER = logging.getLogger(__name__)
_BOM = "\ufeff"
_LINE_END = re.compile(r"\r\n|\r|\n")
# A live_comments event is one comment of a few KiB; a line past this is not one.
MAX_LINE = 256 * 1024
_HEAD_CHARS = 500
_MAX_RETRY_MS = 86_400_000  # a reconnection time past a day is not one we follow


@dataclass(frozen=True, slots=True, kw_only=True)
class SseEvent:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SseParser:
    """Feed it chunks as they arrive; it returns the events each chunk completes.

    ``comments`` counts comment lines seen (keepalives), for health and tests;
    ``dropped_lines`` counts lines dropped for being longer than ``max_line`` characters.
    """

    __slots__ = (
        "_data",
        "_data_chars",
        "_data_over",
        "_decoder",
        "_dropping",
        "_event",
        "_id",
        "_open",
        "_open_chars",
        "_pending_cr",
        "_retry",
        "_started",
        "comments",
        "dropped_head",
        "dropped_lines",
        "last_event_id",
        "max_line",
    )

    def __init__(self, *, max_line: int = MAX_LINE) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.max_line = max_line
        self._open: list[str] = []  # the pieces of the line not ended yet
        self._open_chars = 0
        self._dropping = False  # the open line is past max_line: discard it up to its end
        self.dropped_lines = 0
        self.dropped_head = ""
        self._pending_cr = False
        self._started = False
        self._data: list[str] = []
        self._data_chars = 0
        self._data_over = False  # this event's data passed max_line: drop it at its end
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self.comments = 0
        self.last_event_id: str | None = None

    def feed(self, chunk: bytes | str) -> list[SseEvent]:
        """Consume one chunk and return the events it completes, in order."""
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if not self._started and text:
            self._started = True
            if text.startswith(_BOM):
                text = text[1:]
        if self._pending_cr and text:  # an empty chunk leaves a CR's line end open
            if text.startswith("\n"):
                text = text[1:]
            self._pending_cr = False
        events: list[SseEvent] = []
        start = 0
        for end in _LINE_END.finditer(text):  # only the new text is scanned
            line = self._close_line(text[start : end.start()])
            start = end.end()
            if end.group() == "\r" and start == len(text):
                self._pending_cr = True  # an LF opening the next chunk ends nothing more
            if line is not None:
                event = self._process_line(line)
                if event is not None:
                    events.append(event)
        self._extend(text[start:])
        return events

    def _extend(self, piece: str) -> None:
        """Add text to the open line; past ``max_line`` the line is dropped (logged once)."""
        if not piece or self._dropping:
            return
        self._open.append(piece)
        self._open_chars += len(piece)
        if self._open_chars > self.max_line:
            self._dropped("".join(self._open), "a line")
            self._open, self._open_chars, self._dropping = [], 0, True

    def _dropped(self, text: str, what: str) -> None:
        self.dropped_lines += 1
        self.dropped_head = text[:_HEAD_CHARS]
        _LOGGER.warning("sse: dropped %s longer than %d characters", what, self.max_line)

    def _close_line(self, piece: str) -> str | None:
        """The line that ends with ``piece``; None when it was dropped for its length."""
        self._extend(piece)
        if self._dropping:
            self._dropping = False
            return None
        line = "".join(self._open)
        self._open, self._open_chars = [], 0
        return line

    def _process_line(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            self.comments += 1
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._add_data(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_event_id = value
        elif name == "retry" and (retry := ascii_int(value, hi=_MAX_RETRY_MS)) is not None:
            self._retry = retry
        return None

    def _add_data(self, value: str) -> None:
        if self._data_over:
            return
        self._data_chars += len(value) + 1
        if self._data_chars > self.max_line:
            self._dropped("\n".join([*self._data[:1], value]), "an event")
            self._data, self._data_over = [], True
        else:
            self._data.append(value)

    def _dispatch(self) -> SseEvent | None:
        data, event, event_id, retry = self._data, self._event, self._id, self._retry
        self._data, self._event, self._retry = [], "", None
        self._data_chars, self._data_over = 0, False
        if not data:
            return None
        return SseEvent(data="\n".join(data), event=event or "message", id=event_id, retry=retry)
