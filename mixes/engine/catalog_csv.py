"""Read a track catalog from a CSV file in one of the two public Spotify layouts.

- TidyTuesday 2020-01-21 "Spotify Songs": `track_id, track_name, track_artist, ..., playlist_genre, ..., tempo,
  duration_ms` (one artist per row, no explicit flag).
- Kaggle "Spotify Tracks": `track_id, artists, album_name, track_name, ..., explicit, ..., track_genre`, artists
  joined with ';' and often a leading unnamed index column.

The layout is told from the header. Tracks repeated under the same id (one row per playlist or genre) are read once.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from mixes.engine.pool import TrackRecord

TIDYTUESDAY = ("track_id", "track_name", "track_artist", "tempo", "energy", "duration_ms")
KAGGLE = ("track_id", "track_name", "artists", "tempo", "energy", "duration_ms")


class CatalogError(ValueError):
    """A catalog file that cannot be read, with a message fit for the person who gave it."""


def read_catalog(path) -> tuple[list[TrackRecord], int]:
    """The distinct tracks of a catalog CSV, and how many rows were skipped as unusable."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            layout = _layout(path, reader.fieldnames or [])
            records: list[TrackRecord] = []
            seen: set[str] = set()
            skipped = 0
            for row in reader:
                record = _record(row, layout)
                if record is None:
                    skipped += 1
                elif record.key not in seen:
                    seen.add(record.key)
                    records.append(record)
    except FileNotFoundError:
        raise CatalogError(f"No catalog file at {path}.") from None
    except IsADirectoryError:
        raise CatalogError(f"{path} is a folder, not a catalog CSV file.") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path} is not a UTF-8 text file; a catalog is a CSV file.") from None
    except csv.Error as error:
        raise CatalogError(f"{path} is not a readable CSV file: {error}.") from None
    if not records:
        raise CatalogError(f"{path} has no usable track rows (each needs a track_id and a duration_ms).")
    return records, skipped


def _layout(path: Path, header: list[str]) -> str:
    names = {name.strip() for name in header}
    if all(column in names for column in TIDYTUESDAY):
        return "tidytuesday"
    if all(column in names for column in KAGGLE):
        return "kaggle"
    raise CatalogError(
        f"{path} is not a catalog layout we know. Expected the TidyTuesday columns ({', '.join(TIDYTUESDAY)}) "
        f"or the Kaggle 'Spotify Tracks' columns ({', '.join(KAGGLE)})."
    )


def _record(row: dict, layout: str) -> TrackRecord | None:
    key = (row.get("track_id") or "").strip()
    duration = _float(row.get("duration_ms"))
    if not key or duration is None or duration <= 0:
        return None
    tempo = _float(row.get("tempo"))
    if layout == "tidytuesday":
        artists = _names([row.get("track_artist") or ""])
        genre = row.get("playlist_genre") or ""
        explicit = False
    else:
        artists = _names((row.get("artists") or "").split(";"))
        genre = row.get("track_genre") or ""
        explicit = (row.get("explicit") or "").strip().lower() in {"true", "1", "yes"}
    return TrackRecord(
        key=key,
        title=(row.get("track_name") or "").strip(),
        artists=artists,
        duration_ms=int(duration),
        # A tempo of 0 is the provider's way of saying it found none.
        tempo=tempo if tempo and tempo > 0 else None,
        energy=_float(row.get("energy")),
        valence=_float(row.get("valence")),
        danceability=_float(row.get("danceability")),
        genre=genre.strip(),
        explicit=explicit,
    )


def _names(parts) -> tuple[str, ...]:
    return tuple(name for name in (part.strip() for part in parts) if name)


def _float(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
