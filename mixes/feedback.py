"""The feedback loop from Spotify: tracks the user deleted from a playlist Session Mix saved count against them.

A save remembers the URIs it wrote (`PlaylistExport.saved_uris`). A history sync reads the items of
each playlist saved in the last 30 days — one read per playlist (pages of 50) — and every saved
track no longer there becomes a REMOVED feedback on its mix, which the scorer counts like a removal
in the app (`mixes.pools.load_pool`). A removal is recorded once: a track that already has one
for that mix is not recorded again, however many syncs see it missing.

Skips are not recorded here, nor as Feedback: they stay on `Play.skipped` and in
`TrackAffinity.skip_count` (see `music.history.infer_skips`), which the scorer reads directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.spotify import Forbidden, NotFound, SpotifyClient
from mixes.export import is_marked
from mixes.models import Feedback, PlaylistExport
from music.models import Track

# Saves older than this are not read again: what the user did to an old playlist says little now.
RECENT = timedelta(days=30)
URI_PREFIX = "spotify:track:"


def recent_exports(user):
    """The user's playlists saved in the last 30 days, with what was saved in them."""
    return (
        PlaylistExport.objects.filter(
            mix__owner=user, status=PlaylistExport.Status.DONE, updated_at__gte=timezone.now() - RECENT
        )
        .exclude(playlist_id="")
        .exclude(saved_uris=[])
        .select_related("mix")
        .order_by("pk")
    )


def saved_here(user) -> Callable[[dict], bool]:
    """A test of a Spotify playlist object: True for one Session Mix saved for this user.

    Known by the ids the saves stored; a playlist an older save marked "[Session Mix #<id>]" is known by
    that too (also when its row is gone). New saves write no marker: a playlist whose id a save lost and
    never found again counts as the user's, which costs nothing, as such a playlist is empty.
    """
    ours = set(
        PlaylistExport.objects.filter(mix__owner=user).exclude(playlist_id="").values_list("playlist_id", flat=True)
    )
    return lambda playlist: playlist.get("id") in ours or is_marked(playlist)


def learn_from_exported_playlists(user, client: SpotifyClient) -> int:
    """Record a REMOVED feedback for each saved track the user has since deleted from its playlist; count them.

    A playlist that is gone (deleted, or no longer readable by this user) is passed over. Spotify's
    other errors (a rate limit, a revoked token) reach the caller; removals already recorded stay.
    """
    recorded = 0
    for export in recent_exports(user):
        try:
            present = {_uri(track) for track in client.playlist_tracks(export.playlist_id)}
        except (NotFound, Forbidden):
            continue
        gone = [uri for uri in export.saved_uris if uri not in present]
        if gone:
            recorded += _record_removals(user, export, gone)
    return recorded


def _uri(track: dict | None) -> str | None:
    """The URI of a playlist's track object."""
    track = track or {}
    return track.get("uri") or (f"{URI_PREFIX}{track['id']}" if track.get("id") else None)


def _record_removals(user, export: PlaylistExport, uris: list[str]) -> int:
    """REMOVED feedback on the export's mix for the tracks of these URIs that have none yet; count the new ones."""
    spotify_ids = [uri.removeprefix(URI_PREFIX) for uri in uris]
    track_ids = set(Track.objects.filter(spotify_id__in=spotify_ids).values_list("pk", flat=True))
    with transaction.atomic():
        known = set(
            Feedback.objects.filter(
                user=user, mix=export.mix, kind=Feedback.Kind.REMOVED, track_id__in=track_ids
            ).values_list("track_id", flat=True)
        )
        new = [
            Feedback(user=user, mix=export.mix, track_id=track_id, kind=Feedback.Kind.REMOVED)
            for track_id in sorted(track_ids - known)
        ]
        Feedback.objects.bulk_create(new)
    return len(new)
