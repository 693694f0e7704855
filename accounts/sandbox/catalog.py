"""The sandbox's music: a catalog CSV (its caller names it: the demo's) given Spotify-like identities.

Every id is derived from the song (a hash of title and artists), so the same song has the
same Spotify id, URI and ISRC in every run and on every machine. What the ReccoBeats and
Deezer stand-ins know about each song is decided here too, deterministically.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_PATTERN = re.compile(r"^[0-9A-Za-z]{22}$")

# Share of the catalog each provider does not know, or answers oddly for.
RECCOBEATS_UNKNOWN_PERCENT = 15
RECCOBEATS_HALF_TIME_PERCENT = 5  # ReccoBeats hears half the tempo (the user's ×2 fixes it)
DEEZER_UNKNOWN_PERCENT = 8
DEEZER_BPM_ZERO_PERCENT = 15  # Deezer answers bpm 0 when it has no estimate


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest(), "big")


def spotify_id(*parts: str) -> str:
    """A 22-character base62 id, the shape of Spotify's, derived from the parts."""
    number = _digest(*parts)
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def percent(*parts: str) -> int:
    """A stable number in 0..99 for the parts, to pick a share of the catalog."""
    return _digest("percent", *parts) % 100


def fold(text: str) -> str:
    """Lower-case, accents and punctuation removed: what search compares.

    A copy of music.normalize.fold (the sandbox imports none of our code):
    tests/accounts/sandbox/test_copies.py pins the two.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^\w]+", " ", text).strip()


@dataclass(frozen=True)
class Artist:
    id: str
    name: str


@dataclass(frozen=True)
class Album:
    id: str
    name: str
    release_year: int
    artists: tuple[Artist, ...]


@dataclass(frozen=True)
class Song:
    """One catalog song with its Spotify identity and what the other providers say about it."""

    id: str
    name: str
    artists: tuple[Artist, ...]
    album: Album
    track_number: int
    duration_ms: int
    explicit: bool
    isrc: str
    genre: str
    tempo: float
    energy: float
    valence: float
    danceability: float
    reccobeats_id: str | None  # None: ReccoBeats does not know this song
    reccobeats_tempo: float | None
    deezer_id: int | None  # None: Deezer has no track for this ISRC
    deezer_bpm: float | None

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"

    def as_dict(self) -> dict:
        """The song as plain data, for tests and the control API."""
        return {
            "id": self.id,
            "uri": self.uri,
            "name": self.name,
            "artists": [artist.name for artist in self.artists],
            "artist_ids": [artist.id for artist in self.artists],
            "album": self.album.name,
            "album_id": self.album.id,
            "release_year": self.album.release_year,
            "duration_ms": self.duration_ms,
            "explicit": self.explicit,
            "isrc": self.isrc,
            "genre": self.genre,
            "tempo": self.tempo,
            "energy": self.energy,
            "valence": self.valence,
            "danceability": self.danceability,
            "reccobeats_tempo": self.reccobeats_tempo,
            "deezer_bpm": self.deezer_bpm,
        }


def _isrc(title: str, artists: str, year: int) -> str:
    """CC-XXX-YY-NNNNN: the "QZ" country code is the one ISRC agencies hand out for self-issued codes."""
    return f"QZSMX{year % 100:02d}{_digest('isrc', title, artists) % 100000:05d}"


def _song(row: dict, number: int, artists_by_name: dict[str, Artist], albums: dict[tuple, Album]) -> Song:
    title = row["title"].strip()
    names = [name.strip() for name in row["artists"].split(";") if name.strip()]
    artists = tuple(artists_by_name.setdefault(name, Artist(spotify_id("artist", name), name)) for name in names)
    year = int(row["release_year"])
    album_key = (row["album"].strip(), names[0])
    album = albums.setdefault(album_key, Album(spotify_id("album", *album_key), album_key[0], year, artists[:1]))
    track_id = spotify_id("track", title, row["artists"])
    tempo = float(row["tempo"])
    reccobeats_known = percent("reccobeats", track_id) >= RECCOBEATS_UNKNOWN_PERCENT
    half_time = percent("reccobeats-tempo", track_id) < RECCOBEATS_HALF_TIME_PERCENT
    deezer_known = percent("deezer", track_id) >= DEEZER_UNKNOWN_PERCENT
    bpm_zero = percent("deezer-bpm", track_id) < DEEZER_BPM_ZERO_PERCENT
    return Song(
        id=track_id,
        name=title,
        artists=artists,
        album=album,
        track_number=number,
        duration_ms=int(row["duration_ms"]),
        explicit=row["explicit"].strip().lower() == "true",
        isrc=_isrc(title, row["artists"], year),
        genre=row["genre"].strip(),
        tempo=tempo,
        energy=float(row["energy"]),
        valence=float(row["valence"]),
        danceability=float(row["danceability"]),
        reccobeats_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"reccobeats:{track_id}")) if reccobeats_known else None,
        reccobeats_tempo=(round(tempo / 2, 3) if half_time else tempo) if reccobeats_known else None,
        deezer_id=100_000_000 + _digest("deezer", track_id) % 900_000_000 if deezer_known else None,
        deezer_bpm=(0.0 if bpm_zero else tempo) if deezer_known else None,
    )


def load_catalog(path: Path) -> list[Song]:
    """The songs of a catalog CSV in the demo's layout, in file order."""
    artists: dict[str, Artist] = {}
    albums: dict[tuple, Album] = {}
    album_sizes: dict[tuple, int] = {}
    songs = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["album"].strip(), row["artists"].split(";")[0].strip())
            album_sizes[key] = album_sizes.get(key, 0) + 1
            songs.append(_song(row, album_sizes[key], artists, albums))
    return songs
