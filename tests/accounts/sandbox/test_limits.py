import requests


def test_search_limit_11_is_400(api, spotify_sandbox):
    """Search allows at most 10: limit=11 is refused, and the request breaks the spec."""
    answer = api.get("/v1/search", params={"q": "love", "type": "track", "limit": 11})
    assert answer.status_code == 400 and "limit" in answer.json()["error"]["message"]
    assert "11 is greater than the maximum of 10" in spotify_sandbox.violations[0].message
    spotify_sandbox.violations.clear()


def test_search_limit_11_outside_strict_mode_answers_like_spotify(api, spotify_sandbox):
    """Outside strict mode the sandbox answers as Spotify does: 400 "Invalid limit" (still recorded)."""
    spotify_sandbox.strict = False
    answer = api.get("/v1/search", params={"q": "love", "type": "track", "limit": 11})
    assert answer.status_code == 400 and answer.json()["error"]["message"] == "Invalid limit"
    assert len(spotify_sandbox.violations) == 1
    spotify_sandbox.violations.clear()


def test_recently_played_limit_51_is_400(api, spotify_sandbox):
    """Recently played gives at most 50 a page."""
    answer = api.get("/v1/me/player/recently-played", params={"limit": 51})
    assert answer.status_code == 400
    assert "51 is greater than the maximum of 50" in spotify_sandbox.violations[0].message
    spotify_sandbox.violations.clear()


def test_adding_101_uris_is_400(api, spotify_sandbox):
    """At most 100 URIs per add-items request (the spec says so only in prose: not a violation)."""
    playlist = api.post("/v1/me/playlists", json={"name": "Long", "public": False}).json()
    answer = api.post(f"/v1/playlists/{playlist['id']}/items", json={"uris": spotify_sandbox.track_uris()[:101]})
    assert answer.status_code == 400 and "maximum of 100" in answer.json()["error"]["message"]
    assert spotify_sandbox.playlists()[-1]["items"] == []


def test_adding_100_uris_is_fine(api, spotify_sandbox):
    """Exactly 100 URIs are added in one request."""
    playlist = api.post("/v1/me/playlists", json={"name": "Long", "public": False}).json()
    answer = api.post(f"/v1/playlists/{playlist['id']}/items", json={"uris": spotify_sandbox.track_uris()[:100]})
    assert answer.status_code == 201 and len(spotify_sandbox.playlists()[-1]["items"]) == 100


def test_reccobeats_41_ids_is_400(spotify_sandbox):
    """ReccoBeats takes at most 40 ids a call."""
    ids = ",".join(song["id"] for song in spotify_sandbox.catalog[:41])
    answer = requests.get(f"{spotify_sandbox.url}/reccobeats/v1/audio-features", params={"ids": ids}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == "size must be between 1 and 40"
