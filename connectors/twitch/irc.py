"""Pure IRCv3 line parsing and formatting for Twitch chat (no I/O)."""

from __future__ import annotations

import re
from typing import NamedTuple

_UNESCAPE = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_ESCAPED = re.compile(r"\\(.?)", re.DOTALL)
_ESCAPE = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})


class IrcParseError(ValueError):
    """A line that is not an IRC message (empty, or no command)."""


class IrcMessage(NamedTuple):
    """One parsed IRC line: ``@tags :source COMMAND params...`` (trailing is the last param)."""

    tags: dict[str, str]
    source: str | None
    command: str
    params: list[str]

    @property
    def nick(self) -> str | None:
        """The nick of ``nick!user@host``, ``nick@host`` or ``nick`` (a server's whole name)."""
        if self.source is None:
            return None
        return split_source(self.source)[0]

    @property
    def trailing(self) -> str:
        """The last parameter (the message body for PRIVMSG), or ``""``."""
        return self.params[-1] if self.params else ""

    @property
    def channel(self) -> str | None:
        """The first parameter without its ``#`` when it names a channel."""
        if self.params and self.params[0].startswith("#"):
            return self.params[0][1:]
        return None


def split_source(source: str) -> tuple[str, str, str]:
    """Split a message source into ``(nick, user, host)``; a missing part is ``""``.

    ``nick!user@host``, ``nick@host``, ``nick!user`` and a bare server name all occur
    (ircdocs parser-tests ``userhost-split.yaml``).
    """
    rest, _, host = source.partition("@")
    nick, _, user = rest.partition("!")
    return nick, user, host


def unescape_tag_value(value: str) -> str:
    """Undo IRCv3 tag escaping; an unknown ``\\x`` becomes ``x``, a lone trailing ``\\`` drops."""
    if "\\" not in value:
        return value
    return _unescape(value)


def _unescape(value: str) -> str:
    if "\\\\" not in value:  # no escaped backslash: plain replaces are exact
        out = value.replace("\\s", " ").replace("\\:", ";")
        if "\\" in out:
            out = out.replace("\\r", "\r").replace("\\n", "\n")
        if "\\" not in out:
            return out
    return _ESCAPED.sub(_unescape_one, value)


def _unescape_one(match: re.Match[str]) -> str:
    char = match.group(1)
    return _UNESCAPE.get(char, char)


def escape_tag_value(value: str) -> str:
    """Escape a tag value for sending (the inverse of :func:`unescape_tag_value`)."""
    return value.translate(_ESCAPE)


def parse_tags(raw: str) -> dict[str, str]:
    """Parse ``k=v;k2=v2`` (split each item on the first ``=`` only; values unescaped)."""
    return parse_line(f"@{raw} X").tags


def parse_line(line: str) -> IrcMessage:
    """Parse one IRC line (CRLF optional; any length; trailing ``:`` optional).

    Raises:
        IrcParseError: the line is empty or has no command.
    """
    line = line.rstrip("\r\n")
    if line.startswith("@"):
        end = line.find(" ")
        if end < 0:
            raise IrcParseError("tags without a command")
        raw = line[1:end]
        tags: dict[str, str] = {}
        for item in raw.split(";"):
            key, _, value = item.partition("=")
            tags[key] = value
        if "\\" in raw:
            for key, value in tags.items():
                if "\\" in value:
                    tags[key] = _unescape(value)
        tags.pop("", None)
        rest = line[end + 1 :].lstrip(" ")
    else:
        tags = {}
        rest = line
    source: str | None = None
    if rest.startswith(":"):
        source, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
    head, sep, trailing = rest.partition(" :")
    params = head.split(" ")
    if "" in params:
        params = [p for p in params if p]
    if not params:
        raise IrcParseError("no command")
    command = params.pop(0)
    if sep:
        params.append(trailing)
    return IrcMessage(tags, source, command.upper(), params)


def format_line(
    command: str, params: list[str], *, tags: dict[str, str] | None = None, source: str = ""
) -> str:
    """Build one IRC line (without CRLF); the last param becomes a ``:trailing`` when needed.

    Raises:
        ValueError: a parameter contains CR or LF (it would inject a second command).
    """
    parts: list[str] = []
    if tags:
        # an empty value is written as the bare key: the ircdocs msg-join vectors say a
        # valueless tag must not become ``key=``
        parts.append(
            "@" + ";".join(f"{k}={escape_tag_value(v)}" if v else k for k, v in tags.items())
        )
    if source:
        parts.append(":" + source)
    parts.append(command)
    for index, param in enumerate(params):
        if "\r" in param or "\n" in param:
            raise ValueError("IRC parameters cannot contain CR or LF")
        last = index == len(params) - 1
        if last and (not param or " " in param or param.startswith(":")):
            parts.append(":" + param)
        else:
            parts.append(param)
    return " ".join(parts)


def strip_action(text: str) -> tuple[str, bool]:
    """Return the text of a ``\\x01ACTION ...\\x01`` (/me) body and whether it was one.

    Only a closed CTCP ACTION is a /me: an unclosed ``\\x01ACTION hi`` or ``\\x01ACTIONhi\\x01``
    is kept as typed (dank-twitch-irc ``parseActionAndMessage``); a bare ``\\x01ACTION\\x01`` is
    an empty /me (go-twitch-irc ``TestCanPraseBadActionMessageWithoutPanic``).
    """
    if text == "\x01ACTION\x01":
        return "", True
    if len(text) >= 9 and text.startswith("\x01ACTION ") and text.endswith("\x01"):
        return text[8:-1], True
    return text, False


def strip_reply_prefix(text: str, *names: str | None) -> str:
    """Remove the ``@parent `` mention Twitch puts in front of a thread reply's body."""
    if not text.startswith("@"):
        return text
    head, _, rest = text.partition(" ")
    mention = head[1:].casefold()
    if any(isinstance(n, str) and n and mention == n.strip().casefold() for n in names):
        return rest
    return text
