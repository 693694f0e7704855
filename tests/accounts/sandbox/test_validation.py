"""The OpenAPI checks: what the app sends and what the sandbox answers, held to Spotify's published spec."""

import requests


def messages(sandbox) -> list[str]:
    found = [violation.message for violation in sandbox.violations]
    sandbox.violations.clear()
    return found


def test_good_requests_leave_no_violation(api, spotify_sandbox):
    """The calls the app makes, made as the spec describes them, are clean both ways."""
    playlist = api.post("/v1/me/playlists", json={"name": "Clean", "public": False}).json()
    uris = spotify_sandbox.track_uris()[:3]
    assert api.post(f"/v1/playlists/{playlist['id']}/items", json={"uris": uris}).status_code == 201
    assert api("PUT", f"/v1/playlists/{playlist['id']}/items", json={"uris": uris[::-1]}).status_code == 200
    assert api.get(f"/v1/playlists/{playlist['id']}/items", params={"limit": 50, "offset": 0}).status_code == 200
    assert api.get("/v1/me/player/recently-played", params={"limit": 50, "after": 0}).status_code == 200
    assert api.get("/v1/search", params={"q": "track:Hello", "type": "track", "limit": 10}).status_code == 200
    assert spotify_sandbox.violations == []


def test_undeclared_query_parameter_is_refused(api, spotify_sandbox):
    """A query parameter the operation does not declare is a violation, and strict mode says so with a 400."""
    answer = api.get("/v1/me/tracks", params={"limit": 10, "sort": "added"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "sandbox: undeclared query parameter 'sort'"
    assert messages(spotify_sandbox) == ["undeclared query parameter 'sort'"]


def test_token_in_the_query_string_is_reported(spotify_sandbox):
    """?access_token= (what allauth's stock Spotify adapter sends to /me) is not declared: reported."""
    token = spotify_sandbox.issue_token()["access_token"]
    answer = requests.get(f"{spotify_sandbox.url}/v1/me", params={"access_token": token}, timeout=5)
    assert answer.status_code == 400
    assert messages(spotify_sandbox) == ["undeclared query parameter 'access_token'"]


def test_deprecated_path_is_reported(api, spotify_sandbox):
    """/playlists/{id}/tracks is deprecated in the spec: reported, and answered 403 as Spotify does."""
    playlist = api.post("/v1/me/playlists", json={"name": "Old", "public": False}).json()
    answer = api.post(f"/v1/playlists/{playlist['id']}/tracks", json={"uris": spotify_sandbox.track_uris()[:1]})
    assert answer.status_code == 403
    assert messages(spotify_sandbox) == ["POST /playlists/{playlist_id}/tracks is deprecated in the spec"]


def test_malformed_body_is_refused(api, spotify_sandbox):
    """`uris` as a string instead of a list breaks the request body schema."""
    playlist = api.post("/v1/me/playlists", json={"name": "Bad", "public": False}).json()
    answer = api.post(f"/v1/playlists/{playlist['id']}/items", json={"uris": spotify_sandbox.track_uris()[0]})
    assert answer.status_code == 400 and answer.json()["error"]["message"].startswith("sandbox: ")
    (message,) = messages(spotify_sandbox)
    assert "uris" in message and "is not of type 'array'" in message


def test_missing_required_field_is_refused(api, spotify_sandbox):
    """Creating a playlist without `name` breaks the schema."""
    assert api.post("/v1/me/playlists", json={"public": False}).status_code == 400
    assert "'name' is a required property" in messages(spotify_sandbox)[0]


def test_unknown_path_is_refused(api, spotify_sandbox):
    """A path the spec does not have is a violation."""
    assert api.get("/v1/me/workouts").status_code == 400
    assert messages(spotify_sandbox) == ["/me/workouts is not a path in the spec"]


def test_method_the_spec_lacks_is_refused(api, spotify_sandbox):
    """A method the spec does not have for a known path is a violation."""
    assert api("PATCH", "/v1/me/playlists", json={}).status_code == 400
    assert messages(spotify_sandbox) == ["the spec has no PATCH /me/playlists"]


def test_trailing_slash_is_the_same_path(api, spotify_sandbox):
    """/v1/me/ (what spotipy's me() sends) is /v1/me, as Spotify treats it."""
    assert api.get("/v1/me/").status_code == 200
    assert spotify_sandbox.violations == []


def test_outside_strict_mode_the_violation_is_recorded_and_served(api, spotify_sandbox):
    """strict=False serves the request like Spotify would and keeps the violation."""
    spotify_sandbox.strict = False
    assert api.get("/v1/me/tracks", params={"sort": "added"}).status_code == 200
    assert messages(spotify_sandbox) == ["undeclared query parameter 'sort'"]


def test_a_bad_sandbox_answer_would_be_caught(spotify_sandbox):
    """The answer check flags a body that breaks the schema (it keeps the sandbox honest)."""
    problems = spotify_sandbox.checker.check_response("GET", "/v1/me", 200, b'{"id": 5}', "application/json")
    assert problems and "is not of type 'string'" in problems[0]


def test_an_error_answer_must_have_spotifys_shape(spotify_sandbox):
    """A status the spec does not list (400, 404, 5xx) must still be {"error": {"status", "message"}}."""
    checker = spotify_sandbox.checker
    assert checker.check_response("GET", "/v1/me", 404, b'{"error": {"status": 404, "message": "x"}}', "") == []
    assert checker.check_response("GET", "/v1/me", 404, b'{"oops": 1}', "") != []
