"""/v1 playlists: the user's list, creating one, reading and changing it, and its items."""

from __future__ import annotations

import re

from accounts.sandbox import objects
from accounts.sandbox.exchange import Call, Reply
from accounts.sandbox.library import Playlist
from accounts.sandbox.state import ApiError, World
from accounts.sandbox.webapi.shared import account_of, json_body, needs, now_ms, page_limit, page_offset

ITEMS_PER_REQUEST = 100
PLAYLIST_ITEMS_EMBEDDED = 100
TRACK_URI = re.compile(r"^spotify:track:([0-9A-Za-z]{22})$")

READ_PLAYLISTS = ("playlist-read-private",)
MODIFY_PLAYLISTS = ("playlist-modify-public", "playlist-modify-private")


@needs(*READ_PLAYLISTS)
def my_playlists(world: World, call: Call) -> Reply:
    limit, offset = page_limit(call), page_offset(call)
    account = account_of(world, call)
    mine = [world.playlists[playlist_id] for playlist_id in account.followed]
    mine = [playlist for playlist in mine if not playlist.deleted]
    items = [
        objects.simplified_playlist(call.base, playlist, world.accounts[playlist.owner_id])
        for playlist in mine[offset : offset + limit]
    ]
    return Reply(200, objects.page(f"{call.base}/v1/me/playlists", items, limit, offset, len(mine)))


@needs(*MODIFY_PLAYLISTS)
def create_playlist(world: World, call: Call) -> Reply:
    body = json_body(call)
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
        account_of(world, call), name, bool(public), bool(collaborative), str(body.get("description") or "")
    )
    owner = world.accounts[playlist.owner_id]
    items = _items_page(world, call, playlist, PLAYLIST_ITEMS_EMBEDDED, 0)
    return Reply(201, objects.full_playlist(call.base, playlist, owner, items))


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
    body = json_body(call)
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
    return Reply(200, _items_page(world, call, playlist, page_limit(call), page_offset(call)))


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
    now = now_ms()
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
        now = now_ms()
        playlist.items = [(uri, now, call.grant.account_id) for uri in _uris(world, call, body.get("uris"))]
    playlist.version += 1
    return Reply(200, {"snapshot_id": objects.snapshot_id(playlist)})


@needs(*MODIFY_PLAYLISTS)
def remove_items(world: World, call: Call, playlist_id: str) -> Reply:
    """Remove every occurrence of each `items[].uri` (at most 100)."""
    playlist = _playlist(world, call, playlist_id, write=True)
    body = json_body(call)
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
    world.unfollow(account_of(world, call), playlist)
    return Reply(200)


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


def _select(document: dict, fields: str | None) -> dict:
    """Spotify's `fields` filter, for a plain list of top-level names; anything fancier returns all."""
    if not fields or any(mark in fields for mark in "().!/"):
        return document
    wanted = {name.strip() for name in fields.split(",")}
    return {key: value for key, value in document.items() if key in wanted}
