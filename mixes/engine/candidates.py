"""Who may be chosen, and the prefilter: the candidate tracks the generator fills a section from.

`Rules` keeps what may play at all (features known, long enough, explicit filter, never-play artists, tracks taken
out, "familiar" 0); `candidates` finds the best thousand for a stretch of the plan by binary search on the pool's
tempo order and an estimate of the score, plus a seed artist's tracks and every known track within the tempo
tolerance. `pieces` cuts a plan's target paths into the short stretches the database looks around to hand the engine
a pool (mixes.nearby). Plain NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixes.engine.plan import PlanSpec, Section
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Scorer, Weights

# Tracks shorter than this are interludes and skits, not workout music.
MIN_TRACK_S = 60
# Candidates kept per section after the prefilter; enough for variety, few enough for per-slot NumPy work.
CANDIDATES = 1000
# (BPM, energy) half-widths of the prefilter window around the section's targets: the narrowest that holds
# CANDIDATES tracks is used (a big pool never gets scanned wide), else the widest if it holds MIN_CANDIDATES.
WINDOWS = ((2.0, 0.05), (4.0, 0.1), (8.0, 0.2), (20.0, 0.4))
MIN_CANDIDATES = 300
# A seed artist's tracks compete within this (BPM, energy) window whatever window the others came from.
SEED_WINDOW = (8.0, 0.2)
# The database's prefilter looks around pieces of each section's target paths at most this long (BPM, energy), so a
# ramp gets candidates all along it.
PIECE = (2.0, 0.05)


class Rules:
    """Who may be chosen at all: features known, long enough, explicit filter, excluded artists and keys."""

    def __init__(self, pool: Pool, prefs: Preferences, blocked: np.ndarray):
        self.pool = pool
        self.explicit_allowed = prefs.explicit_allowed
        self.excluded_artists = pool.artist_ids_named(prefs.excluded_artists)
        self.blocked = np.unique(blocked)
        # "Familiar or new" at 0: nothing the person knows.
        self.no_known = prefs.familiarity <= 0

    def keep(self, idx: np.ndarray) -> np.ndarray:
        pool = self.pool
        ok = pool.usable[idx] & (pool.duration_s[idx] >= MIN_TRACK_S)
        if not self.explicit_allowed:
            ok &= ~pool.explicit[idx]
        if len(self.excluded_artists):
            owner, flat = pool.artists_of(idx)
            ok[owner[np.isin(flat, self.excluded_artists)]] = False
        if len(self.blocked):
            ok &= ~np.isin(idx, self.blocked)
        if self.no_known:
            ok &= ~pool.known[idx]
        return idx[ok]


def segments(plan: PlanSpec, section: Section) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The (tempo, energy) paths a section's targets move along: each phase's ramp and the steps between phases.

    A target averaged over a track's span lies on (or between) these segments. The targets are the music's
    (PlanSpec.music_plan): a block of intervals that follows its work intervals is one point.
    """
    music = plan.music_plan()
    phases = [music.phases[i] for i in section.phase_indexes]
    ends = []
    for i, phase in enumerate(phases):
        ends.append(((phase.tempo[0], phase.energy[0]), (phase.tempo[1], phase.energy[1])))
        if i:
            previous = phases[i - 1]
            ends.append(((previous.tempo[1], previous.energy[1]), (phase.tempo[0], phase.energy[0])))
    return sorted({(low, high) for low, high in map(sorted, ends)})


@dataclass(frozen=True)
class Piece:
    """A short stretch of a section's target path, from (tempo, energy) to (tempo, energy) (the same point for a
    steady phase), the section's phase kind, and how many tracks to find nearest it."""

    start: tuple[float, float]
    end: tuple[float, float]
    kind: str
    tracks: int


def pieces(plan: PlanSpec, per_section: int) -> list[Piece]:
    """Every section's target paths (`segments`) cut into pieces of at most PIECE, sharing `per_section` tracks.

    A piece two sections of a kind ask for is asked for once, for the larger number of tracks.
    """
    wanted: dict[tuple[tuple[float, float], tuple[float, float], str], int] = {}
    for section in plan.sections():
        cuts = []
        for (t0, e0), (t1, e1) in segments(plan, section):
            steps = max(1, math.ceil(max(abs(t1 - t0) / PIECE[0], abs(e1 - e0) / PIECE[1])))
            ends = [(t0 + (t1 - t0) * i / steps, e0 + (e1 - e0) * i / steps) for i in range(steps + 1)]
            cuts += [(start, end, section.kind) for start, end in zip(ends, ends[1:], strict=False)]
        share = math.ceil(per_section / len(cuts))
        for cut in cuts:
            wanted[cut] = max(wanted.get(cut, 0), share)
    return [Piece(start, end, kind, tracks) for (start, end, kind), tracks in wanted.items()]


def slot_piece(plan: PlanSpec, section: int, start_s: float, duration_s: float, tracks: int) -> Piece:
    """The piece one slot of a mix looks around (a swap): the plan's target averaged over the slot's span."""
    tempo, energy = plan.music_plan().mean_target(start_s, start_s + duration_s)
    kind = plan.sections()[min(section, len(plan.sections()) - 1)].kind
    return Piece((tempo, energy), (tempo, energy), kind, tracks)


def gap(tempo: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.maximum(np.maximum(low - tempo, tempo - high), 0)


def reading(tempo: np.ndarray, low: float, high: float) -> np.ndarray:
    """The reading of each tempo (itself, double or half) nearest the range [low, high]."""
    reading = tempo
    for other in (tempo * 2, tempo / 2):
        reading = np.where(gap(other, low, high) < gap(reading, low, high), other, reading)
    return reading


def closeness(pool: Pool, idx: np.ndarray, segments, weights: Weights) -> np.ndarray:
    """Tempo and energy fit to the nearest point of the segments: the target-dependent part of a score, estimated."""
    tol_t, tol_e = weights.tempo_tolerance_bpm, weights.energy_tolerance
    low = min(t for segment in segments for t, _ in segment)
    high = max(t for segment in segments for t, _ in segment)
    tempo = reading(pool.tempo[idx], low, high) / tol_t
    energy = pool.energy[idx] / tol_e
    best = np.full(len(idx), np.inf)
    best_dt = np.zeros(len(idx))
    best_de = np.zeros(len(idx))
    for (t0, e0), (t1, e1) in segments:
        p = np.array([t0 / tol_t, e0 / tol_e])
        v = np.array([(t1 - t0) / tol_t, (e1 - e0) / tol_e])
        length = float(v @ v)
        u = np.clip(((tempo - p[0]) * v[0] + (energy - p[1]) * v[1]) / length, 0, 1) if length else 0.0
        dt = tempo - (p[0] + u * v[0])
        de = energy - (p[1] + u * v[1])
        distance = dt * dt + de * de
        closer = distance < best
        best = np.where(closer, distance, best)
        best_dt = np.where(closer, dt, best_dt)
        best_de = np.where(closer, de, best_de)
    return weights.tempo * np.exp(-0.5 * best_dt**2) + weights.energy * np.exp(-0.5 * best_de**2)


def candidates(pool: Pool, segments, kind: str, prefs: Preferences, weights: Weights, rules: Rules) -> np.ndarray:
    """The best thousand usable tracks for a stretch whose targets move along `segments`."""
    tempos = [t for segment in segments for t, _ in segment]
    energies = [e for segment in segments for _, e in segment]

    def in_energy_window(tracks: np.ndarray, energy_window: float) -> np.ndarray:
        energy = pool.energy[tracks]
        return tracks[(energy >= min(energies) - energy_window) & (energy <= max(energies) + energy_window)]

    for tempo_window, energy_window in WINDOWS:
        idx = pool.in_tempo_window(min(tempos) - tempo_window, max(tempos) + tempo_window)
        idx = rules.keep(in_energy_window(idx, energy_window))
        if len(idx) >= CANDIDATES:
            break
    if len(idx) < MIN_CANDIDATES:
        idx = rules.keep(np.flatnonzero(pool.usable))
    seeds = pool.artist_ids_named(prefs.seed_artists)
    if len(seeds):
        # A seed artist's tracks a little further off still compete: the seed bonus can outweigh the distance.
        tempo_window, energy_window = SEED_WINDOW
        theirs = in_energy_window(rules.keep(pool.tracks_by(seeds)), energy_window)
        near = gap(reading(pool.tempo[theirs], min(tempos), max(tempos)), min(tempos), max(tempos)) <= tempo_window
        idx = np.union1d(idx, theirs[near])
    if len(idx) > CANDIDATES:
        estimate = Scorer(pool, idx, kind, prefs, weights).static + closeness(pool, idx, segments, weights)
        idx = idx[np.argpartition(-estimate, CANDIDATES)[:CANDIDATES]]
    if prefs.familiarity > 0 and len(pool.known_indexes):
        # Every known track within the tempo tolerance competes: "familiar" must be able to fill every slot it can.
        mine = rules.keep(pool.known_indexes)
        off = gap(reading(pool.tempo[mine], min(tempos), max(tempos)), min(tempos), max(tempos))
        mine = mine[off <= weights.tempo_tolerance_bpm]
        if len(mine) > CANDIDATES:  # a listener who knows more than a section can use: the best of them
            estimate = Scorer(pool, mine, kind, prefs, weights).static + closeness(pool, mine, segments, weights)
            mine = mine[np.argpartition(-estimate, CANDIDATES)[:CANDIDATES]]
        idx = np.union1d(idx, mine)
    return np.sort(idx)
