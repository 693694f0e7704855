"""The AI Music Scorer: how well each candidate track fits a moment of the workout, and why.

A score is a weighted sum of components, each in [0, 1] (feedback and taste in [-1, 1]):
tempo fit (half and double time count), energy fit, mood fit for the phase kind, familiarity (blended with the
person's familiar-vs-discover setting), seed artist, seed genre, their feedback on the track itself, and their taste
(mixes.engine.taste: what the person's evidence says about tracks like this one). Everything is vectorized over
an array of pool indexes; the generator scores about a thousand candidates per slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from mixes.engine.plan import PHASE_KINDS
from mixes.engine.pool import Pool, list_bit

if TYPE_CHECKING:
    from mixes.engine.taste import PoolTaste

# (valence, danceability) each phase kind asks for: lively for hard work, calm to come down.
MOOD_TARGETS = {
    "warm_up": (0.55, 0.6),
    "build": (0.6, 0.7),
    "steady": (0.55, 0.65),
    "peak": (0.7, 0.75),
    "interval": (0.7, 0.8),
    "recovery": (0.4, 0.5),
    "cool_down": (0.35, 0.4),
}
MOOD_WIDTH = 0.25
# What an unknown valence or danceability counts for.
NEUTRAL = 0.5
MOOD_WORDS = {"peak": "upbeat", "interval": "upbeat", "build": "upbeat", "recovery": "calm", "cool_down": "calm"}


# How well known a track with no plays counted here is, against one played often (1.0).
TOP_TRACK = 0.8
SAVED_TRACK = 0.6
# Exploration's optimism: a track is rated as if its taste score were this many standard deviations better.
EXPLORE_SD = 1.0
# A taste part at least this big (either way) is worth a word in the explanation.
TASTE_WORDS_AT = 0.2


@dataclass(frozen=True)
class Weights:
    tempo: float = 3.0
    energy: float = 2.0
    mood: float = 0.5
    familiarity: float = 0.75
    seed_artist: float = 1.0
    seed_genre: float = 0.5
    feedback: float = 1.0
    master_list: float = 0.5
    # Worth less than the tempo fit lost 5 BPM off the target: taste decides between tracks that fit about equally.
    taste: float = 1.0
    # Slots per mix given to music the taste model is unsure about but rates well ("something new").
    exploration_slots: float = 2
    tempo_tolerance_bpm: float = 6.0
    energy_tolerance: float = 0.1

    @classmethod
    def from_dict(cls, d: dict) -> Weights:
        """Weights from a mapping such as ScorerConfig.as_dict(); unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{name: float(value) for name, value in (d or {}).items() if name in names})


@dataclass(frozen=True)
class Preferences:
    seed_artists: frozenset[str] = frozenset()
    seed_genres: frozenset[str] = frozenset()
    excluded_artists: frozenset[str] = frozenset()
    familiarity: float = 0.5
    explicit_allowed: bool = True


@dataclass
class ScoreResult:
    scores: np.ndarray
    tempo_factor: np.ndarray  # 1, 2 or 0.5: the reading of the tempo closest to the target
    tempo_error: np.ndarray  # |tempo × factor − target| in BPM; nan without a tempo
    parts: dict[str, np.ndarray] = field(default_factory=dict)  # each component, weighted


def tempo_fit(tempo: np.ndarray, target, tolerance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fit in [0, 1], factor, error) of the reading among tempo, 2×tempo and tempo/2 closest to the target."""
    target = np.asarray(target, dtype=np.float64)
    same = np.abs(tempo - target)
    double = np.abs(2 * tempo - target)
    half = np.abs(0.5 * tempo - target)
    error = np.minimum(same, np.minimum(double, half))
    # Ties go to the plain reading; an unknown tempo reads as itself (factor 1) and does not fit.
    factor = np.where(double < same, np.where(half < double, 0.5, 2.0), np.where(half < same, 0.5, 1.0))
    return _gaussian(error, tolerance), factor, error


def energy_fit(energy: np.ndarray, target, tolerance: float) -> np.ndarray:
    return _gaussian(np.abs(energy - np.asarray(target, dtype=np.float64)), tolerance)


def _gaussian(error: np.ndarray, tolerance: float) -> np.ndarray:
    """exp(−½(error/tolerance)²); 0 where the error is unknown (nan)."""
    fit = np.exp(-0.5 * (error / max(tolerance, 1e-9)) ** 2)
    return np.where(np.isnan(fit), 0.0, fit)


class Scorer:
    """Scores a fixed set of tracks for one phase kind; the parts that do not depend on the target are kept."""

    def __init__(self, pool: Pool, indexes, phase_kind: str, prefs: Preferences, weights: Weights):
        self.pool = pool
        self.indexes = np.asarray(indexes, dtype=np.int64).reshape(-1)
        self.phase_kind = phase_kind
        self.prefs = prefs
        self.weights = weights
        self.parts = self._static_parts()
        self.static = sum(self.parts.values()) + np.zeros(len(self.indexes))

    def _static_parts(self) -> dict[str, np.ndarray | float]:
        """The parts that do not depend on the target; a part that is the same for every track is a number."""
        pool, idx, w, prefs = self.pool, self.indexes, self.weights, self.prefs
        valence_target, dance_target = MOOD_TARGETS.get(self.phase_kind, (NEUTRAL, NEUTRAL))
        valence = np.nan_to_num(pool.valence[idx], nan=NEUTRAL) if pool.missing_mood else pool.valence[idx]
        dance = np.nan_to_num(pool.danceability[idx], nan=NEUTRAL) if pool.missing_mood else pool.danceability[idx]
        mood = np.exp(-0.5 * ((valence - valence_target) ** 2 + (dance - dance_target) ** 2) / MOOD_WIDTH**2)
        parts: dict[str, np.ndarray | float] = {"mood": w.mood * mood}
        known = 0.0
        if pool.has_plays:
            # Plays count most; a top track or one in the Spotify library is known even without plays here.
            played = np.minimum(np.log1p(pool.plays[idx]) / np.log1p(pool.plays_scale), 1.0)
            known = np.maximum.reduce([played, TOP_TRACK * pool.top[idx], SAVED_TRACK * pool.saved[idx]])
        parts["familiarity"] = w.familiarity * (prefs.familiarity * known + (1 - prefs.familiarity) * (1 - known))
        parts["seed_artist"] = w.seed_artist * self._seed_artist_match() if prefs.seed_artists else 0.0
        genres = pool.genre_ids_named(prefs.seed_genres) if prefs.seed_genres else ()
        parts["seed_genre"] = w.seed_genre * np.isin(pool.genre_id[idx], genres) if len(genres) else 0.0
        parts["feedback"] = w.feedback * feedback(pool, idx) if pool.has_feedback else 0.0
        listed = (pool.listed[idx] & list_bit(self.phase_kind)) > 0 if self.phase_kind in PHASE_KINDS else False
        parts["master_list"] = w.master_list * listed if np.any(listed) else 0.0
        self.taste = pool.taste.scores(idx) if pool.taste is not None and w.taste else None
        parts["taste"] = w.taste * np.tanh(self.taste.mean / 2) if self.taste is not None else 0.0
        return parts

    def explore_bonus(self, positions: np.ndarray) -> np.ndarray:
        """What a track would gain if its taste score were EXPLORE_SD deviations better: big where the model is
        unsure and rates the track well (an upper confidence bound), zero without a taste model."""
        if self.taste is None:
            return np.zeros(len(positions))
        mean, sd = self.taste.mean[positions], self.taste.sd[positions]
        return self.weights.taste * (np.tanh((mean + EXPLORE_SD * sd) / 2) - np.tanh(mean / 2))

    def _seed_artist_match(self) -> np.ndarray:
        seeds = self.pool.artist_ids_named(self.prefs.seed_artists)
        match = np.zeros(len(self.indexes), dtype=bool)
        if len(seeds):
            owner, flat = self.pool.artists_of(self.indexes)
            match[owner[np.isin(flat, seeds)]] = True
        return match.astype(np.float64)

    def at(self, target_tempo, target_energy, subset: np.ndarray | None = None, parts: bool = True) -> ScoreResult:
        """Scores against a target (scalars, or one target per track); `subset` picks positions of the tracks.

        parts=False leaves ScoreResult.parts empty (the generator's inner loop needs only the scores).
        """
        positions = slice(None) if subset is None else subset
        idx = self.indexes[positions]
        w = self.weights
        t_fit, factor, t_error = tempo_fit(self.pool.tempo[idx], target_tempo, w.tempo_tolerance_bpm)
        e_fit = energy_fit(self.pool.energy[idx], target_energy, w.energy_tolerance)
        scores = self.static[positions] + w.tempo * t_fit + w.energy * e_fit
        result = ScoreResult(scores=scores, tempo_factor=factor, tempo_error=t_error)
        if parts:
            n = len(scores)
            result.parts = {
                name: np.broadcast_to(
                    part[positions] if isinstance(part, np.ndarray) and part.ndim else part, n
                ).astype(np.float64)
                for name, part in self.parts.items()
            }
            result.parts["tempo"] = w.tempo * t_fit
            result.parts["energy"] = w.energy * e_fit
        return result

    def explain(
        self, position: int, target_tempo: float, target_energy: float, result: ScoreResult | None = None
    ) -> str:
        """One human line with the strongest reasons the track at `position` fits.

        `result` may be the track's own ScoreResult for this target (with parts), if already computed.
        """
        if result is None:
            result = self.at(target_tempo, target_energy, np.array([position]))
        index = int(self.indexes[position])
        pool = self.pool
        reasons = [_tempo_words(pool.tempo[index], result.tempo_factor[0], target_tempo)]
        energy = pool.energy[index]
        if np.isfinite(energy):
            off = abs(energy - target_energy) > 0.1
            reasons.append(f"energy {energy:.2f}" + (f" (target {target_energy:.2f})" if off else ""))
        extras = []
        part = {name: float(value[0]) for name, value in result.parts.items()}
        if part["seed_artist"] > 0:
            seeds = pool.artist_ids_named(self.prefs.seed_artists)
            name = next(pool.artist_names[a] for a in pool.artist_set(index) if a in seeds)
            extras.append((part["seed_artist"], f"seed artist {name}"))
        if part["seed_genre"] > 0:
            extras.append((part["seed_genre"], f"seed genre {pool.genre_names[pool.genre_id[index]]}"))
        plays = int(pool.plays[index])
        known = plays or pool.top[index] or pool.saved[index]
        if known and self.prefs.familiarity >= 0.5:
            if plays:
                words = f"you played this {plays} time{'s' if plays != 1 else ''}"
            else:
                words = "one of your top tracks" if pool.top[index] else "in your Spotify library"
            extras.append((part["familiarity"], words))
        elif not known and self.prefs.familiarity < 0.5:
            extras.append((part["familiarity"], "new to you"))
        if pool.liked[index]:
            extras.append((part["feedback"], "you liked it"))
        if part["master_list"] > 0:
            extras.append((part["master_list"], f"on the {self.phase_kind.replace('_', '-')} list"))
        if abs(part["taste"]) >= TASTE_WORDS_AT and pool.taste is not None:
            extras.append((abs(part["taste"]), _taste_words(pool.taste, index, part["taste"], bool(known))))
        good_mood = self.weights.mood > 0 and part["mood"] >= 0.8 * self.weights.mood
        if good_mood and np.isfinite(pool.valence[index]):
            extras.append((part["mood"], f"{MOOD_WORDS.get(self.phase_kind, 'easy')} mood"))
        extras.sort(key=lambda pair: -pair[0])
        reasons += [text for weight, text in extras[:2] if weight > 0 and text]
        return " · ".join(reasons)


def feedback(pool: Pool, idx: np.ndarray) -> np.ndarray:
    """+ for a liked track, − for one the person skips (as a share of plays) or took out of mixes."""
    skip_rate = pool.skips[idx] / np.maximum(pool.plays[idx] + pool.skips[idx], 1)  # plays are full plays only
    value = 0.8 * pool.liked[idx] - 0.6 * skip_rate - 0.4 * pool.removed[idx]
    return np.clip(value, -1.0, 1.0)


def _taste_words(taste: PoolTaste, index: int, part: float, known: bool) -> str:
    """What the taste model saw in this track, in a person's words; "" when no one artist or genre stands out."""
    strongest = taste.strongest(index)
    if strongest is not None and abs(strongest[1]) >= TASTE_WORDS_AT and (strongest[1] > 0) == (part > 0):
        attribute, contribution = strongest
        artist = attribute.feature.startswith("artist:")
        if contribution > 0:
            played = "songs you play to the end" if attribute.played else "music you keep"
            return f"like the {attribute.name} {played}" if artist else f"like the {attribute.name} you play"
        if not attribute.mostly_against:
            return ""  # less liked than usual, but not disliked: nothing a person would recognise
        if attribute.skipped >= attribute.removed:
            return f"you often skip {attribute.name}"
        return f"you took {attribute.name} out of mixes before"
    if part > 0 and not known:
        return "new to you, but close to what you like"
    return ""


def _tempo_words(tempo: float, factor: float, target: float) -> str:
    if not np.isfinite(tempo):
        return f"tempo unknown, for a {target:.0f} BPM target"
    heard = tempo * factor
    if factor == 2:
        return f"{tempo:.0f} BPM in double time ({heard:.0f}) for a {target:.0f} target"
    if factor == 0.5:
        return f"{tempo:.0f} BPM in half time ({heard:.0f}) for a {target:.0f} target"
    if abs(heard - target) <= 2.5:
        return f"{tempo:.0f} BPM — matches the {target:.0f} BPM target"
    return f"{tempo:.0f} BPM for a {target:.0f} BPM target"


def score(
    pool: Pool,
    indexes: np.ndarray,
    target_tempo,
    target_energy,
    phase_kind: str,
    prefs: Preferences,
    weights: Weights,
) -> ScoreResult:
    """Scores of the tracks at `indexes` for a target tempo and energy (scalars or one per track)."""
    return Scorer(pool, indexes, phase_kind, prefs, weights).at(target_tempo, target_energy)


def explain(
    pool: Pool,
    index: int,
    target_tempo: float,
    target_energy: float,
    phase_kind: str,
    prefs: Preferences,
    weights: Weights,
) -> str:
    """One human line: why this track fits this target, strongest reasons first."""
    return Scorer(pool, [index], phase_kind, prefs, weights).explain(0, target_tempo, target_energy)
