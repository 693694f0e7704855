"""Catalog tracks without a Spotify id (the demo catalog) get one by searching Spotify for title and artist.

Save to Spotify calls this before building its list of URIs, and lists what stays unresolved to the
person rather than dropping it silently. A track is searched once: a search that finds no match is
remembered (`Track.spotify_search_failed_at`) and not repeated unless asked (`retry_failed=True`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.spotify import SpotifyClient
from music.models import Track
from music.normalize import song_key

# Two recordings of a song whose lengths differ by this much are still the same recording.
DURATION_TOLERANCE_MS = 3000


@dataclass
class ResolveReport:
    """`resolved`: the given tracks that now carry a Spotify id (in the order given); `unresolved`: the others.

    `same_song` pairs a track with the catalog row that already holds its Spotify id: the same song
    twice in the catalog. That track is in `resolved` with the id set on the object only (the id is
    unique in the table), so its URI can still be saved.
    """

    resolved: list[Track] = field(default_factory=list)
    unresolved: list[Track] = field(default_factory=list)
    same_song: list[tuple[Track, Track]] = field(default_factory=list)
    searches: int = 0


def best_match(track: Track, candidates: list[dict]) -> dict | None:
    """The search result that is this song: same normalized title and main artist, closest in length.

    A result within 3 s of the track's duration is preferred to one further off.
    """
    same = [
        item
        for item in candidates
        if item and item.get("id") and item.get("artists") and _key(item) == track.song_key and not item.get("is_local")
    ]
    if not same:
        return None
    return min(same, key=lambda item: _duration_miss(track, item))


def _key(item: dict) -> str:
    return song_key(item.get("name") or "", item["artists"][0].get("name") or "")


def _duration_miss(track: Track, item: dict) -> tuple[bool, int]:
    miss = abs((item.get("duration_ms") or 0) - track.duration_ms)
    return (miss > DURATION_TOLERANCE_MS, miss)


def _main_artist(track: Track) -> str:
    credited = [artist.name for artist in track.artists.all()]
    return credited[0] if credited else track.artist_names.split(",")[0].strip()


def resolve_spotify_ids(
    user, tracks: Iterable[Track], *, retry_failed: bool = False, client: SpotifyClient | None = None
) -> ResolveReport:
    """Find Spotify ids for these tracks, searching Spotify (at most 10 results a search) for those that need it.

    Tracks that have an id already are resolved as they are; a song the catalog already holds under a
    Spotify id needs no search. Each match is saved at once, so a rate limit half-way loses nothing;
    Spotify errors (RateLimited, ReconnectSpotify, ...) reach the caller.
    """
    report = ResolveReport()
    tracks = list(tracks)
    known = _known_ids({track.song_key for track in tracks if not track.spotify_id})
    for track in tracks:
        if track.spotify_id:
            report.resolved.append(track)
            continue
        existing = known.get(track.song_key)
        if existing is not None and existing.pk != track.pk:
            track.spotify_id = existing.spotify_id
            report.same_song.append((track, existing))
            report.resolved.append(track)
            continue
        if track.spotify_search_failed_at and not retry_failed:
            report.unresolved.append(track)
            continue
        client = client or SpotifyClient.for_user(user)
        report.searches += 1
        match = best_match(track, client.search_track(track.title, _main_artist(track)))
        if match is None:
            track.spotify_search_failed_at = timezone.now()
            track.save(update_fields=["spotify_search_failed_at"])
            report.unresolved.append(track)
            continue
        existing = _claim(track, match)
        if existing is not None:
            report.same_song.append((track, existing))
            known[track.song_key] = existing
        report.resolved.append(track)
    return report


def _known_ids(keys: set[str]) -> dict[str, Track]:
    """Catalog rows that hold a Spotify id for these songs."""
    known: dict[str, Track] = {}
    for track in Track.objects.filter(song_key__in=keys, spotify_id__isnull=False).order_by("pk"):
        known.setdefault(track.song_key, track)
    return known


def _claim(track: Track, match: dict) -> Track | None:
    """Store the match's id and ISRC on the track; if another row holds that id, return that row instead."""
    spotify_id = match["id"]
    existing = Track.objects.filter(spotify_id=spotify_id).exclude(pk=track.pk).first()
    if existing is None:
        track.spotify_id = spotify_id
        track.isrc = ((match.get("external_ids") or {}).get("isrc") or track.isrc)[:12]
        track.spotify_search_failed_at = None
        try:
            with transaction.atomic():
                track.save(update_fields=["spotify_id", "isrc", "spotify_search_failed_at"])
            return None
        except IntegrityError:  # taken meanwhile by a concurrent sync
            existing = Track.objects.get(spotify_id=spotify_id)
    track.spotify_id = spotify_id
    return existing
