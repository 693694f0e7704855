"""The Content-Security-Policy header: on every response, from our own origin, nothing inline."""

import re

import pytest
from django.urls import reverse

from tests.factories import TrackFactory, UserFactory
from tests.mixes.test_taste_profile import listen

SANDBOX = "http://127.0.0.1:9999"
INLINE = re.compile(r"\sstyle=|<script(?![^>]*\bsrc=)[^>]*>\s*\S|\son[a-z]+=|\shx-on")  # what needs 'unsafe-inline'


def directives(response) -> dict[str, list[str]]:
    """The enforced policy of a response, directive by directive."""
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


@pytest.fixture
def sandbox_mode(settings):
    """The app pointed at a sandbox on another port, as the tests' sandbox fixture does."""
    settings.SPOTIFY_REAL = False
    settings.SPOTIFY_SANDBOX_URL = SANDBOX
    settings.SPOTIFY_ACCOUNTS_URL = SANDBOX


@pytest.fixture
def real_spotify(settings):
    """The app pointed at real Spotify."""
    settings.SPOTIFY_REAL = True
    settings.SPOTIFY_ACCOUNTS_URL = "https://accounts.spotify.com"


@pytest.mark.django_db
def test_sign_in_page_has_the_policy(client):
    """The sign-in page carries the policy's fixed directives."""
    policy = directives(client.get("/accounts/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_policy_allows_nothing_inline_and_no_eval(user_client):
    """No directive of a signed-in page allows 'unsafe-inline', 'unsafe-eval' or 'unsafe-hashes'."""
    policy = user_client.get("/").headers["Content-Security-Policy"]
    assert not re.search(r"'unsafe-(inline|eval|hashes)'", policy)


@pytest.mark.django_db
def test_images_come_from_us_data_urls_and_spotify(user_client, real_spotify):
    """With real Spotify, img-src is our origin, data: URLs and Spotify's cover hosts, nothing else."""
    policy = directives(user_client.get("/"))
    assert policy["img-src"] == [
        "'self'",
        "data:",
        "https://i.scdn.co",
        "https://*.spotifycdn.com",
        "https://mosaic.scdn.co",
    ]


@pytest.mark.django_db
def test_sandbox_covers_are_allowed_in_sandbox_mode(user_client, sandbox_mode):
    """In sandbox mode img-src adds the sandbox's origin (it serves the covers)."""
    assert SANDBOX in directives(user_client.get("/"))["img-src"]


@pytest.mark.django_db
def test_forms_may_go_to_spotify_sign_in(client, real_spotify):
    """With real Spotify, form-action is our origin and Spotify's accounts host (the OAuth redirect)."""
    assert directives(client.get("/accounts/login/"))["form-action"] == ["'self'", "https://accounts.spotify.com"]


@pytest.mark.django_db
def test_forms_may_go_to_the_sandbox_in_sandbox_mode(client, sandbox_mode):
    """In sandbox mode form-action is our origin and the sandbox (its sign-in page), not Spotify."""
    assert directives(client.get("/accounts/login/"))["form-action"] == ["'self'", SANDBOX]


@pytest.mark.django_db
def test_spotify_login_redirects_to_the_accounts_host_form_action_allows(client, sandbox_mode):
    """ "Continue with Spotify" posts to our URL and is redirected to the host form-action names."""
    response = client.post("/accounts/spotify/login/")
    assert response.status_code == 302 and response.url.startswith(f"{SANDBOX}/authorize")
    assert SANDBOX in directives(response)["form-action"]


@pytest.mark.django_db
def test_htmx_fragments_carry_the_policy(user_client, htmx):
    """An htmx fragment answer carries the same header."""
    assert "default-src 'self'" in htmx.get("/music/artists/?q=a").headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_admin_has_the_same_policy(client):
    """The admin change pages get the site's policy, with no exception for inline script."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/auth/user/add/")
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_screen_1_has_nothing_inline(user_client):
    """Screen 1 (with its plan timeline) has no style attribute, inline script, on* handler or hx-on attribute."""
    assert not INLINE.search(user_client.get("/").text)


@pytest.mark.django_db
def test_taste_page_draws_genre_bars_without_inline_style(user_client, user):
    """With a history, the genre bars are SVG rects sized by attribute, and nothing on the page is inline."""
    listen(user, TrackFactory.create_batch(3, genre="pop"), times=2)
    html = user_client.get(reverse("mixes:taste")).text
    assert '<rect height="100%" width="100.0%"' in html
    assert not INLINE.search(html)
