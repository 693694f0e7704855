"""The simulated listeners: the catalog as they hear it (Ears), each one's hidden taste, and what they play.

Ears reads the catalog once into parallel arrays by track position, with the taste features taken from the
dataset's row for each track (else the catalog's AudioFeatures). draw_taste gives a listener a HiddenTaste from a
seed, its skip probability calibrated to a TARGET_SKIP mean over the catalog; initial_history is the streaming
history they bring along, and play is one play (or skip) as the extended streaming history records it. The
design is in the package docstring (mixes.learning_bench).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from mixes.engine.candidates import MIN_TRACK_S
from music.models import AudioFeatures, Track, TrackArtist

TASTE_FEATURES = ("acousticness", "instrumentalness", "speechiness", "liveness", "loudness", "valence", "danceability")
TARGET_SKIP = 0.40  # mean skip probability over the catalog: the skip rate without learning
SLOPE = 1.2  # how sharply utility turns into skips
LIKED_GENRE, DISLIKED_GENRE = 0.8, -1.6
LIKED_ARTIST, DISLIKED_ARTIST = 1.5, -2.0
ARTIST_MIN_TRACKS = 5
LONG_S, LONG_PER_MIN = 300.0, -1.2  # some dislike songs over 5 minutes, more the longer they go on
HISTORY_SONGS, HISTORY_PLAYS, HISTORY_DAYS = 120, 200, 180


class Ears:
    """The catalog as listeners hear it and as the measures read it: parallel arrays by track position."""

    def __init__(self, csv_path: Path | None):
        rows = list(
            Track.objects.order_by("pk").values_list(
                "pk", "spotify_id", "title", "album", "duration_ms", "genre", "song_key", "features__tempo",
                "features__energy",
            )
        )  # fmt: skip
        self.ids = [row[0] for row in rows]
        self.position = {pk: i for i, pk in enumerate(self.ids)}
        self.spotify_ids = [row[1] for row in rows]
        self.titles = [row[2] for row in rows]
        self.albums = [row[3] for row in rows]
        self.duration_ms = [row[4] for row in rows]
        self.duration_s = np.array(self.duration_ms, dtype=np.float64) / 1000
        self.genres = [row[5] for row in rows]
        self.songs = [row[6] for row in rows]
        self.tempo = np.array([np.nan if row[7] is None else row[7] for row in rows], dtype=np.float64)
        self.energy = np.array([np.nan if row[8] is None else row[8] for row in rows], dtype=np.float64)
        self.artists: list[list[str]] = [[] for _ in rows]
        for pk, name in TrackArtist.objects.order_by("track_id", "position").values_list("track_id", "artist__name"):
            self.artists[self.position[pk]].append(name)
        # What a generated mix can hold: long enough, with a tempo and an energy.
        self.usable = (self.duration_s >= MIN_TRACK_S) & np.isfinite(self.tempo) & np.isfinite(self.energy)
        self.features = self._features(csv_path)

    def __len__(self) -> int:
        return len(self.ids)

    def _features(self, csv_path: Path | None) -> dict[str, np.ndarray]:
        """Each taste feature standardised over the catalog (0 where unknown): the dataset's value, else the stored one.

        A feature fewer than half the tracks have is left out of every taste.
        """
        heard: dict[str, dict[str, float | None]] = {}
        if csv_path is not None and csv_path.is_file():
            with open(csv_path, newline="", encoding="utf-8-sig") as file:
                for raw in csv.DictReader(file):
                    heard.setdefault(
                        raw.get("track_id") or "", {name: _float(raw.get(name)) for name in TASTE_FEATURES}
                    )
        stored = _stored_features()
        standardised = {}
        for name in TASTE_FEATURES:
            values = np.array(
                [
                    _first((heard.get(sid or "") or {}).get(name), stored.get(pk, {}).get(name))
                    for pk, sid in zip(self.ids, self.spotify_ids, strict=True)
                ],
                dtype=np.float64,
            )
            known = np.isfinite(values)
            if not len(values) or known.mean() < 0.5:
                continue
            spread = float(np.nanstd(values)) or 1.0
            standardised[name] = np.where(known, (values - np.nanmean(values)) / spread, 0.0)
        return standardised


def _stored_features() -> dict[int, dict[str, float | None]]:
    """The catalog's own values of the taste features AudioFeatures has (some fields are new: read what exists)."""
    names = [name for name in TASTE_FEATURES if name in {f.name for f in AudioFeatures._meta.get_fields()}]
    if not names:
        return {}
    rows = AudioFeatures.objects.values_list("pk", *names)
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "", "NA") else None
    except ValueError:
        return None


def _first(*values: float | None) -> float:
    return next((float(v) for v in values if v is not None), np.nan)


@dataclass
class HiddenTaste:
    """A listener's hidden taste, and the skip probability it gives every track of the catalog."""

    genres: dict[str, float]
    artists: dict[str, float]
    features: dict[str, float]
    dislikes_long: bool
    utility: np.ndarray
    skip: np.ndarray

    def describe(self) -> str:
        def names(weights, sign):
            return ", ".join(name for name, w in weights.items() if w * sign > 0) or "—"

        leanings = ", ".join(f"{'+' if w > 0 else '−'}{name}" for name, w in self.features.items())
        long = "; skips songs over 5 min" if self.dislikes_long else ""
        return (
            f"likes {names(self.genres, 1)} and {names(self.artists, 1)}; avoids {names(self.genres, -1)} and "
            f"{names(self.artists, -1)}; leans {leanings or '—'}{long}"
        )


def draw_taste(ears: Ears, seed: Sequence[int]) -> HiddenTaste:
    """A taste over what the catalog holds (genres, artists with several tracks, features, length), from a seed."""
    rng = np.random.default_rng(list(seed))
    counts = _counts(ears.genres)
    genres = sorted(g for g, n in counts.items() if g and n >= 0.02 * len(ears))
    genres = [genres[i] for i in rng.permutation(len(genres))]
    third = max(1, len(genres) // 3)
    genre_weights = {g: LIKED_GENRE for g in genres[:third]} | {g: DISLIKED_GENRE for g in genres[third : 2 * third]}
    by_artist = _counts(name for names in ears.artists for name in names)
    candidates = sorted(a for a, n in by_artist.items() if n >= ARTIST_MIN_TRACKS)
    artist_weights: dict[str, float] = {}
    if candidates:
        share = np.array([by_artist[a] for a in candidates], dtype=np.float64)
        chosen = rng.choice(len(candidates), size=min(8, len(candidates)), replace=False, p=share / share.sum())
        for n, i in enumerate(chosen.tolist()):
            artist_weights[candidates[i]] = LIKED_ARTIST if n % 2 == 0 else DISLIKED_ARTIST
    features = list(ears.features)
    chosen_features = [features[i] for i in rng.permutation(len(features))[:3]]
    feature_weights = {name: float(rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 0.8)) for name in chosen_features}
    dislikes_long = bool(rng.random() < 0.5)

    utility = np.array([genre_weights.get(g, 0.0) for g in ears.genres], dtype=np.float64)
    utility += [sum(artist_weights.get(a, 0.0) for a in credits) for credits in ears.artists]
    for name, weight in feature_weights.items():
        utility += weight * ears.features[name]
    if dislikes_long:
        utility += LONG_PER_MIN * np.clip((ears.duration_s - LONG_S) / 60, 0, 3)
    skip = _sigmoid(_calibrated_bias(utility[ears.usable]) - SLOPE * utility)
    return HiddenTaste(genre_weights, artist_weights, feature_weights, dislikes_long, utility, skip)


def _counts(values) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _calibrated_bias(utility: np.ndarray) -> float:
    """The bias that makes the mean skip probability over these tracks TARGET_SKIP (bisection)."""
    low, high = -20.0, 20.0
    for _ in range(60):
        middle = (low + high) / 2
        if _sigmoid(middle - SLOPE * utility).mean() < TARGET_SKIP:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@dataclass(frozen=True)
class Listen:
    """A track played (or skipped), and the play as the extended streaming history writes it."""

    position: int
    record: dict


def initial_history(
    ears: Ears, taste: HiddenTaste, rng: np.random.Generator, end: datetime, plays: int = HISTORY_PLAYS
) -> list[Listen]:
    """`plays` plays of up to HISTORY_SONGS songs over HISTORY_DAYS before `end`, the songs chosen ∝ exp(utility)."""
    if plays <= 0:
        return []
    candidates = np.flatnonzero(ears.duration_s >= MIN_TRACK_S)
    weights = np.exp(taste.utility[candidates])
    count = min(HISTORY_SONGS, plays, len(candidates))
    songs = rng.choice(candidates, size=count, replace=False, p=weights / weights.sum())
    again = np.exp(taste.utility[songs])
    repeats = rng.choice(songs, size=plays - count, p=again / again.sum())
    positions = rng.permutation(np.concatenate([songs, repeats]))
    seconds = np.sort(rng.uniform(0, HISTORY_DAYS * 86400, size=len(positions)))
    start = end - timedelta(days=HISTORY_DAYS)
    skipped = rng.random(len(positions)) < taste.skip[positions]
    return [
        play(ears, int(p), start + timedelta(seconds=float(s)), bool(k), rng)
        for p, s, k in zip(positions, seconds, skipped, strict=True)
    ]


def play(ears: Ears, position: int, started: datetime, skipped: bool, rng: np.random.Generator) -> Listen:
    """One play, full or skipped after 3–30 s, starting then (the record's ts is when it ended)."""
    ms = int(rng.integers(3_000, 30_000)) if skipped else ears.duration_ms[position]
    spotify_id = ears.spotify_ids[position]
    artists = ears.artists[position]
    return Listen(
        position,
        {
            "ts": (started + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ms_played": ms,
            "master_metadata_track_name": ears.titles[position],
            "master_metadata_album_artist_name": artists[0] if artists else "",
            "master_metadata_album_album_name": ears.albums[position],
            "spotify_track_uri": f"spotify:track:{spotify_id}" if spotify_id else None,
            "skipped": skipped,
            "reason_end": "fwdbtn" if skipped else "trackdone",
        },
    )
