"""The taste model: what one person likes, learned from everything they do, over what tracks *are* — not their ids.

    taste = fit(evidence)              # evidence: signals about tracks (plays, skips, saves, removals, ...)
    scores = taste.apply(pool)         # a mean and an uncertainty for every track of a pool, vectorised
    taste.to_dict() / Taste.from_dict  # stored per user as JSON

Evidence is a set of signals, each about one track, with a kind (STRENGTHS: a full play counts +1, a skip −1, a
removal −2, ...), an age and a count. Recent signals weigh more (half-life HALF_LIFE_DAYS). Per track the positive
and the negative strengths are summed and compressed (log1p: the hundredth play of a favourite says little more than
the tenth), then become two weighted observations — liked, not liked — of a Bayesian logistic regression over the
track's features: each credited artist, its genre, its decade, a bin of each audio feature (energy, valence,
danceability, acousticness, instrumentalness, speechiness, loudness, length) and explicit.

Every coefficient has the prior N(0, PRIOR_VARIANCE) — shrinkage toward neutral: without evidence every track scores
0, with a little evidence the scores move a little. An intercept ("usual") takes how much the person likes music in
general, so the coefficients say what they like more, or less, than usual; the intercept is left out of the scores.
The fit is Newton's method with conjugate gradients on the sparse design (a dozen features a track), deterministic;
the posterior variances are the diagonal of the Laplace approximation. A feature no evidence touched keeps its prior
variance: music unlike anything the person has heard is uncertain, which is what exploration looks for.

The features are in taste_features.py (what a track is, as a sparse design), the fit in taste_fit.py.

Why this and not scikit-learn or river: the model is small (one person's evidence, a few thousand features at most),
it needs posterior uncertainty (sklearn's LogisticRegression gives none) and must be applied to a million-track pool
as a few array lookups; fifty lines of NumPy do both, with no dependency. Plain Python: no Django here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mixes.engine import taste_features
from mixes.engine.pool import Pool
from mixes.engine.taste_features import GROUP_VALUE
from mixes.engine.taste_fit import map_fit
from music.normalize import fold

# How strongly each kind of signal speaks for (+) or against (−) a track.
STRENGTHS = {
    "play": 1.0,  # played to the end
    "skip": -1.0,  # skipped: in an export, a short play, or the next play came too soon
    "saved": 2.0,  # in their Liked Songs
    "top": 2.0,  # one of their Spotify top tracks
    "playlist": 1.0,  # in one of their own playlists
    "like": 3.0,  # liked in Session Mix
    "lock": 1.5,  # locked in a mix
    "remove": -2.0,  # removed from a mix
    "swap": -1.0,  # swapped out of a mix
    "deleted": -2.0,  # deleted from a playlist Session Mix saved
}
NEGATIVE_KINDS = frozenset(kind for kind, strength in STRENGTHS.items() if strength < 0)
REMOVAL_KINDS = frozenset({"remove", "swap", "deleted"})
# A never-play artist counts as this much evidence against the artist alone.
AVOIDED_ARTIST = 5.0
HALF_LIFE_DAYS = 180.0
PRIOR_VARIANCE = 1.0

USUAL = "usual"
# Pools up to this size are scored whole, once (a few milliseconds); bigger ones a subset at a time.
WHOLE_POOL = 200_000


@dataclass(frozen=True)
class Forget:
    """A learned dislike the person asked to forget: evidence older than this, on tracks with the feature."""

    feature: str  # e.g. "genre:metal", "artist:nickelback"
    age_days: float  # how long ago they asked


@dataclass
class Evidence:
    """Signals about the tracks of `pool` (one entry per signal, arrays of equal length)."""

    pool: Pool
    track: np.ndarray  # position in pool
    kind: list[str]  # a key of STRENGTHS
    age_days: np.ndarray
    count: np.ndarray  # signals of this kind and age folded into one entry (plays by month)
    avoided_artists: tuple[str, ...] = ()

    @classmethod
    def empty(cls, pool: Pool | None = None) -> Evidence:
        pool = pool if pool is not None else Pool.from_records([])
        return cls(pool, np.zeros(0, dtype=np.int64), [], np.zeros(0), np.zeros(0))

    def __len__(self) -> int:
        return len(self.kind)


@dataclass(frozen=True)
class Attribute:
    """What the evidence says about one artist or genre, in counts a person can check."""

    feature: str
    name: str
    tracks: int = 0
    played: int = 0  # tracks played to the end at least once
    skipped: int = 0  # tracks skipped at least once
    removed: int = 0  # tracks removed or swapped out of a mix, or deleted from a saved playlist
    liked: int = 0  # tracks saved, top, liked or locked
    avoided: bool = False  # a never-play artist

    @property
    def mostly_against(self) -> bool:
        """At least half its tracks were skipped or taken out: a dislike a person would recognise."""
        return self.skipped + self.removed >= self.tracks / 2

    @property
    def mostly_for(self) -> bool:
        """At least half its tracks were played to the end, saved, top or liked."""
        return self.played + self.liked >= self.tracks / 2

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v or k in ("feature", "name")}


@dataclass(frozen=True)
class Learned:
    """One thing the model believes about an artist or genre: liked or avoided, and why."""

    feature: str
    kind: str  # "artist" or "genre"
    name: str
    liked: bool
    weight: float
    evidence: str  # "skipped 14 of 16 metal tracks"


@dataclass
class TasteScores:
    """The model applied to a pool: a score (log-odds against the person's usual) and its uncertainty per track."""

    mean: np.ndarray
    sd: np.ndarray


@dataclass
class Taste:
    """A fitted model: posterior mean and variance per feature, and the evidence counts behind the words."""

    weights: dict[str, float] = field(default_factory=dict)
    variances: dict[str, float] = field(default_factory=dict)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    usual: float = 0.0
    signals: int = 0
    prior_variance: float = PRIOR_VARIANCE

    @property
    def is_neutral(self) -> bool:
        return not self.weights

    def weight(self, feature: str) -> float:
        return self.weights.get(feature, 0.0)

    def apply(self, pool: Pool, indexes: np.ndarray | None = None) -> TasteScores:
        """Scores for the pool's tracks (all, or these indexes)."""
        return self.bind(pool).scores(indexes)

    def bind(self, pool: Pool) -> PoolTaste:
        """The model ready to score any tracks of this pool (its lookup tables built once)."""
        return PoolTaste(self, pool)

    def learned(self, at_least: float = 0.25, tracks: int = 2) -> list[Learned]:
        """Artists and genres the model likes or avoids clearly — |weight| ≥ at_least, from at least `tracks` tracks
        (one skip is not a dislike), mostly for or against — and never-play artists; strongest first."""
        found = []
        for feature, attribute in self.attributes.items():
            weight = self.weight(feature)
            agrees = attribute.mostly_for if weight > 0 else attribute.mostly_against
            clear = abs(weight) >= at_least and attribute.tracks >= tracks and agrees
            if not clear and not attribute.avoided:
                continue
            kind = feature.split(":", 1)[0]
            found.append(
                Learned(feature, kind, attribute.name, weight > 0, weight, evidence_words(attribute, weight > 0))
            )
        return sorted(found, key=lambda item: -abs(item.weight))

    def to_dict(self) -> dict:
        return {
            "weights": {k: round(v, 5) for k, v in self.weights.items()},
            "variances": {k: round(v, 5) for k, v in self.variances.items()},
            "attributes": {k: a.to_dict() for k, a in self.attributes.items()},
            "usual": round(self.usual, 5),
            "signals": self.signals,
            "prior_variance": self.prior_variance,
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> Taste:
        data = data or {}
        return cls(
            weights=dict(data.get("weights") or {}),
            variances=dict(data.get("variances") or {}),
            attributes={k: Attribute(**a) for k, a in (data.get("attributes") or {}).items()},
            usual=float(data.get("usual") or 0.0),
            signals=int(data.get("signals") or 0),
            prior_variance=float(data.get("prior_variance") or PRIOR_VARIANCE),
        )


class PoolTaste:
    """A Taste bound to a pool: a score and an uncertainty for any of its tracks, and the words for one."""

    def __init__(self, taste: Taste, pool: Pool):
        self.taste = taste
        self.pool = pool
        self._tables: list[tuple[np.ndarray, np.ndarray]] | None = None
        self._whole: TasteScores | None = None

    def scores(self, indexes: np.ndarray | None = None) -> TasteScores:
        """Scores of these tracks (all if None). A pool up to WHOLE_POOL tracks is scored once, whole, and read by
        index after that; a bigger one is scored a subset at a time (the generator asks about a few thousand)."""
        if len(self.pool) <= WHOLE_POOL:
            if self._whole is None:
                self._whole = self._score(np.arange(len(self.pool)))
            if indexes is None:
                return self._whole
            idx = np.asarray(indexes, dtype=np.int64).reshape(-1)
            return TasteScores(mean=self._whole.mean[idx], sd=self._whole.sd[idx])
        return self._score(np.arange(len(self.pool)) if indexes is None else indexes)

    def _score(self, indexes) -> TasteScores:
        """A few gathers and sums per feature group."""
        idx = np.asarray(indexes, dtype=np.int64).reshape(-1)
        design = taste_features.design(self.pool, idx)
        if self._tables is None:  # per group: weight and variance of each code, the same whatever the tracks
            t = self.taste
            self._tables = [(g.lookup(t.weights, 0.0), g.lookup(t.variances, t.prior_variance)) for g in design]
        mean = np.zeros(len(idx))
        var = np.zeros(len(idx))
        for group, (weight, variance) in zip(design, self._tables, strict=True):
            if len(group.rows):
                mean += np.bincount(group.rows, weights=group.values * weight[group.codes], minlength=len(idx))
                var += np.bincount(group.rows, weights=group.values**2 * variance[group.codes], minlength=len(idx))
        return TasteScores(mean=mean, sd=np.sqrt(var))

    def strongest(self, index: int) -> tuple[Attribute, float] | None:
        """The artist or genre that counts most in the track's score, with what it adds; None if none has evidence."""
        pool, taste = self.pool, self.taste
        artists = pool.artist_set(index)
        features = [(f"artist:{pool.artist_folded[a]}", GROUP_VALUE["artist"] / len(artists)) for a in artists]
        genre = pool.genre_folded[pool.genre_id[index]]
        if genre:
            features.append((f"genre:{genre}", GROUP_VALUE["genre"]))
        best = None
        for feature, value in features:
            attribute = taste.attributes.get(feature)
            contribution = value * taste.weight(feature)
            if attribute is not None and (best is None or abs(contribution) > abs(best[1])):
                best = (attribute, float(contribution))
        return best


def fit(evidence: Evidence, forgotten: Iterable[Forget] = (), prior_variance: float = PRIOR_VARIANCE) -> Taste:
    """The posterior taste given the evidence; neutral (no weights) without any."""
    pool = evidence.pool
    keep = _not_forgotten(evidence, list(forgotten))
    track = evidence.track[keep]
    kinds = [kind for kind, kept in zip(evidence.kind, keep, strict=True) if kept]
    strength = np.array([STRENGTHS[kind] for kind in kinds], dtype=np.float64)
    decayed = strength * evidence.count[keep] * 0.5 ** (evidence.age_days[keep] / HALF_LIFE_DAYS)
    n = len(pool)
    positive = np.log1p(np.bincount(track, weights=np.maximum(decayed, 0), minlength=n))
    negative = np.log1p(np.bincount(track, weights=np.maximum(-decayed, 0), minlength=n))
    has = np.flatnonzero((positive > 0) | (negative > 0))
    design = taste_features.design(pool, has)
    avoided = sorted({fold(name) for name in evidence.avoided_artists if fold(name)})
    # Columns: the intercept, then every feature the evidence touches.
    columns: dict[str, int] = {USUAL: 0}
    for group in design:
        for name in group.names_used():
            columns.setdefault(name, len(columns))
    for name in avoided:
        columns.setdefault(f"artist:{name}", len(columns))
    # Observation rows: a liked and a not-liked row per track (where it has such evidence), then avoided artists.
    rows, cols, vals = [], [], []
    observations: list[tuple[float, float]] = []  # (y, weight)
    for outcome, weights in ((1.0, positive[has]), (0.0, negative[has])):
        present = np.flatnonzero(weights > 0)
        base = len(observations)
        position = np.full(len(has), -1)
        position[present] = base + np.arange(len(present))
        observations += [(outcome, float(w)) for w in weights[present]]
        rows.append(position[present])
        cols.append(np.zeros(len(present), dtype=np.int64))
        vals.append(np.ones(len(present)))
        for group in design:
            on = position[group.rows] >= 0
            rows.append(position[group.rows][on])
            column_of = {int(c): columns[group.name(int(c))] for c in np.unique(group.codes)}
            cols.append(np.array([column_of[int(c)] for c in group.codes[on]], dtype=np.int64))
            vals.append(group.values[on])
    for name in avoided:
        rows.append(np.array([len(observations)]))
        cols.append(np.array([columns[f"artist:{name}"]]))
        vals.append(np.ones(1))
        observations.append((0.0, AVOIDED_ARTIST))
    if not observations:
        return Taste(prior_variance=prior_variance)
    y = np.array([o[0] for o in observations])
    s = np.array([o[1] for o in observations])
    coef, variance = map_fit(
        np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), y, s, len(columns), prior_variance
    )
    names = list(columns)
    return Taste(
        weights={name: float(coef[i]) for i, name in enumerate(names) if name != USUAL},
        variances={name: float(variance[i]) for i, name in enumerate(names) if name != USUAL},
        attributes=_attributes(pool, has, track, kinds, avoided, evidence.avoided_artists),
        usual=float(coef[0]),
        signals=int(evidence.count[keep].sum()) + len(avoided),
        prior_variance=prior_variance,
    )


def evidence_words(attribute: Attribute, liked: bool) -> str:
    """The evidence behind a belief, in counts: "skipped 14 of 16 metal tracks", "played 9 Muse tracks to the end"."""
    kind, _ = attribute.feature.split(":", 1)
    noun = "track" if attribute.tracks == 1 else "tracks"
    what = f"{attribute.name} {noun}" if kind == "genre" else f"{noun} by {attribute.name}"
    if attribute.avoided:
        return "you asked never to play them"
    if liked:
        parts = []
        if attribute.played:
            parts.append(f"played {attribute.played} of {attribute.tracks} {what} to the end")
        if attribute.liked:
            parts.append(f"{attribute.liked} saved, top or liked")
        return "; ".join(parts) or f"{attribute.tracks} {what} in your music"
    parts = []
    if attribute.skipped:
        parts.append(f"skipped {attribute.skipped} of {attribute.tracks} {what}")
    if attribute.removed:
        parts.append(f"took {attribute.removed} out of mixes")
    return "; ".join(parts) or f"{attribute.tracks} {what} you did not take to"


# Machinery ------------------------------------------------------------------------------------------------------


def _not_forgotten(evidence: Evidence, forgotten: list[Forget]) -> np.ndarray:
    """Which signals count: those older than a Forget, on tracks with its feature, do not (liked or not: a forgotten
    dislike must not turn into a like from what is left)."""
    keep = np.ones(len(evidence), dtype=bool)
    if not forgotten or not len(evidence):
        return keep
    tracks = np.unique(evidence.track)
    design = taste_features.design(evidence.pool, tracks)
    for forget in forgotten:
        having = np.zeros(len(evidence.pool), dtype=bool)
        for group in design:
            code = group.code(forget.feature)
            if code is not None:
                having[tracks[group.rows[group.codes == code]]] = True
        keep &= ~(having[evidence.track] & (evidence.age_days >= forget.age_days))
    return keep


def _attributes(pool: Pool, has, track, kinds, avoided, avoided_names) -> dict[str, Attribute]:
    """Per artist and genre of the evidence's tracks: how many tracks, played, skipped, removed, liked."""
    n = len(pool)
    flags = {
        "played": np.zeros(n, dtype=bool),
        "skipped": np.zeros(n, dtype=bool),
        "removed": np.zeros(n, dtype=bool),
        "liked": np.zeros(n, dtype=bool),
    }
    for position, kind in zip(track, kinds, strict=True):
        if kind == "play":
            flags["played"][position] = True
        elif kind == "skip":
            flags["skipped"][position] = True
        elif kind in REMOVAL_KINDS:
            flags["removed"][position] = True
        elif kind in ("saved", "top", "like", "lock", "playlist"):
            flags["liked"][position] = True
    found: dict[str, dict] = {}
    owner, flat = pool.artists_of(has)
    for row, artist in zip(owner, flat, strict=True):
        _count(found, f"artist:{pool.artist_folded[artist]}", pool.artist_names[artist], has[row], flags)
    for row, genre in enumerate(pool.genre_id[has]):
        if fold(pool.genre_names[genre]):
            _count(found, f"genre:{fold(pool.genre_names[genre])}", pool.genre_names[genre], has[row], flags)
    display = {fold(name): name for name in avoided_names}
    for name in avoided:
        entry = found.setdefault(f"artist:{name}", {"name": display.get(name, name), "tracks": 0})
        entry["avoided"] = True
    return {feature: Attribute(feature=feature, **entry) for feature, entry in found.items()}


def _count(found: dict, feature: str, name: str, index: int, flags: dict) -> None:
    entry = found.setdefault(feature, {"name": name, "tracks": 0, "played": 0, "skipped": 0, "removed": 0, "liked": 0})
    entry["tracks"] += 1
    for flag, values in flags.items():
        entry[flag] += int(values[index])
