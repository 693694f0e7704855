import time

import requests


def test_429_with_retry_after(api, spotify_sandbox):
    """A 429 fault answers Retry-After and Spotify's rate-limit error, once."""
    spotify_sandbox.fault("/v1/me/tracks", status=429, retry_after=3)
    limited = api.get("/v1/me/tracks")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert limited.json() == {"error": {"status": 429, "message": "API rate limit exceeded"}}
    assert api.get("/v1/me/tracks").status_code == 200


def test_quota_exceeded_body(api, spotify_sandbox):
    """A fault can carry Spotify's quota body, reason QUOTA_EXCEEDED."""
    body = {"error": {"status": 429, "reason": "QUOTA_EXCEEDED"}}
    spotify_sandbox.fault("/v1/me/playlists", method="POST", status=429, retry_after=60, body=body)
    answer = api.post("/v1/me/playlists", json={"name": "x", "public": False})
    assert answer.status_code == 429 and answer.json() == body
    assert spotify_sandbox.playlists()[-1]["name"] != "x"


def test_500_on_the_second_add_items_call(api, spotify_sandbox):
    """skip=1 lets the first add through; the second gets a 500; the third works again."""
    playlist = api.post("/v1/me/playlists", json={"name": "x", "public": False}).json()
    spotify_sandbox.fault("/v1/playlists/*/items", method="POST", status=500, skip=1, times=1)
    uris = spotify_sandbox.track_uris()
    statuses = [api.post(f"/v1/playlists/{playlist['id']}/items", json={"uris": [uri]}).status_code for uri in uris[:3]]
    assert statuses == [201, 500, 201]
    assert spotify_sandbox.playlists()[-1]["items"] == [uris[0], uris[2]]


def test_method_filter(api, spotify_sandbox):
    """A fault for POST leaves GET on the same path alone."""
    spotify_sandbox.fault("/v1/me/playlists", method="POST", status=503)
    assert api.get("/v1/me/playlists").status_code == 200


def test_fault_forever(api, spotify_sandbox):
    """times=None hits every matching request."""
    spotify_sandbox.fault("/v1/me", status=503, times=None)
    assert [api.get("/v1/me").status_code for _ in range(3)] == [503, 503, 503]


def test_slow_answer(api, spotify_sandbox):
    """delay_s without a status answers normally, late."""
    spotify_sandbox.fault("/v1/me", delay_s=0.3)
    started = time.monotonic()
    assert api.get("/v1/me").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_faulted_requests_are_logged(api, spotify_sandbox):
    """The request log holds faulted requests with the status they got."""
    spotify_sandbox.fault("/v1/me", status=500)
    api.get("/v1/me")
    assert [(logged.method, logged.path, logged.status) for logged in spotify_sandbox.requests] == [
        ("GET", "/v1/me", 500)
    ]
    assert spotify_sandbox.count("GET", "/v1/*") == 1


def test_fault_on_the_token_endpoint(spotify_sandbox):
    """The accounts service can fail too (503 on a refresh)."""
    token = spotify_sandbox.issue_token()
    spotify_sandbox.fault("/api/token", status=503)
    answer = requests.post(
        f"{spotify_sandbox.url}/api/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=("session-mix-sandbox", "sandbox-secret"),
        timeout=5,
    )
    assert answer.status_code == 503


def test_expired_access_token_is_401_until_refreshed(api, spotify_sandbox):
    """After expire_access_tokens the token answers 401 "The access token expired"; a refresh cures it."""
    token = spotify_sandbox.issue_token()
    spotify_sandbox.expire_access_tokens()
    expired = requests.get(
        f"{spotify_sandbox.url}/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
    )
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}
    fresh = spotify_sandbox.world.refresh(token["refresh_token"])["access_token"]
    again = requests.get(f"{spotify_sandbox.url}/v1/me", headers={"Authorization": f"Bearer {fresh}"}, timeout=5)
    assert again.status_code == 200


def test_faults_over_http(spotify_sandbox):
    """POST /_sandbox/faults takes the same rule as JSON (for the demo and other processes)."""
    rule = {"method": "GET", "path": "/v1/me", "status": 429, "retry_after": 2, "times": 1, "skip": 0}
    assert requests.post(f"{spotify_sandbox.url}/_sandbox/faults", json=rule, timeout=5).status_code == 201
    token = spotify_sandbox.issue_token()["access_token"]
    answer = requests.get(f"{spotify_sandbox.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"


def test_control_endpoints_expire_and_revoke(spotify_sandbox):
    """/_sandbox/expire-tokens and /_sandbox/revoke-refresh-tokens do what the methods do."""
    token = spotify_sandbox.issue_token()
    requests.post(f"{spotify_sandbox.url}/_sandbox/expire-tokens", timeout=5)
    requests.post(f"{spotify_sandbox.url}/_sandbox/revoke-refresh-tokens", timeout=5)
    me = requests.get(
        f"{spotify_sandbox.url}/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
    )
    assert me.status_code == 401
    assert token["refresh_token"] in spotify_sandbox.world.revoked
