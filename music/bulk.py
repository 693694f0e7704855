"""Bulk helpers shared by the catalog import, the history sync and the streaming-history import.

Each writes or reads many rows in a few queries: ids in chunks small enough for SQLite's limit on
query parameters, artists and credits in one pass per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from music.models import Artist, TrackArtist

# Ids per `__in` lookup: well under SQLite's limit on query parameters.
CHUNK_SIZE = 2000


def chunks(items: Sequence, size: int = CHUNK_SIZE) -> Iterator[Sequence]:
    """The items in slices of at most `size`, in order."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def resolve_artists(names: Iterable[str]) -> dict[str, int]:
    """Artist ids by name, creating the missing ones, in a few queries per couple of thousand names."""
    wanted = sorted(set(names))
    ids: dict[str, int] = {}
    for chunk in chunks(wanted):
        ids.update(Artist.objects.filter(name__in=chunk).values_list("name", "pk"))
    missing = [name for name in wanted if name not in ids]
    if missing:
        Artist.objects.bulk_create([Artist(name=name) for name in missing], ignore_conflicts=True)
        for chunk in chunks(missing):
            ids.update(Artist.objects.filter(name__in=chunk).values_list("name", "pk"))
    return ids


def save_credits(credits: dict[int, list[int]]) -> set[int]:
    """Make each track's credited artists, in order, these; return the tracks whose credits changed."""
    current: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks(list(credits)):
        pairs = TrackArtist.objects.filter(track_id__in=chunk).order_by("track_id", "position")
        for track_id, artist_id in pairs.values_list("track_id", "artist_id"):
            current[track_id].append(artist_id)
    stale = [track_id for track_id, artists in credits.items() if current.get(track_id, []) != artists]
    for chunk in chunks([track_id for track_id in stale if track_id in current]):
        TrackArtist.objects.filter(track_id__in=chunk).delete()
    TrackArtist.objects.bulk_create(
        TrackArtist(track_id=track_id, artist_id=artist_id, position=position)
        for track_id in stale
        for position, artist_id in enumerate(credits[track_id])
    )
    return set(stale)


def main_artists(track_ids: Iterable[int]) -> dict[int, str]:
    """The first credited artist's name of each of these tracks (those with credits), in one query a chunk."""
    names: dict[int, str] = {}
    for chunk in chunks(sorted(set(track_ids))):
        credits = TrackArtist.objects.filter(track_id__in=chunk).order_by("track_id", "position")
        for track_id, name in credits.values_list("track_id", "artist__name"):
            names.setdefault(track_id, name)
    return names
