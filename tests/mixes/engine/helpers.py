"""Synthetic tracks, pools and plans for the engine tests (no database)."""

from __future__ import annotations

import csv

import numpy as np

from mixes.engine.plan import PlanSpec
from mixes.engine.pool import Pool, TrackRecord


def track(key: str, title: str | None = None, artists=("Artist",), **fields) -> TrackRecord:
    """One track: 160 BPM, energy 0.7, 200 s unless told otherwise."""
    values = {"duration_ms": 200_000, "tempo": 160.0, "energy": 0.7, "valence": 0.6, "danceability": 0.6}
    values.update(fields)
    return TrackRecord(key=key, title=title or f"Song {key}", artists=tuple(artists), **values)


def records(n: int = 2000, seed: int = 0, artists: int = 400, prefix: str = "t") -> list[TrackRecord]:
    """n distinct songs spread over tempo 80–180 BPM, energy 0.25–1 and 2:30–5:30 in length."""
    rng = np.random.default_rng(seed)
    return [
        TrackRecord(
            key=f"{prefix}{i}",
            title=f"Song {prefix}{i}",
            artists=(f"Artist {rng.integers(artists)}",),
            duration_ms=int(rng.uniform(150, 330) * 1000),
            tempo=float(rng.uniform(80, 180)),
            energy=float(rng.uniform(0.25, 1.0)),
            valence=float(rng.uniform(0, 1)),
            danceability=float(rng.uniform(0, 1)),
            genre=str(rng.choice(["pop", "rock", "edm"])),
        )
        for i in range(n)
    ]


def pool(n: int = 2000, seed: int = 0, **kwargs) -> Pool:
    return Pool.from_records(records(n, seed, **kwargs))


def plan(*phases, name: str = "Test plan") -> PlanSpec:
    """A plan from (kind, seconds, tempo, energy) tuples; tempo and energy may be [start, end] pairs."""
    return PlanSpec.from_dict(
        {
            "name": name,
            "phases": [
                {"name": f"{kind} {i}", "kind": kind, "duration_s": seconds, "tempo_bpm": tempo, "energy": energy}
                for i, (kind, seconds, tempo, energy) in enumerate(phases)
            ],
        }
    )


def steady(seconds: int = 1200, tempo=160, energy=0.7) -> PlanSpec:
    return plan(("steady", seconds, tempo, energy))


def section_totals(result) -> list[float]:
    return [sum(p.duration_s for p in section.picks) for section in result.sections]


# The columns the engine reads, in the two layouts (real files have more; the Kaggle one opens with an index column).
TIDY_COLUMNS = ["track_id", "track_name", "track_artist", "playlist_genre", "danceability", "energy", "valence"]
TIDY_COLUMNS += ["tempo", "duration_ms"]
KAGGLE_COLUMNS = ["", "track_id", "artists", "track_name", "duration_ms", "explicit", "danceability", "energy"]
KAGGLE_COLUMNS += ["valence", "tempo", "track_genre"]


def write_csv(path, columns: list[str], rows: list[dict]):
    """A catalog CSV; valence and danceability default to 0.5."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, restval="0.5")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_tidy(path, rows):
    """TidyTuesday layout; rows as (id, title, artist, genre, tempo, energy, duration_ms)."""
    names = ("track_id", "track_name", "track_artist", "playlist_genre", "tempo", "energy", "duration_ms")
    return write_csv(path, TIDY_COLUMNS, [dict(zip(names, row, strict=True)) for row in rows])


def write_kaggle(path, rows):
    """Kaggle layout; rows as (id, title, artists joined with ';', genre, tempo, energy, duration_ms, explicit)."""
    names = ("track_id", "track_name", "artists", "track_genre", "tempo", "energy", "duration_ms", "explicit")
    return write_csv(path, KAGGLE_COLUMNS, [{"": i} | dict(zip(names, row, strict=True)) for i, row in enumerate(rows)])
