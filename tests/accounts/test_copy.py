"""allauth's messages in plain words, and the sign-in page telling how to try the demo."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.template.loader import render_to_string

from music import demo

pytestmark = pytest.mark.django_db
LOOPBACK = {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000"}


def test_signing_in_says_signed_in(client, user):
    """Signing in with a password says "Signed in.", not "Successfully signed in as …"."""
    response = client.post("/accounts/login/", {"login": user.username, "password": "correct-horse-battery"})
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["Signed in."]


def test_connecting_spotify_says_spotify_is_connected(user_client, spotify_sandbox):
    """Connecting Spotify from the settings ends with "Spotify is connected."."""
    to_spotify = user_client.post("/accounts/spotify/login/?process=connect", **LOOPBACK)
    query = {name: values[0] for name, values in parse_qs(urlsplit(to_spotify["Location"]).query).items()}
    agreed = requests.post(
        f"{spotify_sandbox.url}/authorize",
        data={**query, "account": "sandbox-demo", "action": "agree"},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(agreed.headers["Location"])
    response = user_client.get(f"{back.path}?{back.query}", **LOOPBACK)
    assert "Spotify is connected." in [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("socialaccount/messages/account_connected.txt", "Spotify is connected."),
        ("socialaccount/messages/account_connected_updated.txt", "Spotify is connected."),
        ("socialaccount/messages/account_disconnected.txt", "Spotify is disconnected."),
        ("account/messages/logged_out.txt", "Signed out."),
    ],
)
def test_allauth_messages_name_spotify_in_plain_words(template, words):
    """allauth's message templates are ours: no "third-party account", no "Successfully"."""
    assert render_to_string(template).strip() == words


def test_sign_in_page_tells_how_to_try_the_demo(client):
    """With the demo user there (the embedded default), the sign-in page gives its username and password."""
    demo.create_demo_user()
    text = client.get("/accounts/login/").text
    assert 'id="try-the-demo"' in text and demo.USERNAME in text and demo.PASSWORD in text


def test_sign_in_page_without_a_demo_user_says_nothing_of_it(client):
    """Without the demo user, no demo password is shown."""
    assert demo.PASSWORD not in client.get("/accounts/login/").text
