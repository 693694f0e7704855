"""spotipy 2.26 against the sandbox: what its methods send, held to the spec.

Findings: current_user() sends GET /me/ (trailing slash, fine); current_user_playlist_create
posts to /me/playlists; playlist_add_items uses /items but posts a bare JSON array, which the
spec's body schema (an object with `uris`) rejects; audio_features() sends /audio-features/?ids=.
"""

import pytest
import spotipy


@pytest.fixture
def sp(spotify_sandbox) -> spotipy.Spotify:
    client = spotipy.Spotify(
        auth=spotify_sandbox.issue_token()["access_token"], requests_timeout=5, retries=0, status_retries=0
    )
    client.prefix = spotify_sandbox.url + "/v1/"
    return client


def test_current_user(sp, spotify_sandbox):
    """current_user() (GET /me/) answers the demo profile, cleanly."""
    assert sp.current_user()["id"] == "sandbox-demo"
    assert spotify_sandbox.requests[-1].path == "/v1/me"


def test_current_user_playlist_create_posts_to_me_playlists(sp, spotify_sandbox):
    """current_user_playlist_create uses POST /me/playlists, not the closed /users/{id}/playlists."""
    playlist = sp.current_user_playlist_create("Spotipy Run", public=False, description="made by spotipy")
    assert playlist["owner"]["id"] == "sandbox-demo"
    assert spotify_sandbox.count("POST", "/v1/me/playlists") == 1


def test_playlist_add_items_bare_array_is_flagged(sp, spotify_sandbox):
    """playlist_add_items posts a bare JSON array: the spec wants {"uris": [...]}, so strict mode refuses it."""
    playlist = sp.current_user_playlist_create("Spotipy Run", public=False)
    with pytest.raises(spotipy.SpotifyException) as refused:
        sp.playlist_add_items(playlist["id"], spotify_sandbox.track_uris()[:2])
    assert refused.value.http_status == 400
    (violation,) = spotify_sandbox.violations
    assert violation.path == f"/v1/playlists/{playlist['id']}/items" and "is not of type 'object'" in violation.message
    spotify_sandbox.violations.clear()


def test_adding_items_with_a_uris_object_is_clean(sp, spotify_sandbox):
    """Posting {"uris": [...]} to /items through spotipy's _post is clean and adds in order."""
    playlist = sp.current_user_playlist_create("Spotipy Run", public=False)
    uris = spotify_sandbox.track_uris()[:3]
    sp._post(f"playlists/{playlist['id']}/items", payload={"uris": uris})
    sp.playlist_replace_items(playlist["id"], uris[::-1])
    assert spotify_sandbox.playlists()[-1]["items"] == uris[::-1]


def test_search_with_limit_10(sp):
    """search(q, limit=10, type="track") is within the 2026 limit."""
    result = sp.search('track:"Blinding Lights" artist:"The Weeknd"', limit=10, type="track")
    assert result["tracks"]["items"][0]["name"] == "Blinding Lights"


def test_search_default_limit_is_fine(sp):
    """spotipy's default limit is 10, the most Spotify allows now."""
    assert len(sp.search("love")["tracks"]["items"]) <= 10


def test_recently_played_and_next(sp):
    """current_user_recently_played(limit=50) and sp.next() follow the cursor on the sandbox."""
    page = sp.current_user_recently_played(limit=50)
    older = sp.next(page)
    assert len(page["items"]) == 50 and older["items"][0]["played_at"] < page["items"][-1]["played_at"]


def test_library_reads(sp):
    """Saved tracks, top tracks, playlists and playlist items read cleanly."""
    assert sp.current_user_saved_tracks(limit=50)["total"] == 120
    assert sp.current_user_top_tracks(limit=50, time_range="long_term")["total"] == 50
    mine = sp.current_user_playlists(limit=50)["items"]
    own = next(playlist for playlist in mine if playlist["owner"]["id"] == "sandbox-demo")
    assert sp.playlist_items(own["id"], limit=50)["total"] == own["items"]["total"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_audio_features_probe_is_403(sp, spotify_sandbox):
    """audio_features() (GET /audio-features/?ids=) is refused with 403; one probe is allowed."""
    with pytest.raises(spotipy.SpotifyException) as refused:
        sp.audio_features([spotify_sandbox.catalog[0]["id"]])
    assert refused.value.http_status == 403
    assert spotify_sandbox.violations == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_user_playlist_create_is_closed(sp, spotify_sandbox):
    """The old user_playlist_create posts to /users/{id}/playlists: 403, and a deprecated call."""
    with pytest.raises(spotipy.SpotifyException) as refused:
        sp.user_playlist_create("sandbox-demo", "Old Way")
    assert refused.value.http_status == 403
    assert "deprecated" in spotify_sandbox.violations[0].message
    spotify_sandbox.violations.clear()


def test_current_user_unfollow_playlist_is_deprecated(sp, spotify_sandbox):
    """current_user_unfollow_playlist uses DELETE /playlists/{id}/followers, deprecated: strict mode refuses it."""
    playlist = sp.current_user_playlist_create("Spotipy Run", public=False)
    with pytest.raises(spotipy.SpotifyException):
        sp.current_user_unfollow_playlist(playlist["id"])
    assert "followers is deprecated" in spotify_sandbox.violations[0].message
    spotify_sandbox.violations.clear()
