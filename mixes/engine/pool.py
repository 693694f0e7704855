"""The candidate tracks, as NumPy arrays the scorer and the generator work on.

A Pool is built once per request (from the database, or a CSV catalog by mixes.engine.catalog_csv.read_pool) and
only read afterwards.
Artists and songs become small integers (mixes.engine.interning): two tracks share an artist when they share an
artist id (names are compared folded: case, accents and punctuation do not count), and are the same song when they
share a song id (`music.normalize.song_key` of the title and main artist).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from mixes.engine.interning import intern
from mixes.engine.plan import PHASE_KINDS
from music.normalize import fold

if TYPE_CHECKING:
    from mixes.engine.taste import PoolTaste

# What the taste model reads besides the scorer's arrays (Pool.add_features may set them after building).
TASTE_ARRAYS = ("release_year", "acousticness", "instrumentalness", "speechiness", "loudness")
# Familiarity saturates at this many plays at the least, so one play in a quiet history is not "well known".
MIN_PLAYS_SCALE = 20


@dataclass(frozen=True)
class TrackRecord:
    """One candidate, as the database layer or a CSV row gives it."""

    key: str
    title: str
    artists: tuple[str, ...]
    duration_ms: int
    tempo: float | None
    energy: float | None
    valence: float | None = None
    danceability: float | None = None
    genre: str = ""
    explicit: bool = False
    release_year: int | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    speechiness: float | None = None
    loudness: float | None = None
    plays: int = 0  # played to the end (a skip is never also a play)
    skips: int = 0
    removed: int = 0
    liked: bool = False  # liked in Session Mix
    saved: bool = False  # in the person's Spotify library (Liked Songs, or their own playlists)
    top: bool = False  # one of their Spotify top tracks
    lists: frozenset[str] = frozenset()  # phase kinds whose Master List (global or theirs) holds the track
    song: str = ""  # music.normalize.song_key(title, main artist), when the caller has it already


def list_bit(kind: str) -> int:
    return 1 << PHASE_KINDS.index(kind)


def list_bits(kinds) -> int:
    return sum(list_bit(kind) for kind in kinds if kind in PHASE_KINDS)


def _floats(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _unknown(n: int) -> np.ndarray:
    return np.full(n, np.nan)


class Pool:
    """Parallel arrays, one entry per track, plus the lists needed to show a track again."""

    def __init__(
        self,
        *,
        keys: list[str],
        titles: Sequence[str],
        genre_names: list[str],
        genre_id: np.ndarray,
        artist_names: list[str],
        artist_ptr: np.ndarray,
        artist_ids: np.ndarray,
        song_id: np.ndarray,
        tempo: np.ndarray,
        energy: np.ndarray,
        valence: np.ndarray,
        danceability: np.ndarray,
        duration_s: np.ndarray,
        explicit: np.ndarray,
        plays: np.ndarray,
        skips: np.ndarray,
        removed: np.ndarray,
        liked: np.ndarray,
        saved: np.ndarray | None = None,
        top: np.ndarray | None = None,
        listed: np.ndarray | None = None,
        skipped_rows: int = 0,
        release_year: np.ndarray | None = None,
        acousticness: np.ndarray | None = None,
        instrumentalness: np.ndarray | None = None,
        speechiness: np.ndarray | None = None,
        loudness: np.ndarray | None = None,
        artist_folded: list[str] | None = None,
    ):
        self.keys = keys
        self.titles = titles
        # Genres as ids into genre_names (one display name per folded genre; "" is a genre too).
        self.genre_names = genre_names
        self.genre_id = genre_id
        self.artist_names = artist_names
        if artist_folded is not None:
            self.__dict__["artist_folded"] = artist_folded  # already worked out: the cached property's value
        self.artist_ptr = artist_ptr
        self.artist_ids = artist_ids
        self.song_id = song_id
        self.tempo = tempo
        self.energy = energy
        self.valence = valence
        self.danceability = danceability
        self.duration_s = duration_s
        self.explicit = explicit
        self.plays = plays
        self.skips = skips
        self.removed = removed
        self.liked = liked
        self.saved = np.zeros(len(keys), dtype=bool) if saved is None else saved
        self.top = np.zeros(len(keys), dtype=bool) if top is None else top
        # One bit per phase kind (PHASE_KINDS order): on that kind's Master List.
        self.listed = np.zeros(len(keys), dtype=np.int64) if listed is None else listed
        # Rows of a CSV catalog that could not be used (those the catalog import refuses too).
        self.skipped_rows = skipped_rows
        # What the taste model reads besides the above; nan where unknown.
        n = len(keys)
        self.release_year = _unknown(n) if release_year is None else release_year
        self.acousticness = _unknown(n) if acousticness is None else acousticness
        self.instrumentalness = _unknown(n) if instrumentalness is None else instrumentalness
        self.speechiness = _unknown(n) if speechiness is None else speechiness
        self.loudness = _unknown(n) if loudness is None else loudness
        # The person's taste model bound to this pool (mixes.engine.taste.Taste.bind), or None: no taste part.
        self.taste: PoolTaste | None = None
        has_features = np.isfinite(tempo) & (tempo > 0) & np.isfinite(energy)
        # Tracks without a tempo or an energy cannot follow a plan; the generator says how many it left out.
        self.without_features = int(len(keys) - has_features.sum())
        self.usable = has_features & (duration_s > 0)
        self.plays_scale = max(float(plays.max(initial=0)), MIN_PLAYS_SCALE)
        # Without any history these parts of a score are the same for every track; the scorer skips them.
        self.has_plays = bool(plays.max(initial=0) > 0 or self.saved.any() or self.top.any())
        self.has_feedback = bool(liked.any() or skips.max(initial=0) > 0 or removed.max(initial=0) > 0)
        self.missing_mood = bool(np.isnan(valence).any() or np.isnan(danceability).any())
        # Tracks sorted by tempo, for window queries that never scan the whole pool.
        usable = np.flatnonzero(self.usable)
        self.tempo_order = usable[np.argsort(tempo[usable], kind="stable")]
        self.tempo_sorted = tempo[self.tempo_order]

    def add_features(self, **arrays: np.ndarray) -> None:
        """Set arrays the taste model reads (release_year, acousticness, ...), one value per track, after building."""
        for name, values in arrays.items():
            if name not in TASTE_ARRAYS or len(values) != len(self):
                raise ValueError(f"{name}: not a taste feature, or not one value per track.")
            setattr(self, name, np.asarray(values, dtype=np.float64))

    # Building ----------------------------------------------------------------------------------------------------

    @classmethod
    def from_records(cls, records: Iterable[TrackRecord], skipped_rows: int = 0, taste_features: bool = True) -> Pool:
        """A pool of the given tracks; a key seen twice keeps its first record.

        taste_features=False leaves out the records' release year, acousticness, ... (all unknown), for a caller
        that sets them with add_features or has no taste model to apply.
        """
        unique: dict[str, TrackRecord] = {}
        for record in records:
            unique.setdefault(str(record.key), record)
        rows = list(unique.values())
        taste = {name: _floats(getattr(row, name) for row in rows) for name in TASTE_ARRAYS} if taste_features else {}
        return cls.from_columns(
            keys=[str(row.key) for row in rows],
            titles=[row.title for row in rows],
            artists=[row.artists for row in rows],
            songs=[row.song for row in rows],
            genres=[row.genre for row in rows],
            duration_s=np.array([row.duration_ms / 1000 for row in rows], dtype=np.float64),
            tempo=_floats(row.tempo for row in rows),
            energy=_floats(row.energy for row in rows),
            valence=_floats(row.valence for row in rows),
            danceability=_floats(row.danceability for row in rows),
            explicit=np.array([bool(row.explicit) for row in rows], dtype=bool),
            plays=np.array([row.plays for row in rows], dtype=np.float64),
            skips=np.array([row.skips for row in rows], dtype=np.float64),
            removed=np.array([row.removed for row in rows], dtype=np.float64),
            liked=np.array([bool(row.liked) for row in rows], dtype=bool),
            saved=np.array([bool(row.saved) for row in rows], dtype=bool),
            top=np.array([bool(row.top) for row in rows], dtype=bool),
            listed=np.array([list_bits(row.lists) for row in rows], dtype=np.int64),
            skipped_rows=skipped_rows,
            **taste,
        )

    @classmethod
    def from_columns(
        cls,
        *,
        keys: list[str],
        titles: Sequence[str],
        artists: Sequence[Sequence[str]],
        songs: Sequence[str],
        genres: Sequence[str],
        **arrays,
    ) -> Pool:
        """A pool of parallel columns, one entry per track (keys distinct): artist names in credit order, song keys
        ("" for one worked out from the title and main artist), genres, and the other arrays Pool() takes, by name
        (plays, skips, removed and liked may be left out: none)."""
        n = len(keys)
        for name in ("plays", "skips", "removed"):
            arrays.setdefault(name, np.zeros(n, dtype=np.float64))
        arrays.setdefault("liked", np.zeros(n, dtype=bool))
        numbered = intern(keys, titles, artists, songs, genres)
        return cls(keys=keys, titles=titles, **vars(numbered), **arrays)

    def resample(self, n: int, seed: int = 0) -> Pool:
        """n tracks drawn with replacement, each a new track: its own key and its own song (for benchmarks)."""
        rng = np.random.default_rng(seed)
        pick = rng.integers(0, len(self), size=n)
        owner, flat = self.artists_of(pick)
        counts = np.bincount(owner, minlength=n)
        return Pool(
            keys=[f"{self.keys[i]}~{j}" for j, i in enumerate(pick.tolist())],
            titles=[self.titles[i] for i in pick.tolist()],
            genre_names=self.genre_names,
            genre_id=self.genre_id[pick],
            artist_names=self.artist_names,
            artist_ptr=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            artist_ids=flat,
            song_id=np.arange(n, dtype=np.int64),
            tempo=self.tempo[pick],
            energy=self.energy[pick],
            valence=self.valence[pick],
            danceability=self.danceability[pick],
            duration_s=self.duration_s[pick],
            explicit=self.explicit[pick],
            plays=self.plays[pick],
            skips=self.skips[pick],
            removed=self.removed[pick],
            liked=self.liked[pick],
            saved=self.saved[pick],
            top=self.top[pick],
            listed=self.listed[pick],
            release_year=self.release_year[pick],
            acousticness=self.acousticness[pick],
            instrumentalness=self.instrumentalness[pick],
            speechiness=self.speechiness[pick],
            loudness=self.loudness[pick],
            artist_folded=self.artist_folded,
        )

    # Reading -----------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.keys)

    @cached_property
    def known(self) -> np.ndarray:
        """Music the person knows: played to the end, in their Spotify library or top tracks, or liked here."""
        return (self.plays > 0) | self.saved | self.top | self.liked

    @cached_property
    def known_indexes(self) -> np.ndarray:
        return np.flatnonzero(self.known)

    @cached_property
    def artist_folded(self) -> list[str]:
        """Each artist id's folded name (how artists are told apart)."""
        return [fold(name) for name in self.artist_names]

    @cached_property
    def genre_folded(self) -> list[str]:
        """Each genre id's folded name."""
        return [fold(name) for name in self.genre_names]

    @cached_property
    def genre_named(self) -> np.ndarray:
        """Per genre id: whether it is a genre at all ("" is the id of tracks without one)."""
        return np.array([bool(name) for name in self.genre_folded], dtype=bool)

    @cached_property
    def credit_owner(self) -> np.ndarray:
        """For each credit in artist_ids, the track it belongs to."""
        return np.repeat(np.arange(len(self)), np.diff(self.artist_ptr))

    @cached_property
    def _index(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.keys)}

    @cached_property
    def artist_id_by_name(self) -> dict[str, int]:
        """Folded artist name → artist id."""
        return {name: i for i, name in enumerate(self.artist_folded)}

    def genre_ids_named(self, names: Iterable[str]) -> np.ndarray:
        """The ids of these genres (folded); genres not in the pool are left out."""
        lookup = {fold(name): i for i, name in enumerate(self.genre_names)}
        return np.array(sorted({lookup[f] for f in map(fold, names) if f and f in lookup}), dtype=np.int64)

    def index_of(self, key: str) -> int:
        """The position of a track by its key; KeyError if it is not in the pool."""
        return self._index[str(key)]

    def has(self, key: str) -> bool:
        return str(key) in self._index

    def artist_set(self, index: int) -> np.ndarray:
        """The artist ids credited on a track, in credit order."""
        return self.artist_ids[self.artist_ptr[index] : self.artist_ptr[index + 1]]

    def artists(self, index: int) -> tuple[str, ...]:
        return tuple(self.artist_names[i] for i in self.artist_set(index))

    def artists_of(self, indexes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The credits of many tracks at once: (position in `indexes`, artist id), one pair per credit."""
        indexes = np.asarray(indexes, dtype=np.int64)
        starts = self.artist_ptr[indexes]
        counts = self.artist_ptr[indexes + 1] - starts
        total = int(counts.sum())
        owner = np.repeat(np.arange(len(indexes)), counts)
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(indexes) else np.zeros(0, dtype=np.int64)
        flat = self.artist_ids[np.repeat(starts - offsets, counts) + np.arange(total)]
        return owner, flat

    @cached_property
    def _by_artist(self) -> tuple[np.ndarray, np.ndarray]:
        """Credits sorted by artist id: (artist ids, track indexes), for finding an artist's tracks."""
        order = np.argsort(self.artist_ids, kind="stable")
        return self.artist_ids[order], self.credit_owner[order]

    def tracks_by(self, artist_ids: np.ndarray) -> np.ndarray:
        """The tracks crediting any of these artists."""
        artists, tracks = self._by_artist
        starts = np.searchsorted(artists, artist_ids, side="left")
        stops = np.searchsorted(artists, artist_ids, side="right")
        found = [tracks[a:b] for a, b in zip(starts, stops, strict=True)]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def artist_ids_named(self, names: Iterable[str]) -> np.ndarray:
        """The ids of the artists with these names (folded); names not in the pool are left out."""
        names = [name for name in names if name]
        if not names:
            return np.zeros(0, dtype=np.int64)
        lookup = self.artist_id_by_name
        return np.array(sorted({lookup[f] for f in map(fold, names) if f and f in lookup}), dtype=np.int64)

    def in_tempo_window(self, low: float, high: float) -> np.ndarray:
        """Usable tracks whose tempo, double tempo or half tempo is within [low, high]: binary searches, no scan."""
        ranges = []
        for factor in (1.0, 2.0, 0.5):
            start = int(np.searchsorted(self.tempo_sorted, low / factor, side="left"))
            stop = int(np.searchsorted(self.tempo_sorted, high / factor, side="right"))
            if stop > start:
                ranges.append([start, stop])
        ranges.sort()
        merged: list[list[int]] = []
        for start, stop in ranges:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([start, stop])
        if not merged:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([self.tempo_order[a:b] for a, b in merged])

    def track_at(self, index: int) -> TrackRecord:
        """The track at this index, as the TrackRecord it was built from."""

        def value(array):
            number = float(array[index])
            return None if np.isnan(number) else number

        year = value(self.release_year)

        return TrackRecord(
            key=self.keys[index],
            title=self.titles[index],
            artists=self.artists(index),
            duration_ms=int(round(self.duration_s[index] * 1000)),
            tempo=value(self.tempo),
            energy=value(self.energy),
            valence=value(self.valence),
            danceability=value(self.danceability),
            genre=self.genre_names[self.genre_id[index]],
            explicit=bool(self.explicit[index]),
            release_year=None if year is None else int(year),
            acousticness=value(self.acousticness),
            instrumentalness=value(self.instrumentalness),
            speechiness=value(self.speechiness),
            loudness=value(self.loudness),
            plays=int(self.plays[index]),
            skips=int(self.skips[index]),
            removed=int(self.removed[index]),
            liked=bool(self.liked[index]),
            saved=bool(self.saved[index]),
            top=bool(self.top[index]),
            lists=frozenset(kind for kind in PHASE_KINDS if self.listed[index] & list_bit(kind)),
        )
