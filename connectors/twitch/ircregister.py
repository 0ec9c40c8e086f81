"""Pure IRC registration and send-outcome rules (no I/O): what to send, when it is done, errors.

A standard IRCv3 client that also speaks Twitch. Registration, per the IRCv3 capability
negotiation spec (https://ircv3.net/specs/extensions/capability-negotiation.html) and its
"registration" guide (send ``CAP LS`` first, then ``PASS``/``NICK``/``USER`` at once; a server
with CAP holds registration until ``CAP END``, one without it registers straight away):

    > CAP LS 302 / PASS oauth:<token> / NICK <nick> / USER <nick> 0 * :<nick>
    < CAP * LS [*] :<caps>          (``*`` = more LS lines follow, 302 multiline)
    > CAP REQ :<wanted ∩ offered>   (or CAP END when none of ours is offered)
    < CAP * ACK|NAK :<caps>         (the whole set is accepted or refused)
    > CAP END
    < 001 RPL_WELCOME               (registration complete)

Twitch (https://dev.twitch.tv/docs/chat/irc/) takes ``CAP REQ`` for its ``twitch.tv/*`` caps and
``PASS oauth:<token>``; it answers a refused login with ``NOTICE * :Login authentication failed``
or ``:Improperly formatted auth`` (no numeric, so these two texts are judged by content).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from connectors.errors import AuthError, ConnectorError, FatalError, TransientError
from connectors.twitch.irc import IrcMessage, format_line

_LOGGER = logging.getLogger(__name__)
PLATFORM = "twitch"
TWITCH_CAPS = ("twitch.tv/tags", "twitch.tv/commands", "twitch.tv/membership")
# IRCv3 message-tags (https://ircv3.net/specs/extensions/message-tags): tags on what we send
WANTED_CAPS = (*TWITCH_CAPS, "message-tags")
TAG_CAPS = frozenset({"twitch.tv/tags", "message-tags"})
# Twitch's login refusals (dev.twitch.tv/docs/chat/irc, "Authenticating"): NOTICE text only
AUTH_NOTICES = ("login authentication failed", "improperly formatted auth")
# ERROR reasons of standard servers refusing PASS (ngircd: "Access denied: Bad password?")
_PASSWORD_WORDS = ("password", "passwd", "authenticat")

# Numerics (RFC 1459/2812; modern.ircdocs.horse) during registration and join.
_AUTH_NUMERICS = {"464"}  # ERR_PASSWDMISMATCH
_TRANSIENT_NUMERICS = {"433", "436", "437"}  # nick in use, nick collision, unavailable
_FATAL_NUMERICS = {"432", "465", "463"}  # bad nick, banned from server, host not allowed
# join refused: no such channel, too many channels, full, invite-only, banned, key, bad name,
# registered nicks only
JOIN_ERRORS = frozenset({"403", "405", "471", "473", "474", "475", "476", "477"})


def numeric_error(msg: IrcMessage, *, stage: str) -> ConnectorError | None:
    """The connector error an error numeric means at ``stage`` (login or join), or None."""
    code = msg.command
    text = f"irc {stage}: {code} {' '.join(msg.params[1:])}".strip()
    if code in _AUTH_NUMERICS:
        return AuthError(text, platform=PLATFORM)
    if code in _TRANSIENT_NUMERICS:
        return TransientError(text, platform=PLATFORM)
    if code in _FATAL_NUMERICS or (stage == "join" and code in JOIN_ERRORS):
        return FatalError(text, platform=PLATFORM)
    return None


def error_line(msg: IrcMessage, *, registered: bool, sent_password: bool) -> ConnectorError:
    """What a server's ``ERROR`` (it is closing the link) means.

    Before registration, with a password sent, a reason about the password is a refused login;
    anything else is a drop worth retrying.
    """
    reason = msg.trailing
    if not registered and sent_password and any(w in reason.lower() for w in _PASSWORD_WORDS):
        return AuthError(f"irc login refused: {reason}", platform=PLATFORM)
    return TransientError(f"irc server closed the link: {reason}", platform=PLATFORM)


def pong_for(msg: IrcMessage) -> str:
    """The PONG that answers a PING (its token echoed)."""
    return format_line("PONG", msg.params or ["tmi.twitch.tv"])


@dataclass(slots=True)
class Registration:
    """The login state machine: :meth:`opening` lines, then :meth:`feed` each server line."""

    nick: str
    password: str | None
    wanted: tuple[str, ...] = WANTED_CAPS
    caps: set[str] = field(default_factory=set)
    registered: bool = False
    _cap: str = "ls"  # ls (waiting for LS), req (waiting for ACK/NAK), done
    _offered: set[str] = field(default_factory=set)

    @property
    def done(self) -> bool:
        """Registered (001) and capability negotiation settled."""
        return self.registered and self._cap == "done"

    def opening(self) -> list[str]:
        """The first lines, sent together (a server without CAP registers on them)."""
        lines = ["CAP LS 302"]
        if self.password:
            lines.append(f"PASS {self.password}")
        return [*lines, f"NICK {self.nick}", f"USER {self.nick} 0 * :{self.nick}"]

    def feed(self, msg: IrcMessage) -> list[str]:
        """Lines to send in answer to ``msg``.

        Raises:
            AuthError: the login was refused.
            TransientError: the nick is taken, or the server closed the link.
            FatalError: the nick or host is not allowed.
        """
        cmd = msg.command
        if cmd == "PING":
            return [pong_for(msg)]
        if cmd == "CAP":
            return self._cap_line(msg)
        if cmd == "001":  # RPL_WELCOME: registration complete
            self.registered = True
            if self._cap == "ls":  # the server ignored CAP LS (it answered NICK/USER first)
                self._cap = "done"
            return []
        if cmd in ("410", "421") and msg.params[1:2] == ["CAP"]:
            self._cap = "done"  # ERR_INVALIDCAPCMD / ERR_UNKNOWNCOMMAND: no CAP here
            return []
        if cmd == "NOTICE":
            if msg.trailing.strip().lower() in AUTH_NOTICES:
                raise AuthError(f"irc login refused: {msg.trailing}", platform=PLATFORM)
            _LOGGER.info("irc login notice: %s", msg.trailing[:120])
            return []
        if cmd == "ERROR":
            raise error_line(msg, registered=self.registered, sent_password=bool(self.password))
        error = numeric_error(msg, stage="login")
        if error is not None:
            raise error
        return []

    def _cap_line(self, msg: IrcMessage) -> list[str]:
        sub = msg.params[1].upper() if len(msg.params) > 1 else ""
        if sub == "LS" and self._cap == "ls":
            self._offered.update(c.split("=", 1)[0] for c in msg.trailing.split())
            if len(msg.params) > 3 and msg.params[2] == "*":
                return []  # CAP LS 302 multiline: more to come
            want = [c for c in self.wanted if c in self._offered]
            if not want:
                self._cap = "done"
                return ["CAP END"]
            self._cap = "req"
            return [f"CAP REQ :{' '.join(want)}"]
        if sub in ("ACK", "NAK") and self._cap == "req":
            if sub == "ACK":
                self.caps.update(c for c in msg.trailing.split() if not c.startswith("-"))
            else:
                _LOGGER.warning("irc: server refused capabilities %s", msg.trailing)
            self._cap = "done"
            return ["CAP END"]
        return []


def join_done(msg: IrcMessage, *, nick: str, caps: set[str]) -> bool:
    """Whether ``msg`` is the last line of a successful JOIN's answer (then JOIN is complete)."""
    if "twitch.tv/commands" in caps:
        return msg.command == "ROOMSTATE"  # Twitch: JOIN, (353/366), USERSTATE, ROOMSTATE
    if "twitch.tv/membership" in caps:
        return msg.command == "366"  # RPL_ENDOFNAMES
    # our own JOIN echoed: the join took (a standard server's 353/366 follow; read as chat)
    return msg.command == "JOIN" and (msg.nick or "").lower() == nick.lower()


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a send ended: sent (with Twitch's id when known) or dropped with a code."""

    sent: bool
    message_id: str | None = None
    code: str | None = None


@dataclass(slots=True)
class SendJudge:
    """Decides from server lines whether one PRIVMSG went out.

    * With ``twitch.tv/commands`` Twitch confirms a send with a USERSTATE for the channel
      ("sent when you join a channel or when you successfully sent a PRIVMSG", docs.rs
      twitch-irc UserStateMessage) and refuses one with ``NOTICE`` + ``msg-id``
      (dev.twitch.tv/docs/chat/irc, NOTICE message ids).
    * Anywhere else a successful PRIVMSG gets no reply (RFC 2812 §3.3.1), and a server
      answers a client's lines in order, so the PRIVMSG is followed by ``PING :<token>``: an
      error numeric (4xx/5xx: 401, 404, 421 ...) before the matching PONG means it failed,
      the PONG with no error means the server accepted it.

    No verdict before the deadline is "unconfirmed": never reported as sent.
    """

    channel: str
    ping_token: str | None  # None: Twitch mode (USERSTATE/NOTICE)

    def feed(self, msg: IrcMessage) -> Outcome | None:
        """The outcome ``msg`` settles, or None when it says nothing about this send."""
        cmd = msg.command
        if cmd.isdigit() and cmd[0] in "45":
            return Outcome(sent=False, code=f"irc_{cmd}")
        if self.ping_token is None:
            if cmd == "USERSTATE" and msg.channel == self.channel:
                return Outcome(sent=True, message_id=msg.tags.get("id") or None)
            if cmd == "NOTICE" and msg.tags.get("msg-id"):
                return Outcome(sent=False, code=msg.tags["msg-id"])
            return None
        if cmd == "PONG" and msg.trailing == self.ping_token:
            return Outcome(sent=True)
        return None
