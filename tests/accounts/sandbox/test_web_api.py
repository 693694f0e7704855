from datetime import datetime

import requests


def played_ms(item: dict) -> int:
    return int(datetime.fromisoformat(item["played_at"].replace("Z", "+00:00")).timestamp() * 1000)


def test_me_is_the_demo_runner(api):
    """GET /v1/me describes the demo account."""
    me = api.get("/v1/me").json()
    assert (me["id"], me["display_name"], me["uri"]) == ("sandbox-demo", "Demo Runner", "spotify:user:sandbox-demo")


def test_me_has_no_email_country_or_product(api):
    """As for development-mode apps since February 2026, /me leaves out email, country and product."""
    me = api.get("/v1/me").json()
    assert not {"email", "country", "product"} & set(me)


def test_track_objects_carry_what_the_app_reads(api):
    """Tracks have id, uri, name, artists, album, duration, explicit, ISRC and a Spotify link."""
    track = api.get("/v1/me/tracks", params={"limit": 1}).json()["items"][0]["track"]
    assert track["uri"] == f"spotify:track:{track['id']}" and len(track["id"]) == 22
    assert track["external_ids"]["isrc"] and track["external_urls"]["spotify"].endswith(track["id"])
    assert track["artists"][0]["name"] and track["album"]["name"]
    assert isinstance(track["duration_ms"], int) and isinstance(track["explicit"], bool)
    assert "popularity" not in track and "available_markets" not in track


def test_recently_played_pages_backwards_with_before(api):
    """Fifty plays a page, newest first; `next` continues before the oldest one with no overlap."""
    first = api.get("/v1/me/player/recently-played", params={"limit": 50}).json()
    assert len(first["items"]) == 50
    times = [played_ms(item) for item in first["items"]]
    assert times == sorted(times, reverse=True)
    assert first["cursors"] == {"after": str(times[0]), "before": str(times[-1])}
    second = api.session.get(first["next"], timeout=5).json()
    assert max(played_ms(item) for item in second["items"]) < times[-1]


def test_recently_played_after_a_cursor_returns_only_newer_plays(api):
    """`after` gives the plays after the cursor, so a sync can continue from where it stopped."""
    everything = api.get("/v1/me/player/recently-played", params={"limit": 50}).json()["items"]
    cursor = played_ms(everything[10])
    newer = api.get("/v1/me/player/recently-played", params={"limit": 50, "after": cursor}).json()
    assert [item["played_at"] for item in newer["items"]] == [item["played_at"] for item in everything[:10]]
    assert newer["next"] is None


def test_recently_played_holds_about_150_plays_with_skips(api):
    """Walking the cursor finds ~150 plays, some followed by the next well before they could have ended."""
    plays, url = [], None
    while True:
        page = api.session.get(url, timeout=5) if url else api.get("/v1/me/player/recently-played?limit=50")
        page = page.json()
        plays += page["items"]
        url = page["next"]
        if not url:
            break
    assert 140 <= len(plays) <= 150
    oldest_first = list(reversed(plays))
    skips = [
        play
        for play, following in zip(oldest_first, oldest_first[1:], strict=False)
        if played_ms(following) - played_ms(play) < play["track"]["duration_ms"] * 0.5
    ]
    assert len(skips) >= 5


def test_saved_tracks_page_by_fifty(api):
    """120 saved tracks come in pages of 50, 50 and 20 linked by `next`."""
    sizes, url = [], "/v1/me/tracks?limit=50"
    while url:
        page = (api.get(url) if url.startswith("/") else api.session.get(url, timeout=5)).json()
        sizes.append(len(page["items"]))
        assert page["total"] == 120
        url = page["next"]
    assert sizes == [50, 50, 20]


def test_top_tracks_differ_by_time_range(api):
    """Each time range has its own 50 top tracks."""
    ranges = {}
    for time_range in ("short_term", "medium_term", "long_term"):
        page = api.get("/v1/me/top/tracks", params={"time_range": time_range, "limit": 50}).json()
        assert page["total"] == 50 and len(page["items"]) == 50
        ranges[time_range] = [track["id"] for track in page["items"]]
    assert len({tuple(ids) for ids in ranges.values()}) == 3


def test_newbie_has_a_smaller_history(newbie_api):
    """The second account has its own, smaller history."""
    plays = newbie_api.get("/v1/me/player/recently-played", params={"limit": 50}).json()["items"]
    saved = newbie_api.get("/v1/me/tracks", params={"limit": 50}).json()
    assert 0 < len(plays) <= 20 and saved["total"] == 10


def test_search_finds_by_track_and_artist_filters(api, spotify_sandbox):
    """track: and artist: filters (quoted or not) find the catalog song first."""
    answer = api.get("/v1/search", params={"q": 'track:"Blinding Lights" artist:"The Weeknd"', "type": "track"})
    first = answer.json()["tracks"]["items"][0]
    assert first["name"] == "Blinding Lights" and first["artists"][0]["name"] == "The Weeknd"


def test_search_free_text_pages_by_at_most_ten(api):
    """Free text matches title, artist or album; `limit` 10 gives ten and a `next`."""
    page = api.get("/v1/search", params={"q": "the", "type": "track", "limit": 10}).json()["tracks"]
    assert len(page["items"]) == 10 and page["total"] > 10 and page["next"]


def test_search_by_isrc(api, spotify_sandbox):
    """isrc: finds exactly that recording."""
    song = spotify_sandbox.catalog[7]
    items = api.get("/v1/search", params={"q": f"isrc:{song['isrc']}", "type": "track"}).json()["tracks"]["items"]
    assert [item["id"] for item in items] == [song["id"]]


def test_search_without_match_is_empty(api):
    """A query nothing matches answers an empty page."""
    page = api.get("/v1/search", params={"q": "zzqxj nothing", "type": "track", "limit": 5}).json()["tracks"]
    assert page["items"] == [] and page["total"] == 0


def test_single_track_is_still_open(api, spotify_sandbox):
    """GET /v1/tracks/{id} answers the track."""
    song = spotify_sandbox.catalog[0]
    assert api.get(f"/v1/tracks/{song['id']}").json()["name"] == song["name"]


def test_unknown_track_is_404(api):
    """A well-formed id that is not in the catalog is a 404."""
    assert api.get("/v1/tracks/0000000000000000000000").status_code == 404


def test_missing_token_is_401(spotify_sandbox):
    """No Authorization header: 401 "No token provided"."""
    answer = requests.get(f"{spotify_sandbox.url}/v1/me", timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["message"] == "No token provided"


def test_unknown_token_is_401(spotify_sandbox):
    """A token the sandbox never issued: 401 "Invalid access token"."""
    answer = requests.get(f"{spotify_sandbox.url}/v1/me", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["message"] == "Invalid access token"


def test_missing_scope_is_403(spotify_sandbox):
    """A token without user-read-recently-played cannot read the history."""
    token = spotify_sandbox.issue_token(scopes=("user-top-read",))["access_token"]
    answer = requests.get(
        f"{spotify_sandbox.url}/v1/me/player/recently-played",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 403 and answer.json()["error"]["message"] == "Insufficient client scope"
