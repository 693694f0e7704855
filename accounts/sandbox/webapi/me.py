"""/v1/me: the profile, the listening history (recent plays, top tracks, saved tracks) and the library."""

from __future__ import annotations

from urllib.parse import urlencode

from accounts.sandbox import objects
from accounts.sandbox.catalog import ID_PATTERN
from accounts.sandbox.exchange import Call, Reply
from accounts.sandbox.library import TIME_RANGES
from accounts.sandbox.state import ApiError, World
from accounts.sandbox.webapi.shared import account_of, library_400, needs, now_ms, page_limit, page_offset, track_object

LIBRARY_URIS_MAX = 40
LIBRARY_KINDS = {"track", "album", "episode", "show", "audiobook", "artist", "user", "playlist"}


def me(world: World, call: Call) -> Reply:
    return Reply(200, objects.private_user(call.base, account_of(world, call)))


@needs("user-read-recently-played")
def recently_played(world: World, call: Call) -> Reply:
    """Newest first. With `after`, the plays just after it (to page forward); else those before `before`."""
    limit = page_limit(call)
    if call.arg("after") is not None and call.arg("before") is not None:
        raise ApiError(400, "Only one of after and before can be specified.")
    after = call.int_arg("after", -1, 0, 10**15, "Invalid after")
    before = call.int_arg("before", 10**15, 0, 10**15, "Invalid before")
    plays = account_of(world, call).recently_played
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
        {"track": track_object(world, call, world.songs_by_id[track_id]), "played_at": objects.iso(played_at)}
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
    limit, offset = page_limit(call), page_offset(call)
    ids = account_of(world, call).top_tracks[time_range]
    items = [track_object(world, call, world.songs_by_id[track_id]) for track_id in ids[offset : offset + limit]]
    href = f"{call.base}/v1/me/top/tracks"
    return Reply(200, objects.page(href, items, limit, offset, len(ids), f"time_range={time_range}"))


@needs("user-library-read")
def saved_tracks(world: World, call: Call) -> Reply:
    limit, offset = page_limit(call), page_offset(call)
    saved = account_of(world, call).saved_tracks
    items = [
        {"added_at": objects.iso(added_at), "track": track_object(world, call, world.songs_by_id[track_id])}
        for track_id, added_at in saved[offset : offset + limit]
    ]
    return Reply(200, objects.page(f"{call.base}/v1/me/tracks", items, limit, offset, len(saved)))


@needs("user-library-read", "user-follow-read", "playlist-read-private")
@library_400
def library_contains(world: World, call: Call) -> Reply:
    """GET /me/library/contains: for each URI, whether it is in the library (saved track, followed playlist)."""
    account = account_of(world, call)
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
    account = account_of(world, call)
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
    account = account_of(world, call)
    for uri in _library_uris(call):
        kind, _, item_id = uri.removeprefix("spotify:").partition(":")
        if kind == "track" and item_id in world.songs_by_id:
            if item_id not in {saved[0] for saved in account.saved_tracks}:
                account.saved_tracks.insert(0, (item_id, now_ms()))
        elif kind == "playlist" and item_id in world.playlists:
            world.follow(account, world.playlists[item_id])
        else:
            raise ApiError(400, f"Unsupported or unknown URI: {uri}")
    return Reply(200)


def _library_uris(call: Call) -> list[str]:
    uris = [uri.strip() for uri in (call.arg("uris") or "").split(",") if uri.strip()]
    if not uris or len(uris) > LIBRARY_URIS_MAX:
        raise ApiError(400, f"Between 1 and {LIBRARY_URIS_MAX} uris are required.")
    return uris
