"""The pure IRC login and send-outcome rules, as tables of server lines (Twitch and standard)."""

from __future__ import annotations

import pytest

from connectors.errors import AuthError, ConnectorError, FatalError, TransientError
from connectors.twitch.irc import parse_line
from connectors.twitch.ircregister import Outcome, Registration, SendJudge, join_done

TWITCH_ACK = ":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands twitch.tv/membership"
TWITCH_LS = ":tmi.twitch.tv CAP * LS :twitch.tv/tags twitch.tv/commands twitch.tv/membership"
WELCOME = ":tmi.twitch.tv 001 shopbot :Welcome, GLHF!"


def run(lines: list[str], password: str | None = "oauth:tok") -> tuple[Registration, list[str]]:
    """Feed ``lines`` in order; return the state and everything the client sent."""
    login = Registration(nick="shopbot", password=password)
    sent = login.opening()
    for line in lines:
        sent += login.feed(parse_line(line))
    return login, sent


def test_opening_lines_are_a_standard_registration() -> None:
    assert Registration(nick="shopbot", password="oauth:tok").opening() == [
        "CAP LS 302",
        "PASS oauth:tok",
        "NICK shopbot",
        "USER shopbot 0 * :shopbot",
    ]
    assert "PASS" not in " ".join(Registration(nick="justinfan1", password=None).opening())


# (server lines, caps granted, done, the CAP lines the client sent after the opening)
FLOWS = [
    pytest.param(
        [TWITCH_LS, TWITCH_ACK, WELCOME],
        {"twitch.tv/tags", "twitch.tv/commands", "twitch.tv/membership"},
        True,
        ["CAP REQ :twitch.tv/tags twitch.tv/commands twitch.tv/membership", "CAP END"],
        id="twitch-ack",
    ),
    pytest.param(  # a server that registers at NICK, before it answers the REQ
        [TWITCH_LS, WELCOME, TWITCH_ACK],
        {"twitch.tv/tags", "twitch.tv/commands", "twitch.tv/membership"},
        True,
        ["CAP REQ :twitch.tv/tags twitch.tv/commands twitch.tv/membership", "CAP END"],
        id="welcome-before-ack",
    ),
    pytest.param(
        [TWITCH_LS, WELCOME],
        set(),
        False,
        ["CAP REQ :twitch.tv/tags twitch.tv/commands twitch.tv/membership"],
        id="still-waiting-for-ack",
    ),
    pytest.param(  # ngircd 26.1, seen here: it offers only multi-prefix
        [":irc.test CAP * LS :multi-prefix", ":irc.test 001 shopbot :Welcome"],
        set(),
        True,
        ["CAP END"],
        id="ngircd-offers-none-of-ours",
    ),
    pytest.param(
        [TWITCH_LS, ":tmi.twitch.tv CAP * NAK :twitch.tv/tags twitch.tv/commands", WELCOME],
        set(),
        True,
        ["CAP REQ :twitch.tv/tags twitch.tv/commands twitch.tv/membership", "CAP END"],
        id="nak-still-registers",
    ),
    pytest.param(  # CAP LS 302 multiline, and a cap with a value
        [
            ":inspircd CAP * LS * :cap-notify sasl=PLAIN,EXTERNAL",
            ":inspircd CAP * LS :message-tags=x server-time",
            ":inspircd CAP * ACK :message-tags",
            ":inspircd 001 shopbot :Welcome",
        ],
        {"message-tags"},
        True,
        ["CAP REQ :message-tags", "CAP END"],
        id="multiline-ls",
    ),
    pytest.param(  # InspIRCd's first line is not a refused login
        [
            ":inspircd NOTICE * :*** Looking up your hostname...",
            ":inspircd CAP * LS :message-tags",
            ":inspircd CAP * ACK :message-tags",
            ":inspircd NOTICE shopbot :*** You are connected",
            ":inspircd 001 shopbot :Welcome",
        ],
        {"message-tags"},
        True,
        ["CAP REQ :message-tags", "CAP END"],
        id="inspircd-hostname-notice",
    ),
    pytest.param(
        [":old 421 * CAP :Unknown command", ":old 001 shopbot :Welcome"],
        set(),
        True,
        [],
        id="no-cap-support-421",
    ),
    pytest.param([":old 001 shopbot :Welcome"], set(), True, [], id="server-ignores-cap-ls"),
    pytest.param(
        ["PING :irc.test", TWITCH_LS],
        set(),
        False,
        ["PONG irc.test", "CAP REQ :twitch.tv/tags twitch.tv/commands twitch.tv/membership"],
        id="ping-during-login",
    ),
]


@pytest.mark.parametrize(("lines", "caps", "done", "after"), FLOWS)
def test_login_flows(lines: list[str], caps: set[str], done: bool, after: list[str]) -> None:
    login, sent = run(lines)
    assert login.caps == caps
    assert login.done is done
    assert sent[4:] == after


# (server lines, the error expected)
REFUSALS = [
    pytest.param([":tmi.twitch.tv NOTICE * :Login authentication failed"], AuthError, id="tw-1"),
    pytest.param([":tmi.twitch.tv NOTICE * :Improperly formatted auth"], AuthError, id="tw-2"),
    pytest.param(  # ngircd with a server password, seen here
        [":irc.test CAP * LS :multi-prefix", "ERROR :Access denied: Bad password?"],
        AuthError,
        id="ngircd-bad-password",
    ),
    pytest.param([":irc.test 464 * :Password incorrect"], AuthError, id="464"),
    pytest.param([":irc.test 433 * shopbot :Nickname already in use"], TransientError, id="433"),
    pytest.param([":irc.test 432 * shop!bot :Erroneous nickname"], FatalError, id="432"),
    pytest.param([":irc.test 465 * :You are banned"], FatalError, id="465"),
    pytest.param(["ERROR :Closing link: server shutting down"], TransientError, id="error"),
]


@pytest.mark.parametrize(("lines", "error"), REFUSALS)
def test_login_refusals(lines: list[str], error: type[ConnectorError]) -> None:
    with pytest.raises(error) as caught:
        run(lines)
    assert type(caught.value) is error


def test_error_without_a_password_is_not_an_auth_failure() -> None:
    with pytest.raises(TransientError):
        run(["ERROR :Access denied: Bad password?"], password=None)


JOINS = [
    (":shopbot!shopbot@x JOIN #demo", set(), True),
    (":viewer!v@x JOIN #demo", set(), False),
    (":shopbot!shopbot@x JOIN #demo", {"twitch.tv/membership"}, False),
    (":x 366 shopbot #demo :End of /NAMES list", {"twitch.tv/membership"}, True),
    (":tmi.twitch.tv USERSTATE #demo", {"twitch.tv/commands"}, False),
    ("@slow=0 :tmi.twitch.tv ROOMSTATE #demo", {"twitch.tv/commands"}, True),
]


@pytest.mark.parametrize(("line", "caps", "done"), JOINS)
def test_join_is_complete_on_the_last_line_of_its_answer(
    line: str, caps: set[str], done: bool
) -> None:
    assert join_done(parse_line(line), nick="shopbot", caps=caps) is done


# (ping token or None for Twitch, server line, outcome or None)
SENDS = [
    (None, "@id=abc;mod=0 :tmi.twitch.tv USERSTATE #demo", Outcome(sent=True, message_id="abc")),
    (None, ":tmi.twitch.tv USERSTATE #other", None),
    (
        None,
        "@msg-id=msg_duplicate :tmi.twitch.tv NOTICE #demo :identical",
        Outcome(False, None, "msg_duplicate"),
    ),
    (None, ":tmi.twitch.tv NOTICE #demo :no msg-id, an info text", None),
    (None, ":tmi.twitch.tv 421 bot WHO :Unknown command", Outcome(False, None, "irc_421")),
    ("t1", ":irc.test PONG irc.test :t1", Outcome(sent=True)),
    ("t1", ":irc.test PONG irc.test :other", None),
    (
        "t1",
        ":irc.test 421 bot @reply-parent-msg-id=x :Unknown command",
        Outcome(False, None, "irc_421"),
    ),
    ("t1", ":irc.test 404 bot #demo :Cannot send to channel", Outcome(False, None, "irc_404")),
    (
        "t1",
        ":irc.test 401 bot #demo :No such nick or channel name",
        Outcome(False, None, "irc_401"),
    ),
    ("t1", ":irc.test USERSTATE #demo", None),
    ("t1", ":viewer!v@x PRIVMSG #demo :hello", None),
]


@pytest.mark.parametrize(("token", "line", "outcome"), SENDS)
def test_send_outcomes(token: str | None, line: str, outcome: Outcome | None) -> None:
    assert SendJudge(channel="demo", ping_token=token).feed(parse_line(line)) == outcome
