"""Secrets: named here, read from the environment, kept out of logs.

Where they come from (decided in issue 22): environment variables are the way to supply them
and always win. ``shopstream auth <platform>`` writes what it obtains to
``<data_dir>/credentials.json``, created readable only by its owner (mode 0600);
:func:`load_stored` puts its values into the environment for the names that are not set
there already. Never ``settings.toml``, never a log line or a page.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from pydantic import SecretStr

# name -> what it is. The README's configuration reference is generated from this table.
SECRET_ENV: dict[str, str] = {
    "SHOPSTREAM_SHOPIFY_TOKEN": "Shopify Admin API access token (shpat_...)",
    "SHOPSTREAM_SHOPIFY_CLIENT_ID": "Shopify app client id (client-credentials token refresh)",
    "SHOPSTREAM_SHOPIFY_CLIENT_SECRET": "Shopify app client secret (token refresh)",
    "SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET": "Shopify app secret that signs webhooks (HMAC-SHA256)",
    "SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN": "Storefront API token (storefront_cart links)",
    "SHOPSTREAM_LINK_SIGNING_KEY": "Key that signs short links (HMAC)",
    "SHOPSTREAM_TWITCH_TOKEN": "Twitch user access token of the bot account",
    "SHOPSTREAM_TWITCH_REFRESH_TOKEN": "Twitch refresh token",
    "SHOPSTREAM_TWITCH_CLIENT_ID": "Twitch application client id",
    "SHOPSTREAM_TWITCH_CLIENT_SECRET": "Twitch application client secret",
    "SHOPSTREAM_YOUTUBE_CLIENT_ID": "Google OAuth client id",
    "SHOPSTREAM_YOUTUBE_CLIENT_SECRET": "Google OAuth client secret",
    "SHOPSTREAM_YOUTUBE_REFRESH_TOKEN": "Google OAuth refresh token of the channel",
    "SHOPSTREAM_YOUTUBE_ACCESS_TOKEN": "Google OAuth access token (optional; refreshed)",
    "SHOPSTREAM_FACEBOOK_PAGE_TOKEN": "Facebook Page access token",
    "SHOPSTREAM_FACEBOOK_PAGE_ID": "Facebook Page id (not secret, kept with the token)",
    "SHOPSTREAM_FACEBOOK_APP_ID": "Facebook app id (token exchange and /debug_token)",
    "SHOPSTREAM_FACEBOOK_APP_SECRET": "Facebook app secret (token exchange and /debug_token)",
}

STORE_NAME = "credentials.json"


def store_path(data_dir: Path) -> Path:
    """Where ``shopstream auth`` keeps what it obtained."""
    return data_dir / STORE_NAME


def read_stored(data_dir: Path) -> dict[str, str]:
    """The stored credentials (known names only); empty when there is no file.

    Raises:
        ValueError: the file is readable by others than its owner, or is not a JSON object.
    """
    path = store_path(data_dir)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"{path} is readable by others; run: chmod 600 {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ValueError(f"{path} is not valid JSON; delete it and run shopstream auth") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object; delete it and run shopstream auth")
    return {k: str(v) for k, v in data.items() if k in SECRET_ENV and v}


def write_stored(data_dir: Path, values: Mapping[str, str]) -> Path:
    """Merge ``values`` into the stored credentials; the file is created with mode 0600."""
    unknown = sorted(set(values) - set(SECRET_ENV))
    if unknown:
        raise ValueError(f"not a credential name: {', '.join(unknown)}")
    data_dir.mkdir(parents=True, exist_ok=True)
    merged = {**read_stored(data_dir), **{k: v for k, v in values.items() if v}}
    path = store_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(merged, out, indent=1, sort_keys=True)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load_stored(data_dir: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Put stored credentials into the environment where a name is unset; the names used.

    Raises:
        ValueError: as :func:`read_stored`.
    """
    env = os.environ if environ is None else environ
    used = []
    for name, value in read_stored(data_dir).items():
        if not env.get(name):
            env[name] = value
            used.append(name)
    return used


def secret(name: str, environ: Mapping[str, str] | None = None) -> SecretStr | None:
    """Return the secret ``name`` from the environment, or None when unset or empty."""
    value = (os.environ if environ is None else environ).get(name, "")
    return SecretStr(value) if value else None


class RedactSecrets(logging.Filter):
    """Replace any secret value that slips into a log line with ``***``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        env = os.environ if environ is None else environ
        self._values = sorted(
            (env[n] for n in SECRET_ENV if len(env.get(n, "")) >= 6), key=len, reverse=True
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._values:
            return True
        text = record.getMessage()
        redacted = text
        for value in self._values:
            redacted = redacted.replace(value, "***")
        if redacted != text:
            record.msg, record.args = redacted, None
        return True
