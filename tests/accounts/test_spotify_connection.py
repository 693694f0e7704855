"""The Spotify connection: tokens encrypted at rest, refreshed in time, revocation, connect and disconnect."""

import logging
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.utils import timezone

from accounts.crypto import decrypt, encrypt
from accounts.spotify import (
    NotFound,
    RateLimited,
    ReconnectSpotify,
    SpotifyClient,
    SpotifyNotConnected,
    SpotifyUnavailable,
    refresh_access_token,
)
from music.models import SpotifySync

pytestmark = pytest.mark.django_db


def stored(user) -> SocialToken:
    return SocialToken.objects.get(account__user=user)


def test_tokens_are_encrypted_at_rest(connected_user, spotify_sandbox):
    """Neither the access nor the refresh token is stored in clear."""
    row = SocialToken.objects.values("token", "token_secret").get(account__user=connected_user)
    assert row["token"].startswith("fernet:") and row["token_secret"].startswith("fernet:")
    issued_access = decrypt(row["token"])
    assert issued_access not in row["token"]


def test_encrypt_round_trips_and_is_idempotent(settings):
    """Encrypting twice doesn't double-wrap; decrypting gives the secret back."""
    once = encrypt("secret-token")
    assert encrypt(once) == once and decrypt(once) == "secret-token"


def test_rotated_keys_still_read_old_tokens(settings):
    """With a new key first and the old one second, old tokens still decrypt."""
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = old
    sealed = encrypt("secret-token")
    settings.TOKEN_ENCRYPTION_KEYS = f"{new},{old}"
    assert decrypt(sealed) == "secret-token"


def test_token_near_expiry_is_refreshed_before_the_call(connected_user, spotify_sandbox):
    """An access token about to expire is refreshed first: one token call, then the request."""
    SocialToken.objects.update(expires_at=timezone.now() + timedelta(seconds=20))
    SpotifyClient(connected_user).me()
    assert spotify_sandbox.count("POST", "/api/token") == 1
    assert stored(connected_user).expires_at > timezone.now() + timedelta(minutes=30)


def test_401_refreshes_and_retries_once(connected_user, spotify_sandbox):
    """An access token Spotify no longer accepts is refreshed and the call repeated."""
    spotify_sandbox.expire_access_tokens()
    assert SpotifyClient(connected_user).me()["id"] == "sandbox-demo"
    assert spotify_sandbox.count("GET", "/v1/me") == 2


def test_revoked_refresh_token_asks_to_reconnect(connected_user, spotify_sandbox, client):
    """A revoked refresh token drops the stored token and the settings page offers to reconnect."""
    spotify_sandbox.expire_access_tokens()
    spotify_sandbox.revoke_refresh_tokens()
    with pytest.raises(ReconnectSpotify):
        SpotifyClient(connected_user).me()
    assert not SocialToken.objects.exists() and SocialAccount.objects.exists()
    client.force_login(connected_user)
    assert "Reconnect Spotify" in client.get("/settings/").text


def test_rate_limit_is_raised_at_once_with_retry_after(connected_user, spotify_sandbox):
    """A 429 is not slept through: the caller gets Retry-After at once."""
    spotify_sandbox.fault(path="/v1/me", status=429, retry_after=30, times=1)
    with pytest.raises(RateLimited) as error:
        SpotifyClient(connected_user).me()
    assert error.value.retry_after == 30 and "try again in 30 s" in str(error.value)


def test_server_errors_on_safe_calls_are_retried(connected_user, spotify_sandbox):
    """A 503 on a read is retried with backoff and then succeeds."""
    spotify_sandbox.fault(path="/v1/me", status=503, times=1)
    assert SpotifyClient(connected_user).me()["id"] == "sandbox-demo"


def test_server_errors_on_create_are_not_repeated(connected_user, spotify_sandbox):
    """Creating a playlist is never repeated blindly: a 500 is reported, and no playlist appears twice."""
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=500, times=1)
    with pytest.raises(SpotifyUnavailable):
        SpotifyClient(connected_user).create_playlist("x", "", public=False)
    assert spotify_sandbox.count("POST", "/v1/me/playlists") == 1


def test_user_without_spotify_is_not_connected(user):
    """Without a Spotify link the client says so."""
    with pytest.raises(SpotifyNotConnected):
        SpotifyClient(user)


def test_tokens_never_reach_the_logs(connected_user, spotify_sandbox, caplog):
    """Even at DEBUG, no log line carries the access token."""
    access = decrypt(SocialToken.objects.values_list("token", flat=True).get())
    spotify_sandbox.fault(path="/v1/me", status=404, times=1)
    with caplog.at_level(logging.DEBUG):
        client = SpotifyClient(connected_user)
        client.top_tracks("short_term")
        with pytest.raises(NotFound):
            client.me()
    assert access not in caplog.text


def test_settings_page_shows_connection_and_disconnects(connected_user, spotify_sandbox, client):
    """Settings show who is connected; disconnecting removes the link and its tokens, nothing else."""
    client.force_login(connected_user)
    assert "Disconnect Spotify" in client.get("/settings/").text
    response = client.post("/settings/spotify/disconnect/")
    assert response.status_code == 302
    assert not SocialAccount.objects.exists() and not SocialToken.objects.exists()
    assert "Connect Spotify" in client.get("/settings/").text


def test_login_page_offers_continue_with_spotify(client, db):
    """The sign-in page has a Continue with Spotify button that posts to the provider."""
    text = client.get("/accounts/login/").text
    assert "Continue with Spotify" in text and 'action="/accounts/spotify/login/?process=login"' in text


def test_refresh_uses_the_token_another_process_just_got(connected_user, spotify_sandbox):
    """Two processes with the same expired token: the second one to refresh takes the first one's new token."""
    SocialToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    mine, theirs = stored(connected_user), stored(connected_user)
    refreshed = refresh_access_token(theirs)
    assert refresh_access_token(mine).token == refreshed.token
    assert spotify_sandbox.count("POST", "/api/token") == 1


def test_token_our_keys_cannot_open_asks_to_reconnect(connected_user, spotify_sandbox, settings):
    """After the keys changed, a stored access token is unreadable: Reconnect Spotify, the token dropped, no 500."""
    from cryptography.fernet import Fernet

    settings.TOKEN_ENCRYPTION_KEYS = Fernet.generate_key().decode()
    with pytest.raises(ReconnectSpotify):
        SpotifyClient(connected_user).me()
    assert not SocialToken.objects.exists() and SocialAccount.objects.exists()
    assert spotify_sandbox.requests == []


def test_refresh_token_our_keys_cannot_open_asks_to_reconnect(connected_user, spotify_sandbox, settings):
    """An expired token whose refresh token is unreadable: Reconnect Spotify, and the token is dropped."""
    from cryptography.fernet import Fernet

    SocialToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    settings.TOKEN_ENCRYPTION_KEYS = Fernet.generate_key().decode()
    with pytest.raises(ReconnectSpotify):
        SpotifyClient(connected_user).me()
    assert not SocialToken.objects.exists()


def test_library_contains_tells_a_deleted_playlist(connected_user, spotify_sandbox):
    """GET /me/library/contains says whether the user still has a playlist: False once they deleted it."""
    client = SpotifyClient(connected_user)
    playlist = client.create_playlist("x", "", public=False)
    uri = f"spotify:playlist:{playlist['id']}"
    assert client.library_contains([uri]) == [True]
    spotify_sandbox.delete_playlist(playlist["id"])
    assert client.library_contains([uri]) == [False]
    assert client.playlist(playlist["id"]) is not None  # as in Spotify, the owner still reads it


def test_my_playlists_pages_through_every_playlist(connected_user, spotify_sandbox):
    """Offset paging goes on until Spotify has no next page: 60 new playlists and the 4 followed are all read."""
    client = SpotifyClient(connected_user)
    for number in range(60):
        client.create_playlist(f"Run {number}", "", public=False)
    assert len(list(client.my_playlists())) == 64
    assert client.calls["GET /me/playlists"] == 2


def test_user_who_signed_up_with_spotify_cannot_disconnect_it(connected_user, spotify_sandbox, client):
    """Without a password, disconnecting would lock them out: refused, with a link to set a password."""
    connected_user.set_unusable_password()
    connected_user.save()
    client.force_login(connected_user)
    page = client.get("/settings/").text
    assert "Disconnect Spotify" not in page and 'href="/accounts/password/set/"' in page
    response = client.post("/settings/spotify/disconnect/", follow=True)
    assert SocialAccount.objects.exists() and SocialToken.objects.exists()
    assert 'You sign in with Spotify, so disconnecting it would lock you out. <a href="/accounts/password/set/">' in (
        response.text
    )


def test_after_disconnecting_the_sync_status_does_not_ask_to_reconnect(connected_user, spotify_sandbox, client, htmx):
    """A past sync stays, but once disconnected the status offers to connect, not to reconnect."""
    SpotifySync.objects.create(user=connected_user, status="done")
    client.force_login(connected_user)
    client.post("/settings/spotify/disconnect/")
    fragment = htmx.get("/music/sync/status/").text
    assert "no longer accepts our access" not in fragment and "Connect Spotify" in fragment
