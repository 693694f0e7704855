"""Catalog imports: CSV files of tracks with audio features, written to the catalog in bulk.

A file's layout is recognised by its header and its rows are checked by `music.catalog_csv`
(TidyTuesday's `spotify_songs.csv`, Kaggle's "Spotify Tracks", the demo catalog); this module
writes them (`save_tracks`), a batch at a time, in a handful of queries per batch.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F

from music.bulk import chunks, resolve_artists, save_credits
from music.catalog_csv import LAYOUTS, CatalogError, Layout, RowError, TrackRow, detect_layout, read_rows
from music.models import AudioFeatures, Source, Track

BATCH_SIZE = 2000
TRACK_FIELDS = ("title", "artist_names", "album", "release_year", "duration_ms", "explicit", "genre", "song_key")
# Source's order is its priority: a value is replaced only by one from the same or a later source.

Progress = Callable[[int, int | None], None]


@dataclass
class ImportReport:
    layout: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)

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
        lines.append(f"  skipped:   {len(self.skipped):,} bad rows")
        lines += [f"    line {line}: {reason}" for line, reason in self.skipped[:limit]]
        if len(self.skipped) > limit:
            lines.append(f"    … and {len(self.skipped) - limit:,} more")
        return lines


# Writing a batch ----------------------------------------------------------------------------------


def _track_values(row: TrackRow) -> dict:
    return {
        "title": row.title,
        "artist_names": ", ".join(row.artists)[:1000],
        "album": row.album,
        "release_year": row.release_year,
        "duration_ms": row.duration_ms,
        "explicit": row.explicit,
        "genre": row.genre,
        "song_key": row.song_key,
    }


def offer_features(features: AudioFeatures, values: dict[str, float | None], source: str) -> bool:
    """Take the offered values a source may set; say whether anything changed.

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


def _find_tracks(rows: Sequence[TrackRow]) -> dict[str, Track]:
    """The catalog's tracks for these rows, by row key.

    A row without a Spotify id (the demo catalog) is the track with its song key, preferring
    one that has no Spotify id either.
    """
    fields = ("spotify_id", *TRACK_FIELDS)
    found: dict[str, Track] = {}
    ids = [row.spotify_id for row in rows if row.spotify_id]
    for chunk in chunks(ids):
        found.update((track.spotify_id, track) for track in Track.objects.filter(spotify_id__in=chunk).only(*fields))
    keys = [row.song_key for row in rows if not row.spotify_id]
    for chunk in chunks(keys):
        tracks = Track.objects.filter(song_key__in=chunk).only(*fields)
        for track in tracks.order_by(F("spotify_id").asc(nulls_first=True), "pk"):
            found.setdefault(track.song_key, track)
    return found


def _save_features(offers: list[tuple[int, dict]], source: str) -> set[int]:
    """Offer each track its features from `source`; return the tracks whose features changed."""
    current: dict[int, AudioFeatures] = {}
    for chunk in chunks([track_id for track_id, _ in offers]):
        current.update((features.pk, features) for features in AudioFeatures.objects.filter(track_id__in=chunk))
    changed = []
    for track_id, values in offers:
        features = current.get(track_id) or AudioFeatures(track_id=track_id, sources={})
        if offer_features(features, values, source):
            changed.append(features)
    AudioFeatures.objects.bulk_create(
        changed, update_conflicts=True, unique_fields=["track"], update_fields=[*AudioFeatures.ALL_FIELDS, "sources"]
    )
    return {features.pk for features in changed}


def save_tracks(rows: Sequence[TrackRow], source: str) -> Counter:
    """Create or update these tracks with their credits and features; count created, updated, unchanged.

    Rows must have distinct keys. A row with a Spotify id is the track with that id. A demo row
    whose song has since got a Spotify id leaves that track's title and credits alone and only
    fills in features it lacks.
    """
    with transaction.atomic():
        artist_ids = resolve_artists(name for row in rows for name in row.artists)
        found = _find_tracks(rows)
        upserts: list[Track] = []
        inserts: list[Track] = []
        updates: list[Track] = []
        pending: list[tuple[TrackRow, Track, str, bool]] = []
        for row in rows:
            track = found.get(row.key)
            if track is not None and track.spotify_id != row.spotify_id:
                pending.append((row, track, "unchanged", False))
                continue
            values = _track_values(row)
            if track is None:
                status = "created"
            elif any(getattr(track, name) != value for name, value in values.items()):
                status = "updated"
            else:
                status = "unchanged"
            if status != "unchanged" and (row.spotify_id or track is None):
                # A new object without a pk: the upsert matches on spotify_id and returns the pk.
                track = Track(spotify_id=row.spotify_id, **values)
                (upserts if row.spotify_id else inserts).append(track)
            elif status == "updated":
                for name, value in values.items():
                    setattr(track, name, value)
                updates.append(track)
            pending.append((row, track, status, True))

        Track.objects.bulk_create(
            upserts, update_conflicts=True, unique_fields=["spotify_id"], update_fields=list(TRACK_FIELDS)
        )
        Track.objects.bulk_create(inserts)
        Track.objects.bulk_update(updates, list(TRACK_FIELDS))

        credited = save_credits(
            {track.pk: [artist_ids[name] for name in row.artists] for row, track, _, owned in pending if owned}
        )
        featured = _save_features([(track.pk, row.features) for row, track, _, _ in pending], source)
        counts: Counter = Counter()
        for _, track, status, _ in pending:
            if status == "unchanged" and (track.pk in credited or track.pk in featured):
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
    (the same track in several playlists) is counted and ignored: the first one wins.
    """
    report = ImportReport(layout=layout.name)
    seen: set[str] = set()
    batch: list[TrackRow] = []
    for line, raw in rows:
        report.rows += 1
        try:
            row = layout.row(raw)
        except RowError as error:
            report.skipped.append((line, str(error)))
            continue
        if row.key in seen:
            report.repeated += 1
            continue
        seen.add(row.key)
        batch.append(row)
        if len(batch) >= batch_size:
            report.add(save_tracks(batch, source))
            batch = []
            if progress:
                progress(report.rows, total)
    if batch:
        report.add(save_tracks(batch, source))
    if progress:
        progress(report.rows, total)
    return report


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
        return import_rows(rows, layout, source=source, batch_size=batch_size, progress=progress, total=total)
