"""Bulk helpers shared by the catalog import, the history sync and the streaming-history import.

Each writes or reads many rows in a few queries: ids in chunks small enough for SQLite's limit on
query parameters, artists and credits in one pass per chunk, plays in many-row INSERTs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connections, router

from music.models import Artist, Play, TrackArtist

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


@dataclass
class NewPlays:
    """What add_plays stored: the plays that were new, and how many of those are skips."""

    count: int = 0
    skips: int = 0


def add_plays(plays: list[Play]) -> NewPlays:
    """Store new plays (a play already there is left alone); count the new ones and their skips.

    INSERT ... ON CONFLICT DO NOTHING, many rows a statement: PostgreSQL takes each column as one
    array (unnest), SQLite takes rows of parameters. With bulk_create, most of a 30,000-play import
    went into compiling SQL and binding parameters, row by row. RETURNING gives back only the rows
    inserted, so a play uploaded again counts neither as new nor as a skip.
    """
    new = NewPlays()
    if not plays:
        return new
    connection = connections[router.db_for_write(Play)]
    quote = connection.ops.quote_name
    columns = {
        "user_id": "bigint",
        "track_id": "bigint",
        "played_at": "timestamptz",
        "ms_played": "integer",
        "skipped": "boolean",
        "source": "varchar",
    }
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(p.user_id, p.track_id, adapt(p.played_at), p.ms_played, p.skipped, p.source) for p in plays]
    insert = f"INSERT INTO {quote(Play._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
    returning = f" ON CONFLICT DO NOTHING RETURNING {quote('skipped')}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
            statements = [
                (
                    f"{insert}SELECT * FROM unnest({arrays}){returning}",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
                for chunk in chunks(rows, 10_000)
            ]
        else:
            row_sql = f"({', '.join(['%s'] * len(columns))})"
            per_query = (connection.features.max_query_params or 6000) // len(columns)
            statements = [
                (f"{insert}VALUES {', '.join([row_sql] * len(chunk))}{returning}", [v for row in chunk for v in row])
                for chunk in chunks(rows, min(1000, per_query))
            ]
        for sql, params in statements:
            cursor.execute(sql, params)
            inserted = cursor.fetchall()
            new.count += len(inserted)
            new.skips += sum(1 for (skipped,) in inserted if skipped)
    return new
