"""An incremental Server-Sent Events parser (pure: bytes in, events out, no I/O).

Follows the WHATWG ``text/event-stream`` rules: lines end with CRLF, LF or CR (a CR at the end of
one chunk and an LF at the start of the next are one line end); ``data`` lines append to the event's
data joined by ``\\n``; a blank line dispatches the event (none when the data is empty); lines
starting with ``:`` are comments (keepalives); a line without a colon is a field with an empty
value; one space after the colon is dropped; a leading byte-order mark is ignored; UTF-8 is decoded
incrementally, so a character split across two chunks survives.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True, kw_only=True)
class SseEvent:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SseParser:
    """Feed it chunks as they arrive; it returns the events each chunk completes.

    ``comments`` counts comment lines seen (keepalives), for health and tests.
    """

    __slots__ = (
        "_buffer",
        "_data",
        "_decoder",
        "_event",
        "_id",
        "_pending_cr",
        "_retry",
        "_started",
        "comments",
        "last_event_id",
    )

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._pending_cr = False
        self._started = False
        self._data: list[str] = []
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
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        self._pending_cr = False
        self._buffer += text
        events: list[SseEvent] = []
        for line in self._complete_lines():
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        return events

    def _complete_lines(self) -> list[str]:
        lines: list[str] = []
        buf = self._buffer
        start = 0
        i = 0
        n = len(buf)
        while i < n:
            ch = buf[i]
            if ch == "\n":
                lines.append(buf[start:i])
                start = i + 1
            elif ch == "\r":
                lines.append(buf[start:i])
                if i + 1 < n:
                    if buf[i + 1] == "\n":
                        i += 1
                else:
                    self._pending_cr = True
                start = i + 1
            i += 1
        self._buffer = buf[start:]
        return lines

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
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        data, event, event_id, retry = self._data, self._event, self._id, self._retry
        self._data, self._event, self._retry = [], "", None
        if not data:
            return None
        return SseEvent(data="\n".join(data), event=event or "message", id=event_id, retry=retry)
