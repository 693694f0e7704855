"""Bulk helpers shared by the catalog import, the history sync and the streaming-history import.

Each writes or reads many rows in a few queries: ids in chunks small enough for SQLite's limit on
query parameters, artists and credits in one pass per chunk, plays in many-row INSERTs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connections, router
from django.db.models.expressions import RawSQL

from music import search_copies
from music.models import Artist, Play, TrackArtist

# Ids per `__in` lookup: well under SQLite's limit on query parameters.
CHUNK_SIZE = 2000


def chunks(items: Sequence, size: int = CHUNK_SIZE) -> Iterator[Sequence]:
    """The items in slices of at most `size`, in order."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def id_list(ids: Iterable[int], using: str = "default") -> RawSQL:
    """Any number of ids as a subquery with one parameter (`pk__in=id_list(ids)`): PostgreSQL takes them as one
    array, SQLite as one JSON list; a list of placeholders would cost a parameter each, past SQLite's limit."""
    ids = [int(pk) for pk in ids]
    if connections[using].vendor == "postgresql":
        # One text parameter: psycopg spends longer adapting a list of thousands of ints than PostgreSQL parsing it.
        return RawSQL("SELECT unnest(%s::bigint[])", ("{" + ",".join(map(str, ids)) + "}",))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))


def text_list(values: Iterable[str], using: str = "default") -> RawSQL:
    """The same for text (Spotify ids, song keys): one array or JSON parameter."""
    values = list(values)
    if connections[using].vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def upsert(
    model,
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT rows (tuples in `columns`' order) in bulk; on a conflict on `conflict`, update `update` (none: leave the
    row as it is); return `returning` of the rows written.

    PostgreSQL copies the rows into a temporary table (COPY: nothing to build or parse per row) and inserts from it
    in one statement, within a transaction (the table goes at its commit); SQLite takes many rows a statement.
    Column names are ours, never text from outside.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    action = ""
    if conflict:
        sets = ", ".join(f"{quote(column)} = EXCLUDED.{quote(column)}" for column in update)
        action = (
            f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO {f'UPDATE SET {sets}' if update else 'NOTHING'}"
        )
    back = f" RETURNING {', '.join(quote(column) for column in returning)}" if returning else ""
    written: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = quote(f"staging_{model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"
            )
            _copy(connection, cursor, f"{staging} ({names})", rows)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}{action}{back}")
            if returning:
                written = cursor.fetchall()
            cursor.execute(f"DROP TABLE {staging}")
            return written
        per_statement = max(1, min(500, (connection.features.max_query_params or 999) // len(columns)))
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for chunk in chunks(rows, per_statement):
            values = ", ".join([placeholders] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values}{action}{back}", [v for row in chunk for v in row]
            )
            if returning:
                written += cursor.fetchall()
    return written


def lock_for_writing(model) -> None:
    """Within a transaction, keep others from writing the model's table until it ends (reading goes on): what the
    transaction finds missing stays missing. SQLite has one writer at a time anyway."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE")


def insert(model, columns: Sequence[str], rows: Sequence[Sequence], *, new_ids: bool = False) -> list[int]:
    """INSERT rows that conflict with nothing (new tracks while the caller holds the table's write lock, rows of
    tracks just made), in bulk; with `new_ids`, give each row a new id and return them in order.

    PostgreSQL COPYs them straight into the table (ids drawn from its sequence first); SQLite takes many rows a
    statement (RETURNING the ids).
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return [pk for (pk,) in upsert(model, columns, rows, returning=["id"] if new_ids else ())]
    quote = connection.ops.quote_name
    ids: list[int] = []
    with connection.cursor() as cursor:
        if new_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            columns, rows = ("id", *columns), [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        names = ", ".join(quote(column) for column in columns)
        _copy(connection, cursor, f"{quote(model._meta.db_table)} ({names})", rows)
    return ids


def insert_fresh(model, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """insert() rows of tracks just made (their credits, their features with the search copies given), which the
    search copies' triggers need not look at (music.search_copies.fresh_tracks)."""
    with search_copies.fresh_tracks(connections[router.db_for_write(model)]):
        insert(model, columns, rows)


def _copy(connection, cursor, target: str, rows: Sequence[Sequence]) -> None:
    """PostgreSQL: COPY the rows into `target` ("table (columns)"), its errors raised as Django's."""
    with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def resolve_artists(names: Iterable[str]) -> dict[str, int]:
    """Artist ids by name, creating the missing ones, in a few queries per couple of thousand names."""
    return ArtistIds().resolve(names)


class ArtistIds:
    """Artist ids by name, remembered: an import of a million rows asks the database about each artist once."""

    def __init__(self):
        self.known: dict[str, int] = {}

    def resolve(self, names: Iterable[str]) -> dict[str, int]:
        """The ids of these names (and of every name asked before), creating the missing artists."""
        wanted = sorted(set(names) - self.known.keys())
        for chunk in chunks(wanted):
            self.known.update(Artist.objects.filter(name__in=chunk).values_list("name", "pk"))
        missing = [name for name in wanted if name not in self.known]
        if missing:
            Artist.objects.bulk_create([Artist(name=name) for name in missing], ignore_conflicts=True)
            for chunk in chunks(missing):
                self.known.update(Artist.objects.filter(name__in=chunk).values_list("name", "pk"))
        return self.known


def save_credits(credits: dict[int, list[int]], fresh: Iterable[int] = ()) -> set[int]:
    """Make each track's credited artists, in order, these; return the tracks whose credits changed. `fresh`
    tracks were just made: they have none yet."""
    current: dict[int, list[int]] = defaultdict(list)
    fresh = set(fresh)
    held = id_list(track_id for track_id in credits if track_id not in fresh)
    pairs = TrackArtist.objects.filter(track_id__in=held).order_by("track_id", "position")
    for track_id, artist_id in pairs.values_list("track_id", "artist_id"):
        current[track_id].append(artist_id)
    stale = [track_id for track_id, artists in credits.items() if current.get(track_id, []) != artists]
    if replaced := [track_id for track_id in stale if track_id in current]:
        TrackArtist.objects.filter(track_id__in=id_list(replaced)).delete()

    def rows(tracks: list[int]) -> list[tuple]:
        return [(pk, artist_id, position) for pk in tracks for position, artist_id in enumerate(credits[pk])]

    columns = ("track_id", "artist_id", "position")
    # The features of tracks just made are written after their credits: nothing to copy the credits to yet.
    insert_fresh(TrackArtist, columns, rows([pk for pk in stale if pk in fresh]))
    insert(TrackArtist, columns, rows([pk for pk in stale if pk not in fresh]))
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
