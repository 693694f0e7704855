"""Stand-ins for the two audio-feature providers after Spotify: ReccoBeats and Deezer.

ReccoBeats, `GET /reccobeats/v1/audio-features?ids=` (for https://api.reccobeats.com/v1/audio-features):
the shape is the one ReccoBeats documents (reccobeats.com/docs/apis/get-audio-features and
/docs/documentation/request-and-response) and that public clients record from the live API
(2025-2026): `{"content": [{"id": <ReccoBeats UUID>, "href": "https://open.spotify.com/track/<Spotify id>",
"isrc", "acousticness", "danceability", "energy", "instrumentalness", "key", "liveness", "loudness",
"mode", "speechiness", "tempo", "valence"}]}`, no `time_signature`. Ids may be comma-separated or
repeated; unknown ids are simply left out (no nulls, no positional alignment: map rows back by
`href`); more than 40 ids is a 400 with `{"status": 4004, "errors": [{"message": "size must be
between 1 and 40"}]}`, as a public client quotes it. No authentication. About 15% of the sandbox
catalog is unknown to it, and about 5% of what it knows comes back at half the tempo.

Deezer, `GET /deezer/track/isrc:{ISRC}` (for https://api.deezer.com/track/isrc:{ISRC}): Deezer's
track object (`id`, `title`, `isrc`, `duration` in seconds, `bpm`, `artist`, `album`, ...). An
unknown ISRC is still HTTP 200, with `{"error": {"type": "DataException", "message": "no data",
"code": 800}}`. About 15% of known tracks have `bpm: 0` (Deezer has no estimate for them).
"""

from __future__ import annotations

from accounts.sandbox.catalog import percent
from accounts.sandbox.exchange import Call, Reply, Router
from accounts.sandbox.state import World

RECCOBEATS_MAX_IDS = 40


def _features(song) -> dict:
    """The catalog's values, and stable made-up ones for what the catalog lacks."""

    def spread(name: str, low: float, high: float) -> float:
        return round(low + (high - low) * percent(name, song.id) / 99, 4)

    return {
        "id": song.reccobeats_id,
        "href": f"https://open.spotify.com/track/{song.id}",
        "isrc": song.isrc,
        "acousticness": spread("acousticness", 0.0, 0.6),
        "danceability": song.danceability,
        "energy": song.energy,
        "instrumentalness": spread("instrumentalness", 0.0, 0.2),
        "key": percent("key", song.id) % 12,
        "liveness": spread("liveness", 0.05, 0.35),
        "loudness": spread("loudness", -12.0, -3.0),
        "mode": percent("mode", song.id) % 2,
        "speechiness": spread("speechiness", 0.03, 0.3),
        "tempo": song.reccobeats_tempo,
        "valence": song.valence,
    }


def reccobeats_audio_features(world: World, call: Call) -> Reply:
    ids = [part.strip() for value in call.query.get("ids", []) for part in value.split(",") if part.strip()]
    if not 1 <= len(ids) <= RECCOBEATS_MAX_IDS:
        return Reply(400, {"status": 4004, "errors": [{"message": f"size must be between 1 and {RECCOBEATS_MAX_IDS}"}]})
    songs = [world.songs_by_id.get(track_id) for track_id in dict.fromkeys(ids)]
    return Reply(200, {"content": [_features(song) for song in songs if song and song.reccobeats_id]})


def deezer_track(world: World, call: Call, isrc: str) -> Reply:
    song = world.songs_by_isrc.get(isrc.upper())
    if song is None or song.deezer_id is None:
        return Reply(200, {"error": {"type": "DataException", "message": "no data", "code": 800}})
    artist = song.artists[0]
    artist_id = 1000 + percent("deezer-artist", artist.id) * 10_000 + len(artist.name)
    return Reply(
        200,
        {
            "id": song.deezer_id,
            "readable": True,
            "title": song.name,
            "title_short": song.name,
            "isrc": song.isrc,
            "link": f"https://www.deezer.com/track/{song.deezer_id}",
            "duration": round(song.duration_ms / 1000),
            "track_position": song.track_number,
            "disk_number": 1,
            "release_date": f"{song.album.release_year}-01-01",
            "explicit_lyrics": song.explicit,
            "bpm": song.deezer_bpm,
            "gain": -8.5,
            "artist": {"id": artist_id, "name": artist.name, "type": "artist"},
            "album": {"id": song.deezer_id + 1, "title": song.album.name, "type": "album"},
            "type": "track",
        },
    )


def add_routes(router: Router) -> None:
    router.add("GET", "/reccobeats/v1/audio-features", reccobeats_audio_features)
    router.add("GET", "/deezer/track/isrc:{isrc}", deezer_track)
