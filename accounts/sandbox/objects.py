"""Spotify's JSON objects (the spec's TrackObject, PlaylistObject, ...) for the sandbox's data.

Fields follow fixed-spotify-open-api.yml as Spotify answers a development-mode app in 2026:
no `popularity`, `available_markets` or `preview_url`; playlists carry `items` (not `tracks`)
and each playlist entry carries `item` (not `track`); an album's `images` are the sandbox's
generated covers (covers.py). `href`s point at the sandbox, so paging
with `next` stays on it; `external_urls` point at open.spotify.com, except a playlist's, which
the sandbox serves as a small page so the app's "open the playlist" link works offline.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from accounts.sandbox import covers
from accounts.sandbox.catalog import Album, Artist, Song
from accounts.sandbox.library import Account, Playlist

OPEN = "https://open.spotify.com"


def iso(ms: int) -> str:
    """A Spotify timestamp: ISO 8601 in UTC with milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def artist(base: str, item: Artist) -> dict:
    return {
        "external_urls": {"spotify": f"{OPEN}/artist/{item.id}"},
        "href": f"{base}/v1/artists/{item.id}",
        "id": item.id,
        "name": item.name,
        "type": "artist",
        "uri": f"spotify:artist:{item.id}",
    }


def album(base: str, item: Album, total_tracks: int) -> dict:
    return {
        "album_type": "album" if total_tracks > 1 else "single",
        "total_tracks": total_tracks,
        "external_urls": {"spotify": f"{OPEN}/album/{item.id}"},
        "href": f"{base}/v1/albums/{item.id}",
        "id": item.id,
        "images": covers.images(base, item),
        "name": item.name,
        "release_date": str(item.release_year),
        "release_date_precision": "year",
        "type": "album",
        "uri": f"spotify:album:{item.id}",
        "artists": [artist(base, each) for each in item.artists],
    }


def track(base: str, song: Song, album_sizes: dict[str, int]) -> dict:
    return {
        "album": album(base, song.album, album_sizes.get(song.album.id, 1)),
        "artists": [artist(base, each) for each in song.artists],
        "disc_number": 1,
        "duration_ms": song.duration_ms,
        "explicit": song.explicit,
        "external_ids": {"isrc": song.isrc},
        "external_urls": {"spotify": f"{OPEN}/track/{song.id}"},
        "href": f"{base}/v1/tracks/{song.id}",
        "id": song.id,
        "is_local": False,
        "is_playable": True,
        "name": song.name,
        "track_number": song.track_number,
        "type": "track",
        "uri": song.uri,
    }


def user(base: str, account: Account) -> dict:
    """The public part of a user, as playlists show their owner."""
    return {
        "external_urls": {"spotify": f"{OPEN}/user/{account.id}"},
        "href": f"{base}/v1/users/{account.id}",
        "id": account.id,
        "type": "user",
        "uri": f"spotify:user:{account.id}",
    }


def owner(base: str, account: Account) -> dict:
    return {**user(base, account), "display_name": account.display_name}


def private_user(base: str, account: Account) -> dict:
    """GET /me as a development-mode app gets it since February 2026: no email, country or product."""
    return {**owner(base, account), "images": []}


def snapshot_id(playlist: Playlist) -> str:
    return base64.b64encode(f"{playlist.version}:{playlist.id}".encode()).decode()


def _playlist_base(base: str, playlist: Playlist, owner_account: Account) -> dict:
    return {
        "collaborative": playlist.collaborative,
        "description": playlist.description,
        "external_urls": {"spotify": f"{base}/open/playlist/{playlist.id}"},
        "href": f"{base}/v1/playlists/{playlist.id}",
        "id": playlist.id,
        "images": [],
        "name": playlist.name,
        "owner": owner(base, owner_account),
        "public": playlist.public,
        "snapshot_id": snapshot_id(playlist),
        "type": "playlist",
        "uri": f"spotify:playlist:{playlist.id}",
    }


def simplified_playlist(base: str, playlist: Playlist, owner_account: Account) -> dict:
    """An entry of GET /me/playlists: the items are only counted."""
    summary = {"href": f"{base}/v1/playlists/{playlist.id}/items", "total": len(playlist.items)}
    return {**_playlist_base(base, playlist, owner_account), "items": summary}


def full_playlist(base: str, playlist: Playlist, owner_account: Account, items_page: dict) -> dict:
    """GET /v1/playlists/{id} and the answer to POST /v1/me/playlists."""
    return {
        **_playlist_base(base, playlist, owner_account),
        "followers": {"href": None, "total": 0},
        "items": items_page,
    }


def playlist_entry(base: str, song: Song, added_at: int, added_by: Account, album_sizes: dict[str, int]) -> dict:
    return {
        "added_at": iso(added_at),
        "added_by": user(base, added_by),
        "is_local": False,
        "item": track(base, song, album_sizes),
    }


def page(href: str, items: list, limit: int, offset: int, total: int, query: str = "") -> dict:
    """A PagingObject; `query` holds the other query parameters to keep in next/previous."""
    extra = f"&{query}" if query else ""

    def link(at: int) -> str:
        return f"{href}?offset={at}&limit={limit}{extra}"

    return {
        "href": link(offset),
        "items": items,
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }
