"""/v1 catalog lookups: search (tracks only; other kinds answer empty pages) and one track by id."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from accounts.sandbox import objects
from accounts.sandbox.catalog import ID_PATTERN, Song, fold
from accounts.sandbox.exchange import Call, Reply
from accounts.sandbox.state import ApiError, World
from accounts.sandbox.webapi.shared import page_limit, page_offset, track_object

SEARCH_MAX = 10
SEARCH_TYPES = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}
FILTERS = {"track", "artist", "album", "year", "isrc", "genre"}


def search(world: World, call: Call) -> Reply:
    q = call.arg("q")
    if not q:
        raise ApiError(400, "No search query")
    types = [kind.strip() for kind in (call.arg("type") or "").split(",") if kind.strip()]
    if not types:
        raise ApiError(400, "Missing parameter type")
    if not set(types) <= SEARCH_TYPES:
        raise ApiError(400, "Bad search type field")
    limit, offset = page_limit(call, default=5, high=SEARCH_MAX), page_offset(call, high=1000)
    words, filters = _query(q)
    exact = fold(filters.get("track", " ".join(words)))
    found = [song for song in world.songs if _matches(song, words, filters)]
    found.sort(key=lambda song: fold(song.name) != exact)
    extra = urlencode({"q": q, "type": ",".join(types)})
    answer = {}
    for kind in types:
        items = [track_object(world, call, song) for song in found[offset : offset + limit]] if kind == "track" else []
        total = len(found) if kind == "track" else 0
        answer[f"{kind}s"] = objects.page(f"{call.base}/v1/search", items, limit, offset, total, extra)
    return Reply(200, answer)


def get_track(world: World, call: Call, track_id: str) -> Reply:
    if not ID_PATTERN.match(track_id):
        raise ApiError(400, "Invalid base62 id")
    song = world.songs_by_id.get(track_id)
    if song is None:
        raise ApiError(404, "Resource not found")
    return Reply(200, track_object(world, call, song))


_FILTER = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')


def _query(q: str) -> tuple[list[str], dict[str, str]]:
    """Free words and field filters (track:, artist:, album:, year:, isrc:, genre:) of a search query."""
    words, filters = [], {}
    for quoted_key, quoted_value, key, value, phrase, word in _FILTER.findall(q):
        key, value = (quoted_key, quoted_value) if quoted_key else (key, value)
        if key and key.lower() in FILTERS:
            filters[key.lower()] = value
        else:
            words.append(phrase or word or f"{key}:{value}")
    return words, filters


def _has_words(text: str, wanted: str) -> bool:
    """Every word of `wanted` starts a word of `text` (accents and case aside)."""
    words = fold(text).split()
    return all(any(word.startswith(part) for word in words) for part in fold(wanted).split())


def _matches(song: Song, words: list[str], filters: dict[str, str]) -> bool:
    artists = " ".join(artist.name for artist in song.artists)
    checks = {
        "track": lambda value: _has_words(song.name, value),
        "artist": lambda value: _has_words(artists, value),
        "album": lambda value: _has_words(song.album.name, value),
        "year": lambda value: (
            str(song.album.release_year) == value
            or ("-" in value and value.split("-")[0] <= str(song.album.release_year) <= value.split("-")[1])
        ),
        "isrc": lambda value: song.isrc.upper() == value.upper(),
        "genre": lambda value: fold(song.genre) == fold(value),
    }
    if not all(checks[key](value) for key, value in filters.items()):
        return False
    return _has_words(f"{song.name} {artists} {song.album.name}", " ".join(words))
