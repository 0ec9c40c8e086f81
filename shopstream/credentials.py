"""Before a live show starts: every missing or unusable credential, all at once.

For each enabled part (the store, its webhooks, links, each connector) :func:`preflight` names
the variable, says what it is for and which command obtains it, like settings errors do; the
CLI prints them and exits 2, so no live command starts half-configured or ends in a traceback.
Values pasted with stray whitespace are trimmed (a copied newline is the usual case); values
with whitespace inside, a scheme prefix (``Bearer ``) or, outside Twitch, ``oauth:`` are
refused with the reason, never passed on broken.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass

from checkout_links.config import SIGNING_KEY_ENV, STOREFRONT_TOKEN_ENV
from connectors.facebook.config import TOKEN_ENV as FACEBOOK_TOKEN_ENV
from connectors.twitch import config as twitch_env
from connectors.youtube import config as youtube_env
from shop_sync.config import CLIENT_ID_ENV, CLIENT_SECRET_ENV, TOKEN_ENV, WEBHOOK_SECRET_ENV
from shopstream.secrets import SECRET_ENV
from shopstream.settings import Settings

AUTH_COMMAND = {
    "store": "shopstream auth shopify",
    "webhooks": "shopstream auth shopify",
    "links": "shopstream auth links",
    "youtube": "shopstream auth youtube",
    "twitch": "shopstream auth twitch",
    "facebook": "shopstream auth facebook",
}
"""Part -> the command that obtains its credentials."""

TWITCH_OAUTH_PREFIX = "oauth:"  # IRC's PASS form (platforms.md §3.2); Helix wants the bare token


def fix_for(part: str) -> str:
    """The plain-language fix for a part whose credentials were refused."""
    command = AUTH_COMMAND.get(part)
    return f"run `{command}`" if command else "check its credentials"


@dataclass(frozen=True, slots=True)
class Problem:
    """One missing or unusable variable of one part."""

    part: str
    name: str
    what: str

    def line(self) -> str:
        """``part: NAME: what (purpose); fix: command``, one line for grep."""
        purpose = SECRET_ENV.get(self.name, "")
        return f"{self.part}: {self.name}: {self.what} ({purpose}); fix: {fix_for(self.part)}"


class CredentialsError(Exception):
    """Credentials a live show needs are missing or unusable; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def normalise(name: str, value: str) -> tuple[str, str | None]:
    """Return (the usable value, None) or (value, why it is refused)."""
    cleaned = value.strip()
    if name == twitch_env.TOKEN_ENV and cleaned.lower().startswith(TWITCH_OAUTH_PREFIX):
        cleaned = cleaned[len(TWITCH_OAUTH_PREFIX) :].strip()
    if not cleaned:
        return cleaned, "is empty"
    if any(ch.isspace() for ch in cleaned) or any(ord(ch) < 32 for ch in cleaned):
        first = cleaned.split()[0].rstrip(":").lower()
        if first in ("bearer", "oauth", "token"):
            return cleaned, f"starts with '{first}' and a space; paste only the token"
        return cleaned, "has whitespace inside; paste it again as one piece"
    if cleaned.lower().startswith(TWITCH_OAUTH_PREFIX):
        return cleaned, "starts with 'oauth:' (only a Twitch IRC password has it); remove it"
    return cleaned, None


def _needs(settings: Settings, env: MutableMapping[str, str]) -> list[tuple[str, str, bool]]:
    """(part, variable, required) for every enabled part in live mode."""
    out: list[tuple[str, str, bool]] = []
    has_cc = bool(env.get(CLIENT_ID_ENV, "").strip() and env.get(CLIENT_SECRET_ENV, "").strip())
    out.append(("store", TOKEN_ENV, not has_cc))
    out += [("store", CLIENT_ID_ENV, False), ("store", CLIENT_SECRET_ENV, False)]
    out.append(("webhooks", WEBHOOK_SECRET_ENV, True))
    out.append(("links", SIGNING_KEY_ENV, True))
    if settings.links.strategy == "storefront_cart":
        out.append(("links", STOREFRONT_TOKEN_ENV, True))
    c = settings.connectors
    if c.youtube.enabled:
        for name in (
            youtube_env.ENV_CLIENT_ID,
            youtube_env.ENV_CLIENT_SECRET,
            youtube_env.ENV_REFRESH_TOKEN,
        ):
            out.append(("youtube", name, True))
        out.append(("youtube", youtube_env.ENV_ACCESS_TOKEN, False))
    if c.twitch.enabled:
        irc_only = c.twitch.transport == "irc" and bool(c.twitch.irc_nick)
        out.append(("twitch", twitch_env.TOKEN_ENV, True))
        out.append(("twitch", twitch_env.CLIENT_ID_ENV, not irc_only))
        out += [("twitch", twitch_env.REFRESH_TOKEN_ENV, False)]
        out += [("twitch", twitch_env.CLIENT_SECRET_ENV, False)]
    if c.facebook.enabled:
        out.append(("facebook", FACEBOOK_TOKEN_ENV, True))
    return out


_PAIRS = (
    ("store", CLIENT_ID_ENV, CLIENT_SECRET_ENV),
    ("twitch", twitch_env.REFRESH_TOKEN_ENV, twitch_env.CLIENT_SECRET_ENV),
)


def preflight(settings: Settings, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Every problem with the live credentials, one line each (empty: all present and usable).

    Trimmed values are written back to ``environ`` (default ``os.environ``) so every reader
    gets the cleaned value; nothing is checked in sandbox mode (the emulators need none).
    """
    if settings.app.mode != "live":
        return []
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    seen: set[str] = set()
    for part, name, required in _needs(settings, env):
        if name in seen:
            continue
        seen.add(name)
        raw = env.get(name, "")
        if not raw.strip():
            if required:
                what = "is not set"
                if name == TOKEN_ENV:
                    what += f" (nor are {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV})"
                problems.append(Problem(part, name, what))
            continue
        value, why = normalise(name, raw)
        if why is not None:
            problems.append(Problem(part, name, why))
            continue
        env[name] = value
    key = env.get(SIGNING_KEY_ENV, "")
    if key and len(key) < 16:
        problems.append(Problem("links", SIGNING_KEY_ENV, "is shorter than 16 characters"))
    for part, first, second in _PAIRS:
        if part == "twitch" and not settings.connectors.twitch.enabled:
            continue
        a, b = bool(env.get(first)), bool(env.get(second))
        if a != b:
            missing = second if a else first
            other = first if a else second
            problems.append(Problem(part, missing, f"is not set but {other} is (they go together)"))
    return [p.line() for p in problems]


def require(settings: Settings, environ: MutableMapping[str, str] | None = None) -> None:
    """Raise :class:`CredentialsError` when :func:`preflight` finds anything."""
    problems = preflight(settings, environ)
    if problems:
        raise CredentialsError(problems)


def prepare_live(settings: Settings, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Load stored credentials, run :func:`preflight`, and with only a Shopify client id and
    secret obtain the show's Admin token by the client-credentials grant (it lasts 24 h,
    commerce.md §1.1). Returns the problems (empty: ready to start)."""
    if settings.app.mode != "live":
        return []
    env = os.environ if environ is None else environ
    from shopstream.secrets import load_stored

    try:
        load_stored(settings.app.data_dir, env)
    except ValueError as exc:
        return [f"credentials file: {exc}"]
    problems = preflight(settings, env)
    if problems or env.get(TOKEN_ENV):
        return problems
    import requests

    from shop_sync.errors import ShopError
    from shop_sync.tokens import ClientCredentials

    try:
        source = ClientCredentials(
            settings.shop,
            session=requests.Session(),
            client_id=env[CLIENT_ID_ENV],
            client_secret=env[CLIENT_SECRET_ENV],
        )
        env[TOKEN_ENV] = source.token()
    except ShopError as exc:
        line = Problem("store", CLIENT_SECRET_ENV, f"was refused by the store ({exc})").line()
        return [line]
    return []
