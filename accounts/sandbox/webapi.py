"""The Web API under /v1: the endpoints the app uses, and the ones closed to it.

Limits and refusals are Spotify's as of 2026 (see PRODUCT.md, "Spotify as it really is"):
at most 50 per page, 10 per search, 100 URIs per add; items only from playlists the user
owns or collaborates on; audio features, recommendations and the old paths answer 403.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from accounts.sandbox import objects
from accounts.sandbox.catalog import ID_PATTERN, Song, fold
from accounts.sandbox.exchange import Call, Reply, Router
from accounts.sandbox.library import TIME_RANGES, Account, Playlist
from accounts.sandbox.state import ApiError, World

PAGE_MAX = 50
SEARCH_MAX = 10
ITEMS_PER_REQUEST = 100
LIBRARY_URIS_MAX = 40
LIBRARY_KINDS = {"track", "album", "episode", "show", "audiobook", "artist", "user", "playlist"}
PLAYLIST_ITEMS_EMBEDDED = 100
OFFSET_MAX = 100_000
TRACK_URI = re.compile(r"^spotify:track:([0-9A-Za-z]{22})$")

READ_PLAYLISTS = ("playlist-read-private",)
MODIFY_PLAYLISTS = ("playlist-modify-public", "playlist-modify-private")

CLOSED = [
    ("GET", "/v1/audio-features", "Audio features are not available to this app."),
    ("GET", "/v1/audio-features/{id}", "Audio features are not available to this app."),
    ("GET", "/v1/audio-analysis/{id}", "Audio analysis is not available to this app."),
    ("GET", "/v1/recommendations", "Recommendations are not available to this app."),
    ("GET", "/v1/recommendations/available-genre-seeds", "Recommendations are not available to this app."),
    ("GET", "/v1/artists/{id}/related-artists", "Related artists are not available to this app."),
    ("GET", "/v1/artists/{id}/top-tracks", "Artist top tracks are not available to development-mode apps."),
    ("GET", "/v1/tracks", "Several tracks at once is not available to development-mode apps."),
    ("GET", "/v1/users/{id}", "Other users' profiles are not available to development-mode apps."),
    ("*", "/v1/users/{id}/playlists", "Use /me/playlists: /users/{id}/playlists is closed to development-mode apps."),
    ("*", "/v1/playlists/{id}/tracks", "Use /playlists/{id}/items: /playlists/{id}/tracks is closed."),
]


def needs(*scopes: str) -> Callable:
    """The handler answers 403 unless the token was granted one of these scopes."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        def checked(world: World, call: Call, **params) -> Reply:
            if scopes and not set(scopes) & set(call.grant.scopes):
                raise ApiError(403, "Insufficient client scope")
            return handler(world, call, **params)

        return checked

    return decorate


def _account(world: World, call: Call) -> Account:
    return world.accounts[call.grant.account_id]


def _limit(call: Call, default: int = 20, high: int = PAGE_MAX) -> int:
    return call.int_arg("limit", default, 1, high, "Invalid limit")


def _offset(call: Call, high: int = OFFSET_MAX) -> int:
    return call.int_arg("offset", 0, 0, high, "Invalid offset")


def _track(world: World, call: Call, song: Song) -> dict:
    return objects.track(call.base, song, world.album_sizes)


def _playlist(world: World, call: Call, playlist_id: str, write: bool = False) -> Playlist:
    """The playlist if this user may read (or change) it: 404 when unknown, 403 when not theirs.

    As in Spotify, a playlist its owner deleted (unfollowed) still answers: it is only gone from
    their library (GET /me/playlists, GET /me/library/contains).
    """
    playlist = world.playlists.get(playlist_id)
    if playlist is None:
        raise ApiError(404, "Resource not found")
    if not playlist.can_read(call.grant.account_id):
        raise ApiError(403, "You can only use playlists you own or collaborate on.")
    if write and call.grant.account_id != playlist.owner_id and not playlist.collaborative:
        raise ApiError(403, "You cannot change a playlist you do not own.")
    return playlist


def _items_page(world: World, call: Call, playlist: Playlist, limit: int, offset: int) -> dict:
    chosen = playlist.items[offset : offset + limit]
    entries = [
        objects.playlist_entry(
            call.base, world.songs_by_id[uri.rsplit(":", 1)[1]], added_at, world.accounts[by], world.album_sizes
        )
        for uri, added_at, by in chosen
    ]
    href = f"{call.base}/v1/playlists/{playlist.id}/items"
    return objects.page(href, entries, limit, offset, len(playlist.items))


def _uris(world: World, call: Call, body_uris) -> list[str]:
    """The track URIs to add or put: from ?uris= (which wins, as Spotify documents) or the body."""
    if call.arg("uris") is not None:
        uris = [uri.strip() for uri in call.arg("uris").split(",") if uri.strip()]
    elif isinstance(body_uris, list):
        uris = body_uris
    else:
        raise ApiError(400, "Missing uris")
    if len(uris) > ITEMS_PER_REQUEST:
        raise ApiError(400, f"You can add a maximum of {ITEMS_PER_REQUEST} tracks per request.")
    for uri in uris:
        match = TRACK_URI.match(uri) if isinstance(uri, str) else None
        if match is None:
            raise ApiError(400, f"Invalid track uri: {uri}")
        if match.group(1) not in world.songs_by_id:
            raise ApiError(400, "Payload contains a non-existing ID")
    return uris


def _now_ms() -> int:
    return int(time.time() * 1000)


def _body(call: Call) -> dict:
    body = call.json
    if not isinstance(body, dict):
        raise ApiError(400, "Error parsing JSON.")
    return body


# Profile and library ---------------------------------------------------------------------


def me(world: World, call: Call) -> Reply:
    return Reply(200, objects.private_user(call.base, _account(world, call)))


@needs("user-read-recently-played")
def recently_played(world: World, call: Call) -> Reply:
    """Newest first. With `after`, the plays just after it (to page forward); else those before `before`."""
    limit = _limit(call)
    if call.arg("after") is not None and call.arg("before") is not None:
        raise ApiError(400, "Only one of after and before can be specified.")
    after = call.int_arg("after", -1, 0, 10**15, "Invalid after")
    before = call.int_arg("before", 10**15, 0, 10**15, "Invalid before")
    plays = _account(world, call).recently_played
    href = f"{call.base}/v1/me/player/recently-played"
    if after >= 0:
        newer = [play for play in plays if play[1] > after]
        chosen, more = newer[-limit:], len(newer) > limit
        next_link = f"{href}?after={chosen[0][1]}&limit={limit}" if more else None
    else:
        older = [play for play in plays if play[1] < before]
        chosen, more = older[:limit], len(older) > limit
        next_link = f"{href}?before={chosen[-1][1]}&limit={limit}" if more else None
    items = [
        {"track": _track(world, call, world.songs_by_id[track_id]), "played_at": objects.iso(played_at)}
        for track_id, played_at in chosen
    ]
    cursors = {"after": str(chosen[0][1]), "before": str(chosen[-1][1])} if chosen else None
    query = urlencode({name: values[0] for name, values in call.query.items()})
    return Reply(
        200,
        {
            "href": f"{href}?{query}" if query else href,
            "items": items,
            "limit": limit,
            "next": next_link,
            "cursors": cursors,
        },
    )


@needs("user-top-read")
def top_tracks(world: World, call: Call) -> Reply:
    time_range = call.arg("time_range", "medium_term")
    if time_range not in TIME_RANGES:
        raise ApiError(400, "Invalid time range")
    limit, offset = _limit(call), _offset(call)
    ids = _account(world, call).top_tracks[time_range]
    items = [_track(world, call, world.songs_by_id[track_id]) for track_id in ids[offset : offset + limit]]
    href = f"{call.base}/v1/me/top/tracks"
    return Reply(200, objects.page(href, items, limit, offset, len(ids), f"time_range={time_range}"))


@needs("user-library-read")
def saved_tracks(world: World, call: Call) -> Reply:
    limit, offset = _limit(call), _offset(call)
    saved = _account(world, call).saved_tracks
    items = [
        {"added_at": objects.iso(added_at), "track": _track(world, call, world.songs_by_id[track_id])}
        for track_id, added_at in saved[offset : offset + limit]
    ]
    return Reply(200, objects.page(f"{call.base}/v1/me/tracks", items, limit, offset, len(saved)))


def library_400(handler: Callable) -> Callable:
    """The spec documents the /me/library endpoints' 400 as a bare ErrorObject, where every other 400
    wraps it in `error` as Spotify does: the answer carries both, so it fits the spec and Spotify's clients."""

    @wraps(handler)
    def answered(world: World, call: Call, **params) -> Reply:
        try:
            return handler(world, call, **params)
        except ApiError as refusal:
            if refusal.status != 400:
                raise
            error = {"status": 400, "message": refusal.message}
            return Reply(400, {**error, "error": error})

    return answered


def _library_uris(call: Call) -> list[str]:
    uris = [uri.strip() for uri in (call.arg("uris") or "").split(",") if uri.strip()]
    if not uris or len(uris) > LIBRARY_URIS_MAX:
        raise ApiError(400, f"Between 1 and {LIBRARY_URIS_MAX} uris are required.")
    return uris


@needs("user-library-read", "user-follow-read", "playlist-read-private")
@library_400
def library_contains(world: World, call: Call) -> Reply:
    """GET /me/library/contains: for each URI, whether it is in the library (saved track, followed playlist)."""
    account = _account(world, call)
    saved = {track_id for track_id, _ in account.saved_tracks}
    answer = []
    for uri in _library_uris(call):
        kind, _, item_id = uri.removeprefix("spotify:").partition(":")
        if kind not in LIBRARY_KINDS or not (kind == "user" or ID_PATTERN.match(item_id)):
            raise ApiError(400, f"Unsupported or invalid URI: {uri}")
        answer.append((kind == "track" and item_id in saved) or (kind == "playlist" and item_id in account.followed))
    return Reply(200, answer)


@needs("user-library-modify", "user-follow-modify", "playlist-modify-public")
@library_400
def library_remove(world: World, call: Call) -> Reply:
    """DELETE /me/library: unsave tracks, unfollow (for the owner: delete) playlists."""
    account = _account(world, call)
    for uri in _library_uris(call):
        kind, _, item_id = uri.removeprefix("spotify:").partition(":")
        if kind == "track":
            account.saved_tracks = [saved for saved in account.saved_tracks if saved[0] != item_id]
        elif kind == "playlist" and item_id in world.playlists:
            world.unfollow(account, world.playlists[item_id])
        else:
            raise ApiError(400, f"Unsupported or unknown URI: {uri}")
    return Reply(200)


@needs("user-library-modify", "user-follow-modify", "playlist-modify-public")
@library_400
def library_save(world: World, call: Call) -> Reply:
    """PUT /me/library: save tracks, follow playlists."""
    account = _account(world, call)
    for uri in _library_uris(call):
        kind, _, item_id = uri.removeprefix("spotify:").partition(":")
        if kind == "track" and item_id in world.songs_by_id:
            if item_id not in {saved[0] for saved in account.saved_tracks}:
                account.saved_tracks.insert(0, (item_id, _now_ms()))
        elif kind == "playlist" and item_id in world.playlists:
            world.follow(account, world.playlists[item_id])
        else:
            raise ApiError(400, f"Unsupported or unknown URI: {uri}")
    return Reply(200)


# Playlists --------------------------------------------------------------------------------


@needs(*READ_PLAYLISTS)
def my_playlists(world: World, call: Call) -> Reply:
    limit, offset = _limit(call), _offset(call)
    account = _account(world, call)
    mine = [world.playlists[playlist_id] for playlist_id in account.followed]
    mine = [playlist for playlist in mine if not playlist.deleted]
    items = [
        objects.simplified_playlist(call.base, playlist, world.accounts[playlist.owner_id])
        for playlist in mine[offset : offset + limit]
    ]
    return Reply(200, objects.page(f"{call.base}/v1/me/playlists", items, limit, offset, len(mine)))


@needs(*MODIFY_PLAYLISTS)
def create_playlist(world: World, call: Call) -> Reply:
    body = _body(call)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Missing required field: name")
    public, collaborative = body.get("public", True), body.get("collaborative", False)
    if collaborative and public:
        raise ApiError(400, "Collaborative playlists can only be private.")
    scope = "playlist-modify-public" if public else "playlist-modify-private"
    if scope not in call.grant.scopes:
        raise ApiError(403, "Insufficient client scope")
    playlist = world.create_playlist(
        _account(world, call), name, bool(public), bool(collaborative), str(body.get("description") or "")
    )
    owner = world.accounts[playlist.owner_id]
    items = _items_page(world, call, playlist, PLAYLIST_ITEMS_EMBEDDED, 0)
    return Reply(201, objects.full_playlist(call.base, playlist, owner, items))


def _select(document: dict, fields: str | None) -> dict:
    """Spotify's `fields` filter, for a plain list of top-level names; anything fancier returns all."""
    if not fields or any(mark in fields for mark in "().!/"):
        return document
    wanted = {name.strip() for name in fields.split(",")}
    return {key: value for key, value in document.items() if key in wanted}


def get_playlist(world: World, call: Call, playlist_id: str) -> Reply:
    playlist = _playlist(world, call, playlist_id)
    items = _items_page(world, call, playlist, PLAYLIST_ITEMS_EMBEDDED, 0)
    document = objects.full_playlist(call.base, playlist, world.accounts[playlist.owner_id], items)
    return Reply(200, _select(document, call.arg("fields")))


@needs(*MODIFY_PLAYLISTS)
def change_playlist(world: World, call: Call, playlist_id: str) -> Reply:
    playlist = _playlist(world, call, playlist_id)
    if call.grant.account_id != playlist.owner_id:
        raise ApiError(403, "You cannot change the details of a playlist you do not own.")
    body = _body(call)
    public = body.get("public", playlist.public)
    collaborative = body.get("collaborative", playlist.collaborative)
    if public and collaborative:
        raise ApiError(400, "Collaborative playlists can only be private.")
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"].strip():
            raise ApiError(400, "Invalid name")
        playlist.name = body["name"]
    if "description" in body:
        playlist.description = str(body["description"] or "")
    playlist.public, playlist.collaborative = bool(public), bool(collaborative)
    playlist.version += 1
    return Reply(200)


@needs(*READ_PLAYLISTS)
def playlist_items(world: World, call: Call, playlist_id: str) -> Reply:
    playlist = _playlist(world, call, playlist_id)
    return Reply(200, _items_page(world, call, playlist, _limit(call), _offset(call)))


@needs(*MODIFY_PLAYLISTS)
def add_items(world: World, call: Call, playlist_id: str) -> Reply:
    """Append (or insert at `position`) up to 100 track URIs. spotipy's bare JSON array is accepted, as Spotify does."""
    playlist = _playlist(world, call, playlist_id, write=True)
    body = call.json
    uris = _uris(world, call, body.get("uris") if isinstance(body, dict) else body)
    position = call.arg("position")
    if position is None and isinstance(body, dict):
        position = body.get("position")
    try:
        at = len(playlist.items) if position is None else int(position)
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid position") from None
    if not 0 <= at <= len(playlist.items):
        raise ApiError(400, "Index out of bounds")
    now = _now_ms()
    playlist.items[at:at] = [(uri, now, call.grant.account_id) for uri in uris]
    playlist.version += 1
    return Reply(201, {"snapshot_id": objects.snapshot_id(playlist)})


@needs(*MODIFY_PLAYLISTS)
def put_items(world: World, call: Call, playlist_id: str) -> Reply:
    """Replace every item with `uris` (at most 100), or move a range (range_start, insert_before, range_length)."""
    playlist = _playlist(world, call, playlist_id, write=True)
    body = call.json if isinstance(call.json, dict) else {}
    if call.arg("uris") is None and "range_start" in body:
        start, before, length = body.get("range_start"), body.get("insert_before"), body.get("range_length", 1)
        size = len(playlist.items)
        if not all(isinstance(value, int) for value in (start, before, length)) or not (
            0 <= start < size and 0 <= before <= size and 1 <= length <= size - start
        ):
            raise ApiError(400, "Index out of bounds")
        moved = playlist.items[start : start + length]
        rest = playlist.items[:start] + playlist.items[start + length :]
        at = before if before <= start else before - length
        playlist.items = rest[:at] + moved + rest[at:]
    else:
        now = _now_ms()
        playlist.items = [(uri, now, call.grant.account_id) for uri in _uris(world, call, body.get("uris"))]
    playlist.version += 1
    return Reply(200, {"snapshot_id": objects.snapshot_id(playlist)})


@needs(*MODIFY_PLAYLISTS)
def remove_items(world: World, call: Call, playlist_id: str) -> Reply:
    """Remove every occurrence of each `items[].uri` (at most 100)."""
    playlist = _playlist(world, call, playlist_id, write=True)
    body = _body(call)
    entries = body.get("items")
    if not isinstance(entries, list) or not entries:
        raise ApiError(400, "Missing items")
    if len(entries) > ITEMS_PER_REQUEST:
        raise ApiError(400, f"You can remove a maximum of {ITEMS_PER_REQUEST} tracks per request.")
    gone = {entry.get("uri") for entry in entries if isinstance(entry, dict)}
    playlist.items = [item for item in playlist.items if item[0] not in gone]
    playlist.version += 1
    return Reply(200, {"snapshot_id": objects.snapshot_id(playlist)})


@needs(*MODIFY_PLAYLISTS)
def unfollow_playlist(world: World, call: Call, playlist_id: str) -> Reply:
    """The deprecated way to delete (unfollow) a playlist; it still works."""
    playlist = world.playlists.get(playlist_id)
    if playlist is None:
        raise ApiError(404, "Resource not found")
    world.unfollow(_account(world, call), playlist)
    return Reply(200)


# Catalog ----------------------------------------------------------------------------------

SEARCH_TYPES = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}
_FILTER = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')
FILTERS = {"track", "artist", "album", "year", "isrc", "genre"}


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


def search(world: World, call: Call) -> Reply:
    q = call.arg("q")
    if not q:
        raise ApiError(400, "No search query")
    types = [kind.strip() for kind in (call.arg("type") or "").split(",") if kind.strip()]
    if not types:
        raise ApiError(400, "Missing parameter type")
    if not set(types) <= SEARCH_TYPES:
        raise ApiError(400, "Bad search type field")
    limit, offset = _limit(call, default=5, high=SEARCH_MAX), _offset(call, high=1000)
    words, filters = _query(q)
    exact = fold(filters.get("track", " ".join(words)))
    found = [song for song in world.songs if _matches(song, words, filters)]
    found.sort(key=lambda song: fold(song.name) != exact)
    extra = urlencode({"q": q, "type": ",".join(types)})
    answer = {}
    for kind in types:
        items = [_track(world, call, song) for song in found[offset : offset + limit]] if kind == "track" else []
        total = len(found) if kind == "track" else 0
        answer[f"{kind}s"] = objects.page(f"{call.base}/v1/search", items, limit, offset, total, extra)
    return Reply(200, answer)


def get_track(world: World, call: Call, track_id: str) -> Reply:
    if not ID_PATTERN.match(track_id):
        raise ApiError(400, "Invalid base62 id")
    song = world.songs_by_id.get(track_id)
    if song is None:
        raise ApiError(404, "Resource not found")
    return Reply(200, _track(world, call, song))


def closed(message: str) -> Callable:
    def refuse(world: World, call: Call, **params) -> Reply:
        raise ApiError(403, message)

    return refuse


def add_routes(router: Router) -> None:
    """Closed endpoints first: GET /v1/tracks (several) must not reach anything else."""
    for method, template, message in CLOSED:
        router.add(method, template, closed(message))
    router.add("GET", "/v1/me", me)
    router.add("GET", "/v1/me/player/recently-played", recently_played)
    router.add("GET", "/v1/me/top/tracks", top_tracks)
    router.add("GET", "/v1/me/tracks", saved_tracks)
    router.add("GET", "/v1/me/library/contains", library_contains)
    router.add("PUT", "/v1/me/library", library_save)
    router.add("DELETE", "/v1/me/library", library_remove)
    router.add("GET", "/v1/me/playlists", my_playlists)
    router.add("POST", "/v1/me/playlists", create_playlist)
    router.add("GET", "/v1/playlists/{playlist_id}", get_playlist)
    router.add("PUT", "/v1/playlists/{playlist_id}", change_playlist)
    router.add("GET", "/v1/playlists/{playlist_id}/items", playlist_items)
    router.add("POST", "/v1/playlists/{playlist_id}/items", add_items)
    router.add("PUT", "/v1/playlists/{playlist_id}/items", put_items)
    router.add("DELETE", "/v1/playlists/{playlist_id}/items", remove_items)
    router.add("DELETE", "/v1/playlists/{playlist_id}/followers", unfollow_playlist)
    router.add("GET", "/v1/search", search)
    router.add("GET", "/v1/tracks/{track_id}", get_track)


_closed = Router()
for _method, _template, _message in CLOSED:
    _closed.add(_method, _template, closed(_message))


def is_closed(method: str, path: str) -> bool:
    return _closed.find(method, path)[0] is not None
