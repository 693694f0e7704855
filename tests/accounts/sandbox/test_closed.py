import pytest

PLAYLIST = "ReAqb3TfrKfu4RLYrDryUm"  # any id: a closed path answers 403 before looking
TRACK = "4iV5W9uYEdYUVa79Axb7Rh"

CLOSED = [
    ("GET", f"/v1/audio-features/{TRACK}"),
    ("GET", f"/v1/audio-analysis/{TRACK}"),
    ("GET", f"/v1/recommendations?seed_tracks={TRACK}"),
    ("GET", "/v1/artists/0TnOYISbd1XYRBk9myaseg/related-artists"),
    ("GET", "/v1/artists/0TnOYISbd1XYRBk9myaseg/top-tracks"),
    ("GET", f"/v1/tracks?ids={TRACK}"),
    ("GET", "/v1/users/sandbox-demo/playlists"),
    ("POST", "/v1/users/sandbox-demo/playlists"),
    ("GET", f"/v1/playlists/{PLAYLIST}/tracks"),
    ("POST", f"/v1/playlists/{PLAYLIST}/tracks"),
    ("PUT", f"/v1/playlists/{PLAYLIST}/tracks"),
    ("DELETE", f"/v1/playlists/{PLAYLIST}/tracks"),
]


@pytest.mark.parametrize(("method", "path"), CLOSED)
def test_closed_endpoint_answers_403_and_is_reported_deprecated(api, spotify_sandbox, method, path):
    """Each endpoint closed to the app answers 403 in Spotify's shape; the call is a deprecated-call violation."""
    answer = api(method, path, json={"name": "x", "uris": []} if method != "GET" else None)
    assert answer.status_code == 403
    assert answer.json()["error"]["status"] == 403 and answer.json()["error"]["message"]
    assert any("deprecated" in violation.message for violation in spotify_sandbox.violations)
    spotify_sandbox.violations.clear()


def test_one_audio_features_probe_is_allowed(api, spotify_sandbox):
    """The app may probe GET /audio-features once to learn it is closed: 403, and no violation."""
    answer = api.get("/v1/audio-features", params={"ids": TRACK})
    assert answer.status_code == 403
    assert spotify_sandbox.violations == []


def test_asking_audio_features_again_is_reported(api, spotify_sandbox):
    """A second probe means the app did not remember the 403: that is reported."""
    api.get("/v1/audio-features", params={"ids": TRACK})
    api.get("/v1/audio-features", params={"ids": TRACK})
    (violation,) = spotify_sandbox.violations
    assert "allowed 1 time(s)" in violation.message and "this is call 2" in violation.message
    spotify_sandbox.violations.clear()
