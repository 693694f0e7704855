"""Signing up with Spotify as a development-mode app in 2026: /me gives no email."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

pytestmark = pytest.mark.django_db
LOOPBACK = {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000"}  # Spotify redirects only to 127.0.0.1


def test_continue_with_spotify_signs_up_without_an_email(client, spotify_sandbox):
    """Continue with Spotify → Agree → signed in on Screen 1, without allauth's form asking for an email."""
    to_spotify = client.post("/accounts/spotify/login/?process=login", **LOOPBACK)
    query = {name: values[0] for name, values in parse_qs(urlsplit(to_spotify["Location"]).query).items()}
    agreed = requests.post(
        f"{spotify_sandbox.url}/authorize",
        data={**query, "account": "sandbox-demo", "action": "agree"},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(agreed.headers["Location"])
    response = client.get(f"{back.path}?{back.query}", **LOOPBACK)
    assert response.status_code == 302 and response["Location"] == "/"
    account = SocialAccount.objects.get(provider="spotify", uid="sandbox-demo")
    assert account.user.email == "" and "email" not in account.extra_data
