import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

CLIENT = ("session-mix-sandbox", "sandbox-secret")
REDIRECT = "http://127.0.0.1:8000/accounts/spotify/login/callback/"
SCOPES = "user-read-recently-played user-top-read playlist-modify-private"


def authorize(sandbox, **params) -> requests.Response:
    query = {"client_id": CLIENT[0], "response_type": "code", "redirect_uri": REDIRECT, "scope": SCOPES, "state": "s1"}
    return requests.get(f"{sandbox.url}/authorize", params={**query, **params}, timeout=5)


def consent(sandbox, action="agree", **fields) -> requests.Response:
    form = {
        "client_id": CLIENT[0],
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "s1",
        "account": "sandbox-demo",
        "action": action,
    }
    return requests.post(f"{sandbox.url}/authorize", data={**form, **fields}, allow_redirects=False, timeout=5)


def redirected(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def exchange(sandbox, code: str, redirect_uri: str = REDIRECT, auth=CLIENT, **extra) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}
    return requests.post(f"{sandbox.url}/api/token", data=data, auth=auth, timeout=5)


def refresh(sandbox, refresh_token: str) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return requests.post(f"{sandbox.url}/api/token", data=data, auth=CLIENT, timeout=5)


def test_consent_page_shows_app_scopes_accounts_and_buttons(spotify_sandbox):
    """The authorize page names the app, lists the scopes asked for and offers the sandbox accounts."""
    page = authorize(spotify_sandbox)
    assert page.status_code == 200
    assert "<title>Spotify sandbox</title>" in page.text
    assert "Session Mix" in page.text
    assert "Access your recently played items" in page.text and "user-top-read" in page.text
    assert 'value="sandbox-demo" checked' in page.text and "New Runner" in page.text
    assert ">Agree</button>" in page.text and ">Cancel</button>" in page.text
    assert 'method="post" action="/authorize"' in page.text


def test_agree_redirects_with_code_and_state(spotify_sandbox):
    """Agree sends the browser back to the app with a code and the state it sent."""
    params = redirected(consent(spotify_sandbox))
    assert params["state"] == "s1" and params["code"]


def test_cancel_redirects_with_access_denied(spotify_sandbox):
    """Cancel sends the browser back with error=access_denied and the state."""
    assert redirected(consent(spotify_sandbox, action="cancel")) == {"error": "access_denied", "state": "s1"}


def test_code_buys_a_token_for_the_chosen_account(spotify_sandbox):
    """The code is exchanged for a Bearer token of the account chosen on the consent page."""
    code = redirected(consent(spotify_sandbox, account="sandbox-newbie"))["code"]
    answer = exchange(spotify_sandbox, code).json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600
    assert answer["scope"] == SCOPES and answer["refresh_token"]
    me = requests.get(
        f"{spotify_sandbox.url}/v1/me", headers={"Authorization": f"Bearer {answer['access_token']}"}, timeout=5
    )
    assert me.json()["display_name"] == "New Runner"


def test_client_credentials_may_come_in_the_body(spotify_sandbox):
    """client_id and client_secret in the form work as well as HTTP Basic."""
    code = redirected(consent(spotify_sandbox))["code"]
    answer = exchange(spotify_sandbox, code, auth=None, client_id=CLIENT[0], client_secret=CLIENT[1])
    assert answer.status_code == 200


def test_code_is_single_use(spotify_sandbox):
    """A code already exchanged is an invalid grant."""
    code = redirected(consent(spotify_sandbox))["code"]
    exchange(spotify_sandbox, code)
    again = exchange(spotify_sandbox, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_code_is_bound_to_its_redirect_uri(spotify_sandbox):
    """Exchanging a code with another redirect_uri is an invalid grant."""
    code = redirected(consent(spotify_sandbox))["code"]
    answer = exchange(spotify_sandbox, code, redirect_uri="http://127.0.0.1:9999/elsewhere/")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_wrong_secret_is_invalid_client(spotify_sandbox):
    """A wrong client secret is refused as invalid_client."""
    code = redirected(consent(spotify_sandbox))["code"]
    answer = exchange(spotify_sandbox, code, auth=(CLIENT[0], "guess"))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"


def test_pkce_verifier_is_checked(spotify_sandbox):
    """With an S256 code_challenge, only the matching code_verifier gets a token."""
    verifier = "a-long-random-verifier-string-for-the-sandbox-test-0123456789"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    fields = {"code_challenge": challenge, "code_challenge_method": "S256"}
    wrong = redirected(consent(spotify_sandbox, **fields))["code"]
    assert exchange(spotify_sandbox, wrong, code_verifier="nope").status_code == 400
    right = redirected(consent(spotify_sandbox, **fields))["code"]
    assert exchange(spotify_sandbox, right, code_verifier=verifier).status_code == 200


def test_refresh_gives_a_new_access_token_and_keeps_the_refresh_token(spotify_sandbox):
    """A refresh answers a new access token, the same refresh token and the granted scopes."""
    first = spotify_sandbox.issue_token()
    answer = refresh(spotify_sandbox, first["refresh_token"]).json()
    assert answer["access_token"] != first["access_token"]
    assert answer["refresh_token"] == first["refresh_token"] and answer["expires_in"] == 3600


def test_revoked_refresh_token_is_invalid_grant(spotify_sandbox):
    """After revocation a refresh answers 400 invalid_grant "Refresh token revoked", as Spotify does."""
    token = spotify_sandbox.issue_token()
    spotify_sandbox.revoke_refresh_tokens()
    answer = refresh(spotify_sandbox, token["refresh_token"])
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://localhost:8000/callback/", "http://example.com/callback/", "http://192.168.1.2:8000/callback/"],
)
def test_insecure_redirect_uri_is_refused(spotify_sandbox, redirect_uri):
    """Plain http is only for a loopback IP: localhost and LAN addresses get Spotify's 400 page."""
    page = authorize(spotify_sandbox, redirect_uri=redirect_uri)
    assert page.status_code == 400 and "INVALID_CLIENT: Insecure redirect URI" in page.text


@pytest.mark.parametrize("redirect_uri", ["https://mix.example.com/callback/", "http://[::1]:8000/callback/"])
def test_secure_and_loopback_redirect_uris_are_accepted(spotify_sandbox, redirect_uri):
    """https anywhere and http on a loopback IP are accepted."""
    assert authorize(spotify_sandbox, redirect_uri=redirect_uri).status_code == 200


def test_unknown_client_is_refused(spotify_sandbox):
    """A client id the sandbox does not know gets Spotify's INVALID_CLIENT page."""
    page = authorize(spotify_sandbox, client_id="someone-else")
    assert page.status_code == 400 and "INVALID_CLIENT: Invalid client" in page.text


def test_unknown_scope_redirects_with_invalid_scope(spotify_sandbox):
    """A scope Spotify does not have goes back to the app as error=invalid_scope."""
    response = requests.get(
        f"{spotify_sandbox.url}/authorize",
        params={"client_id": CLIENT[0], "response_type": "code", "redirect_uri": REDIRECT, "scope": "read-minds"},
        allow_redirects=False,
        timeout=5,
    )
    assert redirected(response)["error"] == "invalid_scope"
