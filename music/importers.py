"""Catalog imports: CSV files of tracks with audio features, written to the catalog in bulk.

A file's layout is recognised by its header: TidyTuesday's `spotify_songs.csv` or Kaggle's
"Spotify Tracks". The demo catalog has a layout of its own and goes through the same write
path (`save_tracks`), a batch at a time, in a handful of queries per batch.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F

from music.models import Artist, AudioFeatures, Source, Track, TrackArtist
from music.normalize import song_key

BATCH_SIZE = 2000
# Ids per `__in` lookup: well under SQLite's limit on query parameters.
CHUNK_SIZE = 2000
TRACK_FIELDS = ("title", "artist_names", "album", "release_year", "duration_ms", "explicit", "genre", "song_key")
FEATURE_RANGES = {"tempo": (0.0, 300.0), "energy": (0.0, 1.0), "valence": (0.0, 1.0), "danceability": (0.0, 1.0)}
MAX_DURATION_MS = 24 * 3600 * 1000
_SPOTIFY_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_YEAR = re.compile(r"\s*(\d{4})")
# Source's order is its priority: a value is replaced only by one from the same or a later source.
_RANK = {source.value: rank for rank, source in enumerate(Source)}

Progress = Callable[[int, int | None], None]


class CatalogError(ValueError):
    """A file that cannot be imported at all (unknown layout, empty file)."""


class RowError(ValueError):
    """A row that cannot be imported; the message says why."""


@dataclass
class TrackRow:
    """One track as a catalog file describes it, checked and normalised."""

    title: str
    artists: list[str]
    duration_ms: int
    spotify_id: str | None = None
    album: str = ""
    release_year: int | None = None
    explicit: bool = False
    genre: str = ""
    features: dict[str, float | None] = field(default_factory=dict)
    song_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.song_key = song_key(self.title, self.artists[0])[: Track._meta.get_field("song_key").max_length]

    @property
    def key(self) -> str:
        """What makes two rows the same track: the Spotify id, else the song."""
        return self.spotify_id or self.song_key

    def track_values(self) -> dict:
        return {
            "title": self.title,
            "artist_names": ", ".join(self.artists)[:1000],
            "album": self.album,
            "release_year": self.release_year,
            "duration_ms": self.duration_ms,
            "explicit": self.explicit,
            "genre": self.genre,
            "song_key": self.song_key,
        }


@dataclass(frozen=True)
class Layout:
    name: str
    columns: tuple[str, ...]
    parse: Callable[[dict], TrackRow]

    def missing(self, header: Iterable[str]) -> list[str]:
        present = set(header)
        return [column for column in self.columns if column not in present]


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


# Reading one row -------------------------------------------------------------------------------


def _text(raw: dict, column: str) -> str:
    return (raw.get(column) or "").strip()


def _required(raw: dict, column: str, max_length: int = 500) -> str:
    text = _text(raw, column)
    if not text:
        raise RowError(f"{column} is empty")
    return text[:max_length]


def _number(raw: dict, column: str, low: float, high: float) -> float | None:
    text = _text(raw, column)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"{column} is not a number: {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise RowError(f"{column} {text} is out of range ({low:g} to {high:g})")
    return value


def _duration(raw: dict) -> int:
    text = _text(raw, "duration_ms")
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"duration_ms is not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_DURATION_MS:
        raise RowError(f"duration_ms must be above 0 and at most a day, not {text}")
    return round(value)


def _features(raw: dict) -> dict[str, float | None]:
    values = {name: _number(raw, name, *FEATURE_RANGES[name]) for name in AudioFeatures.FIELDS}
    if values["tempo"] == 0:
        values["tempo"] = None  # the analysis found no beat: unknown, not 0 BPM
    return values


def _artists(raw: dict, column: str, separator: str | None = None) -> list[str]:
    text = _text(raw, column)
    names = text.split(separator) if separator else [text]
    artists: list[str] = []
    for name in names:
        name = unicodedata.normalize("NFC", name.strip())
        if len(name) > Artist._meta.get_field("name").max_length:
            raise RowError(f"{column} has a name longer than 300 characters")
        if name and name not in artists:
            artists.append(name)
    if not artists:
        raise RowError(f"{column} is empty")
    return artists


def _spotify_id(raw: dict, column: str) -> str:
    text = _text(raw, column)
    if not _SPOTIFY_ID.fullmatch(text):
        raise RowError(f"{column} is not a Spotify track id: {text!r}" if text else f"{column} is empty")
    return text


def _year(text: str) -> int | None:
    match = _YEAR.match(text)
    year = int(match.group(1)) if match else None
    return year if year and 1000 < year <= 2100 else None


def _flag(raw: dict, column: str) -> bool:
    text = _text(raw, column).lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no", ""}:
        return False
    raise RowError(f"{column} must be true or false, not {text!r}")


def _parse_tidytuesday(raw: dict) -> TrackRow:
    # The file was written by R, whose missing value is the text "NA".
    raw = {column: "" if value == "NA" else value for column, value in raw.items()}
    return TrackRow(
        spotify_id=_spotify_id(raw, "track_id"),
        title=_required(raw, "track_name"),
        artists=_artists(raw, "track_artist"),
        album=_text(raw, "track_album_name")[:500],
        release_year=_year(_text(raw, "track_album_release_date")),
        duration_ms=_duration(raw),
        genre=_text(raw, "playlist_genre")[:60],
        features=_features(raw),
    )


def _parse_kaggle(raw: dict) -> TrackRow:
    return TrackRow(
        spotify_id=_spotify_id(raw, "track_id"),
        title=_required(raw, "track_name"),
        artists=_artists(raw, "artists", separator=";"),
        album=_text(raw, "album_name")[:500],
        duration_ms=_duration(raw),
        explicit=_flag(raw, "explicit"),
        genre=_text(raw, "track_genre")[:60],
        features=_features(raw),
    )


def _parse_demo(raw: dict) -> TrackRow:
    return TrackRow(
        title=_required(raw, "title"),
        artists=_artists(raw, "artists", separator=";"),
        album=_text(raw, "album")[:500],
        release_year=_year(_text(raw, "release_year")),
        duration_ms=_duration(raw),
        explicit=_flag(raw, "explicit"),
        genre=_text(raw, "genre")[:60],
        features=_features(raw),
    )


FEATURE_COLUMNS = ("danceability", "energy", "valence", "tempo", "duration_ms")
TIDYTUESDAY = Layout(
    "TidyTuesday",
    ("track_id", "track_name", "track_artist", "track_album_name", "track_album_release_date", "playlist_genre")
    + FEATURE_COLUMNS,
    _parse_tidytuesday,
)
KAGGLE = Layout(
    "Kaggle Spotify Tracks",
    ("track_id", "artists", "album_name", "track_name", "explicit", "track_genre") + FEATURE_COLUMNS,
    _parse_kaggle,
)
DEMO = Layout(
    "Session Mix demo",
    ("title", "artists", "album", "release_year", "explicit", "genre") + FEATURE_COLUMNS,
    _parse_demo,
)
LAYOUTS = (TIDYTUESDAY, KAGGLE)


def detect_layout(header: Sequence[str], layouts: Sequence[Layout] = LAYOUTS) -> Layout:
    """The layout whose columns the header has, or a CatalogError naming what each one misses."""
    for layout in layouts:
        if not layout.missing(header):
            return layout
    misses = "; ".join(f"{layout.name} needs {', '.join(layout.missing(header))}" for layout in layouts)
    raise CatalogError(f"Unknown CSV layout: {misses}.")


# Writing a batch ----------------------------------------------------------------------------------


def _chunks(items: Sequence, size: int = CHUNK_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def resolve_artists(names: Iterable[str]) -> dict[str, int]:
    """Artist ids by name, creating the missing ones, in a few queries per couple of thousand names."""
    wanted = sorted(set(names))
    ids: dict[str, int] = {}
    for chunk in _chunks(wanted):
        ids.update(Artist.objects.filter(name__in=chunk).values_list("name", "pk"))
    missing = [name for name in wanted if name not in ids]
    if missing:
        Artist.objects.bulk_create([Artist(name=name) for name in missing], ignore_conflicts=True)
        for chunk in _chunks(missing):
            ids.update(Artist.objects.filter(name__in=chunk).values_list("name", "pk"))
    return ids


def offer_features(features: AudioFeatures, values: dict[str, float | None], source: str) -> bool:
    """Take the offered values a source may set; say whether anything changed.

    A value replaces one from the same or an earlier source in `Source` order, never a later
    one: a person's BPM fix survives every re-import. An unknown (None) value replaces nothing.
    """
    rank = _RANK[source]
    changed = False
    for name in AudioFeatures.FIELDS:
        value = values.get(name)
        if value is None:
            continue
        held = features.sources.get(name)
        held_rank = -1 if held is None else _RANK.get(held, len(_RANK))
        if getattr(features, name) is not None and held_rank > rank:
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
    for chunk in _chunks(ids):
        found.update((track.spotify_id, track) for track in Track.objects.filter(spotify_id__in=chunk).only(*fields))
    keys = [row.song_key for row in rows if not row.spotify_id]
    for chunk in _chunks(keys):
        tracks = Track.objects.filter(song_key__in=chunk).only(*fields)
        for track in tracks.order_by(F("spotify_id").asc(nulls_first=True), "pk"):
            found.setdefault(track.song_key, track)
    return found


def _save_credits(credits: dict[int, list[int]]) -> set[int]:
    """Make each track's credited artists, in order, these; return the tracks whose credits changed."""
    current: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(list(credits)):
        pairs = TrackArtist.objects.filter(track_id__in=chunk).order_by("track_id", "position")
        for track_id, artist_id in pairs.values_list("track_id", "artist_id"):
            current[track_id].append(artist_id)
    stale = [track_id for track_id, artists in credits.items() if current.get(track_id, []) != artists]
    for chunk in _chunks([track_id for track_id in stale if track_id in current]):
        TrackArtist.objects.filter(track_id__in=chunk).delete()
    TrackArtist.objects.bulk_create(
        TrackArtist(track_id=track_id, artist_id=artist_id, position=position)
        for track_id in stale
        for position, artist_id in enumerate(credits[track_id])
    )
    return set(stale)


def _save_features(offers: list[tuple[int, dict]], source: str) -> set[int]:
    """Offer each track its features from `source`; return the tracks whose features changed."""
    current: dict[int, AudioFeatures] = {}
    for chunk in _chunks([track_id for track_id, _ in offers]):
        current.update((features.pk, features) for features in AudioFeatures.objects.filter(track_id__in=chunk))
    changed = []
    for track_id, values in offers:
        features = current.get(track_id) or AudioFeatures(track_id=track_id, sources={})
        if offer_features(features, values, source):
            changed.append(features)
    AudioFeatures.objects.bulk_create(
        changed, update_conflicts=True, unique_fields=["track"], update_fields=[*AudioFeatures.FIELDS, "sources"]
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
            values = row.track_values()
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

        credited = _save_credits(
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
            if None in raw:
                raise RowError("has more fields than the header")
            row = layout.parse(raw)
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
        reader = csv.DictReader(file)
        if not reader.fieldnames:
            raise CatalogError("The file is empty.")
        reader.fieldnames = [name.strip() for name in reader.fieldnames]
        layout = detect_layout(reader.fieldnames, layouts)
        rows = ((reader.line_num, raw) for raw in reader)
        return import_rows(rows, layout, source=source, batch_size=batch_size, progress=progress, total=total)
