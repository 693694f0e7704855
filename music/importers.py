"""Catalog imports: CSV files of tracks with audio features, written to the catalog in bulk.

A file's layout is recognised by its header and its rows are checked by `music.catalog_csv`
(TidyTuesday's `spotify_songs.csv`, Kaggle's "Spotify Tracks", the demo catalog); this module
writes them (`save_tracks`), a batch at a time, in a handful of queries per batch.
"""

from __future__ import annotations

import csv
import json
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from django.db import connections, router, transaction
from django.db.models import F
from django.utils import timezone

from music import search_copies
from music.bulk import ArtistIds, id_list, insert, insert_fresh, lock_for_writing, save_credits, text_list, upsert
from music.catalog_csv import LAYOUTS, CatalogError, Layout, RowError, TrackRow, detect_layout, read_rows
from music.models import Artist, AudioFeatures, Source, Track, TrackArtist

BATCH_SIZE = 5000
TRACK_FIELDS = ("title", "artist_names", "album", "release_year", "duration_ms", "explicit", "genre", "song_key")
# Source's order is its priority: a value is replaced only by one from the same or a later source.

Progress = Callable[[int, int | None], None]
# Bad rows whose line and reason a report keeps (it counts them all): a file of nothing but bad rows stays small.
SKIPPED_KEPT = 1000


@dataclass
class ImportReport:
    layout: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), the first SKIPPED_KEPT
    skipped_rows: int = 0

    def skip(self, line: int, reason: str) -> None:
        self.skipped_rows += 1
        if len(self.skipped) < SKIPPED_KEPT:
            self.skipped.append((line, reason))

    def add(self, counts: Counter) -> None:
        self.created += counts["created"]
        self.updated += counts["updated"]
        self.unchanged += counts["unchanged"]

    def summary(self, limit: int = 20) -> list[str]:
        """What an operator reads at the end of an import."""
        lines = [
            f"Read {self.rows:,} rows ({self.layout} layout).",
            f"  created:   {self.created:,} tracks",
            f"  updated:   {self.updated:,}",
            f"  unchanged: {self.unchanged:,}",
        ]
        if self.repeated:
            lines.append(f"  repeated:  {self.repeated:,} rows repeat a track seen earlier; the first one was kept")
        lines.append(f"  skipped:   {self.skipped_rows:,} bad rows")
        lines += [f"    line {line}: {reason}" for line, reason in self.skipped[:limit]]
        if self.skipped_rows > limit:
            lines.append(f"    … and {self.skipped_rows - limit:,} more")
        return lines


# Writing a batch ----------------------------------------------------------------------------------


def _track_values(row: TrackRow) -> tuple:
    """A row's track columns, in TRACK_FIELDS' order."""
    artist_names = ", ".join(row.artists)[:1000]
    return (
        row.title,
        artist_names,
        row.album,
        row.release_year,
        row.duration_ms,
        row.explicit,
        row.genre,
        row.song_key,
    )


def offer_features(features, values: dict[str, float | None], source: str) -> bool:
    """Take the offered values a source may set into `features` (anything with the feature fields and `sources` as
    attributes: an AudioFeatures, or Held); say whether anything changed.

    A value replaces one from the same or a less trusted source (`Source.rank`), never a more
    trusted one: a person's BPM fix survives every re-import. An unknown (None) value replaces nothing.
    """
    rank = Source.rank(source)
    changed = False
    for name in AudioFeatures.ALL_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        held = features.sources.get(name)
        if getattr(features, name) is not None and Source.rank(held) > rank:
            continue
        if getattr(features, name) != value or held != source:
            setattr(features, name, value)
            features.sources = {**features.sources, name: source}
            changed = True
    return changed


class Held(SimpleNamespace):
    """A track's features as stored, read without a model instance (thousands a batch)."""


class Existing(NamedTuple):
    """A catalog track a row matched: its id, Spotify id, and its TRACK_FIELDS values."""

    pk: int
    spotify_id: str | None
    values: tuple


def _find_tracks(rows: Sequence[TrackRow]) -> dict[str, Existing]:
    """The catalog's tracks for these rows, by row key.

    A row without a Spotify id (the demo catalog) is the track with its song key, preferring
    one that has no Spotify id either.
    """
    fields = ("pk", "spotify_id", *TRACK_FIELDS)
    found: dict[str, Existing] = {}
    if ids := [row.spotify_id for row in rows if row.spotify_id]:
        for pk, spotify_id, *values in Track.objects.filter(spotify_id__in=text_list(ids)).values_list(*fields):
            found[spotify_id] = Existing(pk, spotify_id, tuple(values))
    if keys := [row.song_key for row in rows if not row.spotify_id]:
        tracks = Track.objects.filter(song_key__in=text_list(keys))
        for pk, spotify_id, *values in tracks.order_by(F("spotify_id").asc(nulls_first=True), "pk").values_list(
            *fields
        ):
            found.setdefault(values[-1], Existing(pk, spotify_id, tuple(values)))
    return found


def _write_tracks(rows: list[tuple[TrackRow, Existing | None]]) -> tuple[dict[str, int], list[int]]:
    """Create or update these tracks: their ids by row key, and the ids of those created."""
    now = timezone.now()
    columns = ("spotify_id", *TRACK_FIELDS, "isrc", "image_url", "created_at")
    new = [row for row, track in rows if track is None]
    created = insert(Track, columns, [(row.spotify_id, *_track_values(row), "", "", now) for row in new], new_ids=True)
    ids = dict(zip((row.key for row in new), created, strict=True))
    changed = [(track.pk, row.spotify_id, *_track_values(row), "", "", now) for row, track in rows if track]
    upsert(Track, ("id", *columns), changed, conflict=["id"], update=TRACK_FIELDS)
    ids.update((row.key, track.pk) for row, track in rows if track)
    return ids, created


def _save_features(offers: list[tuple[int, dict]], source: str, given_copies: dict[int, tuple]) -> set[int]:
    """Offer each track its features from `source`; return the tracks whose features changed. The tracks with
    `given_copies` were just made: they have none yet, and their search copies (music.search_copies) are these."""
    fields = AudioFeatures.ALL_FIELDS
    held: dict[int, Held] = {}
    rows = AudioFeatures.objects.filter(track_id__in=id_list(pk for pk, _ in offers if pk not in given_copies))
    for track_id, sources, *values in rows.values_list("track_id", "sources", *fields):
        held[track_id] = Held(sources=sources, **dict(zip(fields, values, strict=True)))
    new, changed = [], []
    first_sources: dict[tuple, str] = {}  # a new track's sources, as JSON, by which fields it has
    for track_id, values in offers:
        features = held.get(track_id)
        if features is None:  # nothing held yet: every value offered is taken
            has = tuple(values.get(name) is not None for name in fields)
            if not any(has):
                continue
            if has not in first_sources:
                first_sources[has] = json.dumps({name: source for name, ok in zip(fields, has, strict=True) if ok})
            row = (track_id, *(values.get(name) for name in fields), first_sources[has], "[]")
            if track_id in given_copies:
                new.append((*row, *given_copies[track_id]))
            else:
                changed.append(row)
        elif offer_features(features, values, source):
            sources = json.dumps(features.sources)
            changed.append((track_id, *(getattr(features, name) for name in fields), sources, "[]"))
    columns = ("track_id", *fields, "sources", "asked")
    insert_fresh(AudioFeatures, (*columns, *search_copies.COPIES), new)
    upsert(AudioFeatures, columns, changed, conflict=["track_id"], update=[*fields, "sources"])
    return {row[0] for row in new + changed}


def save_tracks(rows: Sequence[TrackRow], source: str, artists: ArtistIds | None = None) -> Counter:
    """Create or update these tracks with their credits and features; count created, updated, unchanged.

    Rows must have distinct keys. A row with a Spotify id is the track with that id. A demo row
    whose song has since got a Spotify id leaves that track's title and credits alone and only
    fills in features it lacks. `artists` remembers artist ids across the batches of one import.
    """
    with transaction.atomic():
        lock_for_writing(Track)  # the rows not found below are new when written
        artist_ids = (artists or ArtistIds()).resolve(name for row in rows for name in row.artists)
        found = _find_tracks(rows)
        statuses: dict[str, str] = {}
        writes: list[tuple[TrackRow, Existing | None]] = []
        ids: dict[str, int] = {}
        owned: list[TrackRow] = []
        for row in rows:
            track = found.get(row.key)
            if track is not None and track.spotify_id != row.spotify_id:
                statuses[row.key], ids[row.key] = "unchanged", track.pk  # a demo row for a Spotify track: features
                continue
            if track is None:
                statuses[row.key] = "created"
            elif track.values != _track_values(row):
                statuses[row.key] = "updated"
            else:
                statuses[row.key], ids[row.key] = "unchanged", track.pk
            if statuses[row.key] != "unchanged":
                writes.append((row, track))
            owned.append(row)
        written, created = _write_tracks(writes)
        ids.update(written)
        credits = {ids[row.key]: [artist_ids[name] for name in row.artists] for row in owned}
        credited = save_credits(credits, created)
        fresh = set(created)
        copies = {pk: search_copies.given(row, credits[pk]) for row in owned if (pk := ids[row.key]) in fresh}
        featured = _save_features([(ids[row.key], row.features) for row in rows], source, copies)
        counts: Counter = Counter()
        for row in rows:
            status = statuses[row.key]
            if status == "unchanged" and (ids[row.key] in credited or ids[row.key] in featured):
                status = "updated"
            counts[status] += 1
        return counts


# Whole files -----------------------------------------------------------------------------------------


def import_rows(
    rows: Iterable[tuple[int, dict]],
    layout: Layout,
    *,
    source: str = Source.CATALOG,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    total: int | None = None,
) -> ImportReport:
    """Import (line number, row) pairs of one layout, a batch at a time.

    Bad rows are skipped and reported with their line; a row repeating an earlier row's track
    (the same track in several playlists) is counted and ignored: the first one wins. The rows are read and
    checked in a thread of their own while the database writes the batch before (reading is Python, writing is
    mostly waiting), never more than two batches ahead: the file is streamed, whatever its size.
    """
    report = ImportReport(layout=layout.name)
    artists = ArtistIds()
    for batch, read in _batches(rows, layout, batch_size, report):
        report.add(save_tracks(batch, source, artists))
        if progress:
            progress(read, total)
    if progress:
        progress(report.rows, total)
    return report


def _batches(rows: Iterable[tuple[int, dict]], layout: Layout, size: int, report: ImportReport):
    """(batch of checked rows, rows read so far), read in a thread; bad and repeated rows counted in `report`."""
    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        seen: set[str] = set()
        batch: list[TrackRow] = []
        try:
            for line, raw in rows:
                report.rows += 1
                try:
                    row = layout.row(raw)
                    key = row.key
                except RowError as error:
                    report.skip(line, str(error))
                    continue
                if key in seen:
                    report.repeated += 1
                    continue
                seen.add(key)
                batch.append(row)
                if len(batch) >= size:
                    _put(ready, stop, (batch, report.rows))
                    batch = []
            _put(ready, stop, (batch, report.rows))
            _put(ready, stop, None)
        except BaseException as error:  # handed to the writer, which raises it
            _put(ready, stop, error)

    reader = threading.Thread(target=read, name="import-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            if item[0]:
                yield item
    finally:
        stop.set()  # a writer that failed lets the reader go
        reader.join()


def _put(ready: queue.Queue, stop: threading.Event, item) -> None:
    """Hand the writer an item, unless it has stopped listening."""
    while not stop.is_set():
        try:
            ready.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def count_rows(path: Path | str) -> int:
    """Data rows in a CSV file (quoted line breaks included), for the progress bar."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        return max(sum(1 for record in csv.reader(file) if record) - 1, 0)


def import_csv(
    path: Path | str,
    *,
    layouts: Sequence[Layout] = LAYOUTS,
    source: str = Source.CATALOG,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a catalog CSV file whose layout is recognised by its header."""
    total = count_rows(path) if progress else None
    with open(path, newline="", encoding="utf-8-sig") as file:
        header, rows = read_rows(file)
        if not header:
            raise CatalogError("The file is empty.")
        layout = detect_layout(header, layouts)
        report = import_rows(rows, layout, source=source, batch_size=batch_size, progress=progress, total=total)
    refresh_statistics()
    return report


def refresh_statistics() -> None:
    """After a big import on PostgreSQL (outside a transaction): fresh planner statistics for the catalog, and the
    visibility map Generate's index-only scans need (VACUUM), rather than waiting for autovacuum."""
    connection = connections[router.db_for_write(Track)]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (AudioFeatures, TrackArtist):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        for model in (Track, Artist):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
