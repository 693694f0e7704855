"""What a track *is*, as the taste model's features: a sparse design, group by group, over any pool's tracks.

Each credited artist (its share of the credits), the genre, the decade, a bin of each audio feature and explicit.
Feature names ("artist:muse", "genre:rock", "energy:3") are what a stored model is keyed by, so it applies to any
pool; a group maps a name back to its code in O(model), never O(pool). Plain NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixes.engine.pool import Pool

# Audio features, binned: a bin per range, so a taste need not be "more is better" (mid-tempo lovers exist).
BINS = {
    "energy": (0.2, 0.4, 0.6, 0.8),
    "valence": (0.2, 0.4, 0.6, 0.8),
    "danceability": (0.2, 0.4, 0.6, 0.8),
    "acousticness": (0.05, 0.2, 0.5, 0.8),
    "instrumentalness": (0.01, 0.1, 0.5),
    "speechiness": (0.05, 0.1, 0.2, 0.35),
    "loudness": (-14.0, -10.0, -7.0, -5.0),
    "duration": (150.0, 210.0, 270.0, 360.0),
}
# What one feature of each group is worth in a track's design row: artists and genre say most.
GROUP_VALUE = {"artist": 1.0, "genre": 1.0, "decade": 0.5, "bin": 0.5, "explicit": 0.5}
DECADES = tuple(range(1900, 2100, 10))
DECADE_NAMES = [f"decade:{decade}" for decade in DECADES]
BIN_NAMES = {name: [f"{name}:{b}" for b in range(len(edges) + 1)] for name, edges in BINS.items()}


@dataclass
class Group:
    """One feature group of a design, sparse: for each entry its row (track), code (feature) and value.

    `names[code]` is a feature's name; `prefix` + key → code maps a model's feature back (O(model), not O(pool)).
    """

    rows: np.ndarray
    codes: np.ndarray
    values: np.ndarray
    names: list[str] | None  # None for artists: named through the pool's folded names
    prefix: str
    pool: Pool | None = None

    @property
    def size(self) -> int:
        return len(self._artists.artist_names) if self.names is None else len(self.names)

    def name(self, code: int) -> str:
        return f"{self.prefix}{self._artists.artist_folded[code]}" if self.names is None else self.names[code]

    def code(self, feature: str) -> int | None:
        if not feature.startswith(self.prefix):
            return None
        if self.names is None:
            return self._artists.artist_id_by_name.get(feature[len(self.prefix) :])
        return self._codes.get(feature)

    @property
    def _artists(self) -> Pool:
        """The pool whose artist ids an artist group's codes are (the group without names of its own)."""
        if self.pool is None:
            raise ValueError(f"The {self.prefix!r} group has no names and no pool to name its codes.")
        return self.pool

    @property
    def _codes(self) -> dict[str, int]:
        return {name: code for code, name in enumerate(self.names or [])}

    def names_used(self) -> list[str]:
        return [self.name(int(c)) for c in np.unique(self.codes)]

    def lookup(self, table: dict[str, float], default: float) -> np.ndarray:
        """A value per code from a {feature: value} table; codes it does not name get `default`."""
        values = np.full(self.size, default)
        codes = self._codes if self.names is not None else None
        for feature, value in table.items():
            if feature.startswith(self.prefix):
                code = codes.get(feature) if codes is not None else self.code(feature)
                if code is not None:
                    values[code] = value
        return values


def design(pool: Pool, idx: np.ndarray) -> list[Group]:
    """The features of the tracks at idx, group by group (rows are positions in idx)."""
    whole = len(idx) == len(pool) and bool(np.all(idx == np.arange(len(pool))))
    owner, flat = (pool.credit_owner, pool.artist_ids) if whole else pool.artists_of(idx)
    credits = np.bincount(owner, minlength=len(idx)).astype(np.float64)
    groups = [
        Group(owner, flat, GROUP_VALUE["artist"] / np.maximum(credits[owner], 1), None, "artist:", pool),
    ]
    genre_names = [f"genre:{name}" for name in pool.genre_folded]
    genre = pool.genre_id[idx]
    named = np.flatnonzero(pool.genre_named[genre]) if len(genre_names) else np.zeros(0, dtype=np.int64)
    groups.append(Group(named, genre[named], np.full(len(named), GROUP_VALUE["genre"]), genre_names, "genre:"))
    year = pool.release_year[idx]
    dated = np.flatnonzero(np.isfinite(year) & (year >= DECADES[0]) & (year < DECADES[-1] + 10))
    groups.append(
        Group(
            dated,
            ((year[dated] - DECADES[0]) // 10).astype(np.int64),
            np.full(len(dated), GROUP_VALUE["decade"]),
            DECADE_NAMES,
            "decade:",
        )
    )
    for name, edges in BINS.items():
        values = pool.duration_s[idx] if name == "duration" else getattr(pool, name)[idx]
        known = np.flatnonzero(np.isfinite(values))
        groups.append(
            Group(
                known,
                np.digitize(values[known], edges),
                np.full(len(known), GROUP_VALUE["bin"]),
                BIN_NAMES[name],
                f"{name}:",
            )
        )
    explicit = np.flatnonzero(pool.explicit[idx])
    groups.append(
        Group(
            explicit,
            np.zeros(len(explicit), dtype=np.int64),
            np.full(len(explicit), GROUP_VALUE["explicit"]),
            ["explicit"],
            "explicit",
        )
    )
    return groups
