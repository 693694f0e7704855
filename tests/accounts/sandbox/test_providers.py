import requests


def reccobeats(sandbox, *ids: str, **params) -> requests.Response:
    query = {"ids": ",".join(ids), **params} if ids else params
    return requests.get(f"{sandbox.url}/reccobeats/v1/audio-features", params=query, timeout=5)


def test_reccobeats_answers_features_keyed_by_spotify_href(spotify_sandbox):
    """Each row has ReccoBeats' own id and the Spotify link of the track, and the audio features."""
    song = next(song for song in spotify_sandbox.catalog if song["reccobeats_tempo"] == song["tempo"])
    (row,) = reccobeats(spotify_sandbox, song["id"]).json()["content"]
    assert row["href"] == f"https://open.spotify.com/track/{song['id']}" and row["id"] != song["id"]
    assert (row["tempo"], row["energy"], row["valence"]) == (song["tempo"], song["energy"], song["valence"])
    assert {"acousticness", "danceability", "key", "mode", "loudness"} <= set(row)


def test_reccobeats_leaves_unknown_ids_out(spotify_sandbox):
    """Ids ReccoBeats does not know are absent from the answer, not null."""
    known = [song["id"] for song in spotify_sandbox.catalog if song["reccobeats_tempo"]][:2]
    unknown = next(song["id"] for song in spotify_sandbox.catalog if song["reccobeats_tempo"] is None)
    content = reccobeats(spotify_sandbox, known[0], unknown, known[1]).json()["content"]
    assert [row["href"].rsplit("/", 1)[1] for row in content] == known


def test_reccobeats_takes_repeated_ids(spotify_sandbox):
    """ids may also be repeated (?ids=a&ids=b), as ReccoBeats documents."""
    known = [song["id"] for song in spotify_sandbox.catalog if song["reccobeats_tempo"]][:2]
    answer = requests.get(
        f"{spotify_sandbox.url}/reccobeats/v1/audio-features", params=[("ids", known[0]), ("ids", known[1])], timeout=5
    )
    assert len(answer.json()["content"]) == 2


def test_about_15_percent_unknown_to_reccobeats(spotify_sandbox):
    """Roughly 15% of the catalog is unknown to ReccoBeats, so the next provider gets work."""
    unknown = sum(song["reccobeats_tempo"] is None for song in spotify_sandbox.catalog)
    assert 0.10 <= unknown / len(spotify_sandbox.catalog) <= 0.20


def test_deezer_track_by_isrc(spotify_sandbox):
    """Deezer answers its track object for a known ISRC, bpm included."""
    song = next(song for song in spotify_sandbox.catalog if song["deezer_bpm"])
    track = requests.get(f"{spotify_sandbox.url}/deezer/track/isrc:{song['isrc']}", timeout=5).json()
    assert (track["isrc"], track["title"], track["bpm"]) == (song["isrc"], song["name"], song["tempo"])
    assert track["artist"]["name"] == song["artists"][0] and track["duration"] == round(song["duration_ms"] / 1000)


def test_deezer_unknown_isrc_is_a_200_with_an_error(spotify_sandbox):
    """An unknown ISRC is HTTP 200 with Deezer's DataException body."""
    answer = requests.get(f"{spotify_sandbox.url}/deezer/track/isrc:XX0000000000", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"error": {"type": "DataException", "message": "no data", "code": 800}}


def test_deezer_sometimes_has_bpm_zero(spotify_sandbox):
    """Some tracks Deezer knows come with bpm 0, as Deezer does."""
    song = next(song for song in spotify_sandbox.catalog if song["deezer_bpm"] == 0)
    track = requests.get(f"{spotify_sandbox.url}/deezer/track/isrc:{song['isrc']}", timeout=5).json()
    assert track["bpm"] == 0
