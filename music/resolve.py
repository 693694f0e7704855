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
from music.bulk import chunks, main_artists
from music.models import Track
from music.normalize import song_key
from music.spotify_tracks import smallest_image_url

# Two recordings of a song whose lengths differ by this much are still the same recording.
DURATION_TOLERANCE_MS = 3000
# What a search's match gives the track it is found for.
CLAIMED_FIELDS = ["spotify_id", "isrc", "image_url", "spotify_search_failed_at"]


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


def resolve_spotify_ids(
    user, tracks: Iterable[Track], *, retry_failed: bool = False, client: SpotifyClient | None = None
) -> ResolveReport:
    """Find Spotify ids for these tracks, searching Spotify (at most 10 results a search) for those that need it.

    Tracks that have an id already are resolved as they are; a song the catalog already holds under a
    Spotify id needs no search. The database is read and written in a few queries whatever the number
    of tracks: what the searches found is saved together when they end, also when one fails half-way
    (a rate limit loses nothing); Spotify errors (RateLimited, ReconnectSpotify, ...) reach the caller.
    """
    report = ResolveReport()
    tracks = list(tracks)
    known = _known_ids({track.song_key for track in tracks if not track.spotify_id})
    same_song: dict[int, Track] = {}
    wanted: list[Track] = []
    for track in tracks:
        if track.spotify_id:
            continue
        existing = known.get(track.song_key)
        if existing is not None and existing.pk != track.pk:
            track.spotify_id = existing.spotify_id
            same_song[track.pk] = existing
        elif retry_failed or not track.spotify_search_failed_at:
            wanted.append(track)

    found: list[tuple[Track, dict | None]] = []
    if wanted:
        main = main_artists(track.pk for track in wanted)
        try:
            for track in wanted:
                client = client or SpotifyClient(user)
                report.searches += 1
                artist = main.get(track.pk) or track.artist_names.split(",")[0].strip()
                found.append((track, best_match(track, client.search_track(track.title, artist))))
        finally:
            same_song.update(_save(found))

    for track in tracks:
        if track.pk in same_song:
            report.same_song.append((track, same_song[track.pk]))
        (report.resolved if track.spotify_id else report.unresolved).append(track)
    return report


def _known_ids(keys: set[str]) -> dict[str, Track]:
    """Catalog rows that hold a Spotify id for these songs."""
    known: dict[str, Track] = {}
    for chunk in chunks(sorted(keys)):
        for track in Track.objects.filter(song_key__in=chunk, spotify_id__isnull=False).order_by("pk"):
            known.setdefault(track.song_key, track)
    return known


def _save(found: list[tuple[Track, dict | None]]) -> dict[int, Track]:
    """Store the searches' answers: a failed search is remembered, a match's id, ISRC and cover image are stored on
    its track.

    When another row already holds a match's id (the same song twice in the catalog), the track gets the
    id on the object only; these tracks are returned with that row, by track pk.
    """
    failed = [track for track, match in found if match is None]
    if failed:
        now = timezone.now()
        for track in failed:
            track.spotify_search_failed_at = now
        Track.objects.filter(pk__in=[track.pk for track in failed]).update(spotify_search_failed_at=now)
    matches = [(track, match) for track, match in found if match is not None]
    if not matches:
        return {}
    holders = {
        track.spotify_id: track
        for track in Track.objects.filter(spotify_id__in={match["id"] for _, match in matches}).order_by("pk")
    }
    same_song: dict[int, Track] = {}
    claims: list[Track] = []
    for track, match in matches:
        holder = holders.get(match["id"])
        track.spotify_id = match["id"]
        if holder is not None and holder.pk != track.pk:
            same_song[track.pk] = holder
            continue
        track.isrc = ((match.get("external_ids") or {}).get("isrc") or track.isrc)[:12]
        track.image_url = smallest_image_url((match.get("album") or {}).get("images")) or track.image_url
        track.spotify_search_failed_at = None
        holders[match["id"]] = track
        claims.append(track)
    try:
        with transaction.atomic():
            Track.objects.bulk_update(claims, CLAIMED_FIELDS)
    except IntegrityError:  # an id taken meanwhile by a concurrent sync: claim them one by one
        for track in claims:
            existing = _claim(track)
            if existing is not None:
                same_song[track.pk] = existing
    return same_song


def _claim(track: Track) -> Track | None:
    """Store the track's new id, ISRC and cover image; if another row holds that id by now, return that row instead."""
    try:
        with transaction.atomic():
            track.save(update_fields=CLAIMED_FIELDS)
        return None
    except IntegrityError:
        return Track.objects.get(spotify_id=track.spotify_id)
