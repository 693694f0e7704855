"""Catalog CSV files read and checked a row at a time, in plain Python (no Django).

A file's layout is told from its header: TidyTuesday's `spotify_songs.csv` (one artist per row, one row per
playlist), Kaggle's "Spotify Tracks" (artists joined with ';', often a leading unnamed index column), or the demo
catalog. Each row becomes a checked TrackRow or a RowError saying why it cannot be used.

Two readers share this: the catalog import (`music.importers`, which saves rows with the ORM) and the generator's
CSV pools (`mixes.engine.catalog_csv`), so both accept and refuse the same rows.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TextIO

from music import normalize

# AudioFeatures' names (it takes them from here) and the models' max_length (tests/music/test_catalog_csv.py checks).
FEATURE_FIELDS = ("tempo", "energy", "valence", "danceability")
EXTRA_FEATURE_FIELDS = (
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
    "loudness",
    "key",
    "mode",
    "time_signature",
)
ALL_FEATURE_FIELDS = FEATURE_FIELDS + EXTRA_FEATURE_FIELDS
ARTIST_NAME_MAX_LENGTH = 300
# What a catalog file or a provider may give; anything outside is a mistake, not music.
FEATURE_RANGES = {
    "tempo": (0.0, 300.0),
    "energy": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "danceability": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "speechiness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "loudness": (-60.0, 5.0),  # dB; Spotify's quietest tracks are near -50, a few masters go above 0
    "key": (0, 11),
    "mode": (0, 1),
    "time_signature": (1, 7),
}
WHOLE_FEATURES = ("key", "mode", "time_signature")
# The data's marks for "the analysis found none": no beat (tempo 0), no key (-1), no meter (0). Stored as None.
FEATURE_UNKNOWN = {"tempo": 0, "key": -1, "time_signature": 0}
MAX_DURATION_MS = 24 * 3600 * 1000
_SPOTIFY_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_YEAR = re.compile(r"\s*(\d{4})")


class CatalogError(ValueError):
    """A file that cannot be read at all (unknown layout, empty file), with a message for the person who gave it."""


class RowError(ValueError):
    """A row that cannot be used; the message says why."""


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

    @cached_property
    def song_key(self) -> str:
        """The song this track is an edition of (worked out when first asked: a pool of rows with ids never asks)."""
        return normalize.song_key(self.title, self.artists[0])

    @property
    def key(self) -> str:
        """What makes two rows the same track: the Spotify id, else the song."""
        return self.spotify_id or self.song_key


@dataclass(frozen=True)
class Layout:
    """A file layout: the columns an import needs, and how to read one row.

    `core` are the fewer columns a candidate pool cannot do without; a missing column reads as empty.
    """

    name: str
    columns: tuple[str, ...]
    parse: Callable[[dict], TrackRow]
    core: tuple[str, ...] = ()

    def missing(self, header: Iterable[str], columns: Iterable[str] | None = None) -> list[str]:
        present = set(header)
        return [column for column in columns or self.columns if column not in present]

    def row(self, raw: dict) -> TrackRow:
        """The row as a TrackRow, or a RowError saying why it cannot be used."""
        if None in raw:
            raise RowError("has more fields than the header")
        return self.parse(raw)


# Reading one row -------------------------------------------------------------------------------


def _text(raw: dict, column: str) -> str:
    return (raw.get(column) or "").strip()


def _required(raw: dict, column: str, max_length: int = 500) -> str:
    text = _text(raw, column)
    if not text:
        raise RowError(f"{column} is empty")
    return text[:max_length]


def feature_value(name: str, value: float) -> float | None:
    """A feature as stored: None for the data's "found none" mark, a RowError when out of range or not whole."""
    if value == FEATURE_UNKNOWN.get(name):
        return None
    low, high = FEATURE_RANGES[name]
    if not math.isfinite(value) or not low <= value <= high:
        raise RowError(f"{name} {value:g} is out of range ({low:g} to {high:g})")
    if name in WHOLE_FEATURES:
        if not value.is_integer():
            raise RowError(f"{name} {value:g} is not a whole number")
        return int(value)
    return value


def _feature(raw: dict, name: str) -> float | None:
    text = _text(raw, name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"{name} is not a number: {text!r}") from None
    return feature_value(name, value)


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
    """Every feature the row has; a column the layout lacks (time_signature in TidyTuesday) is None."""
    return {name: _feature(raw, name) for name in ALL_FEATURE_FIELDS}


def _artists(raw: dict, column: str, separator: str | None = None) -> list[str]:
    text = _text(raw, column)
    names = text.split(separator) if separator else [text]
    artists: list[str] = []
    for name in names:
        name = unicodedata.normalize("NFC", name.strip())
        if len(name) > ARTIST_NAME_MAX_LENGTH:
            raise RowError(f"{column} has a name longer than {ARTIST_NAME_MAX_LENGTH} characters")
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
    if "NA" in raw.values():
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


# Layouts and files --------------------------------------------------------------------------------

FEATURE_COLUMNS = ("danceability", "energy", "valence", "tempo", "duration_ms")
TIDYTUESDAY = Layout(
    "TidyTuesday",
    ("track_id", "track_name", "track_artist", "track_album_name", "track_album_release_date", "playlist_genre")
    + FEATURE_COLUMNS,
    _parse_tidytuesday,
    core=("track_id", "track_name", "track_artist", "tempo", "energy", "duration_ms"),
)
KAGGLE = Layout(
    "Kaggle Spotify Tracks",
    ("track_id", "artists", "album_name", "track_name", "explicit", "track_genre") + FEATURE_COLUMNS,
    _parse_kaggle,
    core=("track_id", "track_name", "artists", "tempo", "energy", "duration_ms"),
)
DEMO = Layout(
    "Session Mix demo",
    ("title", "artists", "album", "release_year", "explicit", "genre") + FEATURE_COLUMNS,
    _parse_demo,
)
LAYOUTS = (TIDYTUESDAY, KAGGLE)


def find_layout(header: Sequence[str], layouts: Sequence[Layout] = LAYOUTS, *, core: bool = False) -> Layout | None:
    """The first layout whose columns (with `core`, only its core columns) the header has."""
    for layout in layouts:
        if not layout.missing(header, layout.core if core else None):
            return layout
    return None


def detect_layout(header: Sequence[str], layouts: Sequence[Layout] = LAYOUTS) -> Layout:
    """The layout whose columns the header has, or a CatalogError naming what each one misses."""
    layout = find_layout(header, layouts)
    if layout is None:
        misses = "; ".join(f"{layout.name} needs {', '.join(layout.missing(header))}" for layout in layouts)
        raise CatalogError(f"Unknown CSV layout: {misses}.")
    return layout


def read_rows(file: TextIO) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """An open CSV file's header (names stripped) and its rows, each with the line it ends on."""
    reader = csv.DictReader(file)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    return header, ((reader.line_num, raw) for raw in reader)
