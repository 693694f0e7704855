"""The Web API under /v1: the endpoints the app uses, and the ones closed to it.

Limits and refusals are Spotify's as of 2026 (see PRODUCT.md, "Spotify as it really is"):
at most 50 per page, 10 per search, 100 URIs per add; items only from playlists the user
owns or collaborates on; audio features, recommendations and the old paths answer 403.

The handlers: `me` (profile, history, library), `playlists`, `tracks` (search, one track);
`shared` holds what they all use (the scope check, paging arguments).
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.sandbox.exchange import Call, Reply, Router
from accounts.sandbox.state import ApiError, World
from accounts.sandbox.webapi import me, playlists, tracks

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


def add_routes(router: Router) -> None:
    """Closed endpoints first: GET /v1/tracks (several) must not reach anything else."""
    for method, template, message in CLOSED:
        router.add(method, template, closed(message))
    router.add("GET", "/v1/me", me.me)
    router.add("GET", "/v1/me/player/recently-played", me.recently_played)
    router.add("GET", "/v1/me/top/tracks", me.top_tracks)
    router.add("GET", "/v1/me/tracks", me.saved_tracks)
    router.add("GET", "/v1/me/library/contains", me.library_contains)
    router.add("PUT", "/v1/me/library", me.library_save)
    router.add("DELETE", "/v1/me/library", me.library_remove)
    router.add("GET", "/v1/me/playlists", playlists.my_playlists)
    router.add("POST", "/v1/me/playlists", playlists.create_playlist)
    router.add("GET", "/v1/playlists/{playlist_id}", playlists.get_playlist)
    router.add("PUT", "/v1/playlists/{playlist_id}", playlists.change_playlist)
    router.add("GET", "/v1/playlists/{playlist_id}/items", playlists.playlist_items)
    router.add("POST", "/v1/playlists/{playlist_id}/items", playlists.add_items)
    router.add("PUT", "/v1/playlists/{playlist_id}/items", playlists.put_items)
    router.add("DELETE", "/v1/playlists/{playlist_id}/items", playlists.remove_items)
    router.add("DELETE", "/v1/playlists/{playlist_id}/followers", playlists.unfollow_playlist)
    router.add("GET", "/v1/search", tracks.search)
    router.add("GET", "/v1/tracks/{track_id}", tracks.get_track)


def is_closed(method: str, path: str) -> bool:
    """Whether the request is for an endpoint closed to the app (a 403 whatever it asks)."""
    return _closed.find(method, path)[0] is not None


def closed(message: str) -> Callable:
    """A handler that refuses with 403 and the message."""

    def refuse(world: World, call: Call, **params) -> Reply:
        raise ApiError(403, message)

    return refuse


_closed = Router()
for _method, _template, _message in CLOSED:
    _closed.add(_method, _template, closed(_message))
