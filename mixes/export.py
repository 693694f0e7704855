"""Save to Spotify, exactly once.

One PlaylistExport per mix remembers the playlist. How a save stays one playlist with each track
once, in order:
- A save already queued or running is not queued again (double clicks).
- Each run holds a lease. It starts by claiming the row in one conditional UPDATE: a queued save,
  or a running one silent for longer than PlaylistExport.RUNNING_STALE_AFTER, becomes RUNNING under the
  run's new `run_token`. A run that claims nothing stops quietly: another run holds the save (a
  redelivered task, a second worker). Before every write to Spotify (create, change details,
  replace, add) the run checks that the token is still its own, and stops if not; it writes to
  the row (progress, the playlist id, the result) only while the token is its own.
- No Spotify call happens inside a database transaction. The new playlist's id is stored the moment
  Spotify answers the create, in its own UPDATE.
- Items are written as "replace the first 100, append the rest": repeating the whole write (a
  retried task, a worker that died half-way) gives the same playlist, never duplicates.
- A retry that lost the new id (the worker died between the create and storing it, or the answer
  never arrived) looks for the playlist before creating: the newest playlist the user owns with
  exactly the name and description this save sends, still empty (the id is stored before any item
  is added, so a lost playlist never has items), and not the playlist of any other save of theirs.
  A playlist an older save marked "[Session Mix #<id>]" for this mix is found too. The description
  is the user's own: nothing of ours is added to what they read in Spotify.
- A playlist the user deleted in Spotify (in Spotify, deleting is unfollowing: the playlist still
  answers for its owner) is no longer in their library: the next save makes a new one.
A new playlist costs one create plus ceil(N/100) add-items calls.

What this does not guarantee: the lease is checked before each write, not atomically with it. A
run in a worker beats (BackgroundJob.heartbeat moves updated_at every JOB_HEARTBEAT_S, 20 s, from a
thread of its process), so it can lose its lease only by being silent for RUNNING_STALE_AFTER (2 min):
its process is gone (killed, or the hard time limit, 10 min, ended it) or frozen that long. A run
somehow still alive then may make at most the one write it had already checked, before its next
check stops it. Spotify does
not let us make a write conditional on our own state, so nothing stronger is possible.
"""

from __future__ import annotations

import html
import logging
import re

from accounts.spotify import ITEMS_PER_REQUEST, SpotifyClient, spotify_account
from mixes.models import PlaylistExport, SessionMix
from music.resolve import resolve_spotify_ids

log = logging.getLogger(__name__)

Status = PlaylistExport.Status
# What saves before issue 8 ended every description with; recognised still, never written now.
MARKER = "[Session Mix #{id}]"
_MARKED = re.compile(re.escape(MARKER).replace(re.escape("{id}"), r"\d+") + "$")


class LeaseLost(Exception):
    """Another run holds the save now; this one must stop writing."""


def marker(mix: SessionMix) -> str:
    """The marker an older save of this mix ended its description with."""
    return MARKER.format(id=mix.pk)


def is_marked(playlist: dict) -> bool:
    """A playlist an older Session Mix save made: its description ends with a mix's marker."""
    return bool(_MARKED.search(_plain(playlist.get("description"))))


def save_playlist(export: PlaylistExport) -> PlaylistExport:
    """Write the mix to its Spotify playlist, if this run can claim the save. Safe to run again; raises SpotifyError."""
    if not export.claim():
        log.info("Save %s is held by another run; this one stops.", export.pk)
        return export
    try:
        _write(export, SpotifyClient(export.mix.owner))
    except LeaseLost:
        log.info("Save %s was taken over by another run; this one stops.", export.pk)
    return export


def _write(export: PlaylistExport, client: SpotifyClient) -> None:
    mix = export.mix
    _progress(export, 5, "Finding your tracks on Spotify…")
    items = list(mix.tracks.select_related("track").order_by("position"))
    found = resolve_spotify_ids(mix.owner, [item.track for item in items if not item.track.spotify_id], client=client)
    resolved = {track.pk: track for track in found.resolved}
    uris = []
    for item in items:
        track = resolved.get(item.track_id, item.track)
        if track.spotify_id:
            uris.append(f"spotify:track:{track.spotify_id}")
    export.unresolved = [f"{track.title} — {track.artist_names}" for track in found.unresolved]
    _progress(export, 20, "Making the playlist…")

    playlist_id, created = _ensure_playlist(client, export)
    chunks = [uris[i : i + ITEMS_PER_REQUEST] for i in range(0, len(uris), ITEMS_PER_REQUEST)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        if number == 1 and not created:
            _hold(export)
            client.replace_items(playlist_id, chunk)
        elif chunk:
            _hold(export)
            client.add_items(playlist_id, chunk)
        done = min(number * ITEMS_PER_REQUEST, len(uris))
        _progress(export, 20 + 80 * number // len(chunks), f"Adding tracks ({done} of {len(uris)})…")

    _write_held(
        export,
        saved_uris=uris,
        unresolved=export.unresolved,
        status=Status.DONE,
        progress=100,
        message=f"Saved {len(uris)} tracks to Spotify.",
    )
    SessionMix.objects.filter(pk=mix.pk).update(status=SessionMix.Status.SAVED)


def _progress(export: PlaylistExport, percent: int, message: str) -> None:
    """Tell the polling UI, and notice a lost lease at once."""
    if not export.report(percent, message, Status.RUNNING):
        raise LeaseLost()


def _write_held(export: PlaylistExport, **fields) -> None:
    """Write to the row while this run holds the lease; stop the run if it does not."""
    if not export.write(**fields):
        raise LeaseLost()


def _hold(export: PlaylistExport) -> None:
    """Checked before every write to Spotify."""
    if not export.holds_lease():
        raise LeaseLost()


def _ensure_playlist(client: SpotifyClient, export: PlaylistExport) -> tuple[str, bool]:
    """(id, created) of the mix's playlist, made now if there is none or the user deleted it."""
    description = _plain(export.description)
    playlist = _still_theirs(client, export.playlist_id) if export.playlist_id else None
    if playlist is None and export.attempts > 1:
        playlist = _find_lost(client, export)
    created = playlist is None
    if created:
        _hold(export)
        playlist = client.create_playlist(export.name, description, export.public)
    elif (playlist.get("name"), playlist.get("public"), _plain(playlist.get("description"))) != (
        export.name,
        export.public,
        description,
    ):
        _hold(export)
        client.change_playlist(playlist["id"], export.name, description, export.public)
    # Stored the moment Spotify answers, on its own: a run that dies after this is retried with the id known.
    _write_held(
        export, playlist_id=playlist["id"], playlist_url=(playlist.get("external_urls") or {}).get("spotify", "")
    )
    return export.playlist_id, created


def _still_theirs(client: SpotifyClient, playlist_id: str) -> dict | None:
    """The playlist if the user still has it. Deleting in Spotify is unfollowing: the playlist itself still answers."""
    if not client.library_contains([f"spotify:playlist:{playlist_id}"])[0]:
        return None
    return client.playlist(playlist_id)


def _find_lost(client: SpotifyClient, export: PlaylistExport) -> dict | None:
    """The playlist an earlier run of this save created but never stored, if there is one.

    Spotify lists the user's playlists newest first, so the first fit is the latest create. Taken
    only if the user owns it, it is empty, it has exactly this save's name and description, and no
    other save of theirs holds it (an older mix saved under the same name is left alone); or if an
    older save marked it for this mix.
    """
    account = spotify_account(export.mix.owner)
    others = set(
        PlaylistExport.objects.filter(mix__owner=export.mix.owner)
        .exclude(pk=export.pk)
        .exclude(playlist_id="")
        .values_list("playlist_id", flat=True)
    )
    for playlist in client.my_playlists():
        if not playlist or playlist.get("id") in others or playlist.get("id") == export.playlist_id:
            continue
        if account is not None and (playlist.get("owner") or {}).get("id") != account.uid:
            continue
        if _plain(playlist.get("description")).endswith(marker(export.mix)) or _is_this_save(playlist, export):
            return playlist
    return None


def _is_this_save(playlist: dict, export: PlaylistExport) -> bool:
    """Empty, and exactly the name and description this save sends."""
    empty = ((playlist.get("items") or playlist.get("tracks") or {}).get("total") or 0) == 0
    same_name = (playlist.get("name") or "").strip() == export.name.strip()
    same = same_name and _plain(playlist.get("description")) == _plain(export.description)
    return empty and same


def _plain(description: str | None) -> str:
    """A description as the user reads it: Spotify answers with HTML entities (&#x27;) and folds whitespace."""
    return " ".join(html.unescape(description or "").split())
