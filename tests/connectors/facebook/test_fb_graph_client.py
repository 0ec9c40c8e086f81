"""facebook-sdk against the emulator: the version workaround and per-client base URLs."""

from __future__ import annotations

import socket

import facebook
import pytest

from connectors.errors import AuthError, TransientError
from connectors.facebook.graph import GraphClient
from sandbox.facebook import FacebookEmulator


def _client(
    emu: FacebookEmulator, *, token: str | None = None, base: str | None = None
) -> GraphClient:
    return GraphClient(
        base_url=base or emu.graph_url,
        version="v26.0",
        token=token or emu.page_token,
        timeout=5.0,
        rate_limit_wait=60.0,
    )


@pytest.mark.parametrize("version", ["26.0", "v26.0", "3.2"])
def test_the_library_constructor_refuses_current_versions(version: str) -> None:
    with pytest.raises(facebook.GraphAPIError):
        facebook.GraphAPI(access_token="t", version=version)


async def test_calls_name_the_configured_version(emu: FacebookEmulator) -> None:
    client = _client(emu)
    try:
        assert client.api.version == "v26.0"
        page = await client.get_connections(emu.page_id, "live_videos", broadcast_status='["LIVE"]')
    finally:
        client.close()
    assert page["data"][0]["id"] == emu.live_video_id
    assert client.last_url == f"{emu.graph_url}v26.0/{emu.page_id}/live_videos"
    assert "x-app-usage" in client.usage and "x-business-use-case-usage" in client.usage


async def test_two_clients_two_emulators_and_the_library_global_untouched() -> None:
    before = facebook.FACEBOOK_GRAPH_URL
    async with FacebookEmulator() as one, FacebookEmulator() as two:
        two.state.page_id = "222"
        a, b = _client(one), _client(two)
        try:
            assert (await a.get_object("me"))["id"] == one.page_id
            assert (await b.get_object("me"))["id"] == "222"
        finally:
            a.close()
            b.close()
    assert facebook.FACEBOOK_GRAPH_URL == before == "https://graph.facebook.com/"


async def test_put_object_posts_form_data(emu: FacebookEmulator) -> None:
    comment = emu.inject_message("price?")
    client = _client(emu)
    try:
        created = await client.put_object(comment, "comments", message="It is $24")
    finally:
        client.close()
    assert created["id"].startswith(emu.video_id + "_")


async def test_errors_are_classified_with_their_headers(emu: FacebookEmulator) -> None:
    client = _client(emu, token="expired")
    try:
        with pytest.raises(AuthError):
            await client.get_object("me")
    finally:
        client.close()


async def test_connection_refused_is_transient() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = GraphClient(
        base_url=f"http://127.0.0.1:{port}/",
        version="v26.0",
        token="t",
        timeout=2.0,
        rate_limit_wait=1.0,
    )
    try:
        with pytest.raises(TransientError):
            await client.get_object("me")
    finally:
        client.close()


async def test_non_json_answer_is_classified_by_status(emu: FacebookEmulator) -> None:
    emu.fail_raw("me", status=503, body="<html>down</html>")
    client = _client(emu)
    try:
        with pytest.raises(TransientError):
            await client.get_object("me")
    finally:
        client.close()
