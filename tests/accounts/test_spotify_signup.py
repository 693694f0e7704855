"""Signing up with Spotify as a development-mode app in 2026: /me gives no email."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from music.models import SpotifySync

pytestmark = pytest.mark.django_db
LOOPBACK = {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000"}  # Spotify redirects only to 127.0.0.1


def sign_in_with_spotify(client, sandbox):
    """Continue with Spotify → Agree on the sandbox's consent page → back to the app; the final response."""
    to_spotify = client.post("/accounts/spotify/login/?process=login", **LOOPBACK)
    query = {name: values[0] for name, values in parse_qs(urlsplit(to_spotify["Location"]).query).items()}
    agreed = requests.post(
        f"{sandbox.url}/authorize",
        data={**query, "account": "sandbox-demo", "action": "agree"},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(agreed.headers["Location"])
    return client.get(f"{back.path}?{back.query}", **LOOPBACK)


def test_continue_with_spotify_signs_up_without_an_email(client, spotify_sandbox):
    """Continue with Spotify → Agree → signed in on Screen 1, without allauth's form asking for an email."""
    response = sign_in_with_spotify(client, spotify_sandbox)
    assert response.status_code == 302 and response["Location"] == "/"
    account = SocialAccount.objects.get(provider="spotify", uid="sandbox-demo")
    assert account.user.email == "" and "email" not in account.extra_data


@pytest.mark.django_db(transaction=True)
def test_signing_up_with_spotify_syncs_the_history_once(client, spotify_sandbox):
    """Signing up fires several allauth signals; the history is synced once, and says what it holds.

    Without a test transaction, as in a real request: each queued sync runs at once (no worker).
    """
    sign_in_with_spotify(client, spotify_sandbox)
    sync = SpotifySync.objects.get()
    assert sync.status == "done" and sync.plays_added > 0
    assert f"Synced {sync.plays_added} plays ({sync.plays_added} new)" in sync.message
