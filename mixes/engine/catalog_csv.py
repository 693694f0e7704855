"""Read a candidate pool for the generator from a TidyTuesday or Kaggle "Spotify Tracks" CSV file.

The rows are read and checked by `music.catalog_csv`, as the catalog import reads them: a row the import would
refuse is skipped and counted. Only the core columns are needed (id, name, artists, tempo, energy, duration_ms);
others missing read as empty. Tracks repeated under the same id (one row per playlist or genre) are read once.
"""

from __future__ import annotations

import csv
from pathlib import Path

from mixes.engine.pool import Pool, TrackRecord
from music.catalog_csv import KAGGLE, TIDYTUESDAY, CatalogError, RowError, TrackRow, find_layout, read_rows


def read_pool(path) -> Pool:
    """A pool of the catalog CSV's tracks (skipped rows counted in Pool.skipped_rows). CatalogError for a bad file."""
    records, skipped = read_catalog(path)
    return Pool.from_records(records, skipped_rows=skipped)


def read_catalog(path) -> tuple[list[TrackRecord], int]:
    """The distinct tracks of a catalog CSV, and how many rows were skipped as unusable."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header, rows = read_rows(handle)
            layout = find_layout(header, (TIDYTUESDAY, KAGGLE), core=True)
            if layout is None:
                raise CatalogError(
                    f"{path} is not a catalog layout we know. Expected the TidyTuesday columns "
                    f"({', '.join(TIDYTUESDAY.core)}) or the Kaggle 'Spotify Tracks' columns "
                    f"({', '.join(KAGGLE.core)})."
                )
            records: list[TrackRecord] = []
            seen: set[str] = set()
            skipped = 0
            for _, raw in rows:
                try:
                    row = layout.row(raw)
                except RowError:
                    skipped += 1
                    continue
                if row.key not in seen:
                    seen.add(row.key)
                    records.append(_track_record(row))
    except FileNotFoundError:
        raise CatalogError(f"No catalog file at {path}.") from None
    except IsADirectoryError:
        raise CatalogError(f"{path} is a folder, not a catalog CSV file.") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path} is not a UTF-8 text file; a catalog is a CSV file.") from None
    except csv.Error as error:
        raise CatalogError(f"{path} is not a readable CSV file: {error}.") from None
    if not records:
        raise CatalogError(
            f"{path} has no usable track rows (each needs a track_id, a track name, an artist and a duration_ms)."
        )
    return records, skipped


def _track_record(row: TrackRow) -> TrackRecord:
    return TrackRecord(
        key=row.key,
        title=row.title,
        artists=tuple(row.artists),
        duration_ms=row.duration_ms,
        tempo=row.features["tempo"],
        energy=row.features["energy"],
        valence=row.features["valence"],
        danceability=row.features["danceability"],
        genre=row.genre,
        explicit=row.explicit,
        release_year=row.release_year,
        acousticness=row.features.get("acousticness"),
        instrumentalness=row.features.get("instrumentalness"),
        speechiness=row.features.get("speechiness"),
        loudness=row.features.get("loudness"),
    )
