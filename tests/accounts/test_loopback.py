"""In development, localhost is sent to 127.0.0.1 (Spotify's redirect URIs accept only the loopback IP)."""

import pytest

pytestmark = pytest.mark.django_db


def test_localhost_get_is_redirected_to_127_0_0_1(client, settings):
    """With DEBUG on, a page on localhost:8000 redirects to the same path and query on 127.0.0.1:8000."""
    settings.DEBUG = True
    response = client.get("/accounts/login/?next=/plans/", HTTP_HOST="localhost:8000")
    assert response.status_code == 307
    assert response["Location"] == "http://127.0.0.1:8000/accounts/login/?next=/plans/"


def test_localhost_post_keeps_its_method(client, settings):
    """A POST is redirected with 307, so the browser posts again to 127.0.0.1."""
    settings.DEBUG = True
    response = client.post("/accounts/spotify/login/?process=login", HTTP_HOST="localhost:8000")
    assert response.status_code == 307 and response["Location"].startswith("http://127.0.0.1:8000/accounts/spotify/")


def test_localhost_without_a_port(client, settings):
    """localhost on the default port goes to 127.0.0.1 with no port."""
    settings.DEBUG = True
    assert client.get("/", HTTP_HOST="localhost")["Location"] == "http://127.0.0.1/"


def test_127_0_0_1_is_served(client, settings):
    """A request already on 127.0.0.1 is served as usual."""
    settings.DEBUG = True
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 200


def test_localhost_is_served_when_debug_is_off(client, settings):
    """In production (DEBUG off) the host is left alone."""
    settings.DEBUG = False
    assert client.get("/accounts/login/", HTTP_HOST="localhost:8000").status_code == 200
