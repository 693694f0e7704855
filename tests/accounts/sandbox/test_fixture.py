import socket

import pytest
from django.conf import settings


def test_settings_point_at_the_sandbox(spotify_sandbox):
    """The fixture points the accounts service, Web API, ReccoBeats and Deezer at the sandbox."""
    url = spotify_sandbox.url
    assert url.startswith("http://127.0.0.1:")
    assert url == settings.SPOTIFY_ACCOUNTS_URL and f"{url}/v1" == settings.SPOTIFY_API_URL
    assert f"{url}/reccobeats/v1" == settings.RECCOBEATS_API_URL and f"{url}/deezer" == settings.DEEZER_API_URL
    assert (settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET) == ("session-mix-sandbox", "sandbox-secret")


def test_each_test_starts_from_a_reset_sandbox(spotify_sandbox):
    """No requests, faults, tokens or created playlists carry over between tests."""
    assert spotify_sandbox.requests == [] and spotify_sandbox.world.faults == []
    assert spotify_sandbox.world.access_tokens == {}
    assert [playlist["name"] for playlist in spotify_sandbox.playlists()] == ["Morning Run", "Easy Sunday"]


def test_only_loopback_is_reachable(spotify_sandbox, _loopback_only):
    """A connection to another host is refused (and would fail the test at teardown)."""
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("192.0.2.1", 443))
    _loopback_only.clear()
