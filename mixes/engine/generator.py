"""The Session Playlist Generator: a mix that follows the plan section by section, fitted to each duration.

How a section is filled:
1. Prefilter (vectorized, mixes/engine/candidates.py): tracks whose tempo (or its double or half) and energy fall
   in a window around the section's targets, found by binary search on the pool's tempo order; the best thousand
   by an estimate of their score are kept.
2. Slot by slot, left to right: each candidate is scored against the plan's target averaged over the span it
   would play (so ramps are followed track by track), under the rules: no song twice, no artist within three
   consecutive tracks, locked tracks at their slots.
3. The last two tracks are chosen together: among good-scoring candidates, the pair whose durations end the
   section on its boundary. Earlier tracks leave room for that pair.

Sections aim at their boundary in the plan's time, so small errors do not add up over a long plan.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mixes.engine.candidates import MIN_TRACK_S, Rules, candidates, segments
from mixes.engine.plan import PlanSpec, Section
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Scorer, Weights, tempo_fit

# A random nudge of at most this much per candidate (about 2.5 BPM or 0.05 energy of fit) breaks near-ties, so
# another seed gives another take of similar quality; the seed picks which.
JITTER = 0.25
# A section that ends within this many seconds of its boundary is on time.
FIT_S = 1.0
# Candidates this close to the best score, or among the best GOOD_AT_LEAST, may be chosen for their duration.
GOOD_MARGIN = 0.5
GOOD_AT_LEAST = 30
# Closing tracks are chosen among the best 30 × this (and within 0.5 × this of the best score), trading a second
# off the boundary against this much score: ten seconds weigh as much as 4 BPM of tempo fit.
CLOSING_WIDEN = 3
SECOND_COST = 0.1
# How many first and second tracks of a closing pair are compared.
PAIR_FIRST = 90
PAIR_SECOND = 250
# A section makes up for this much drift left by earlier ones; beyond that it starts afresh from where it is.
CATCH_UP_S = 90
# A section this far from its duration gets a note.
NOTE_S = 30
SAMPLES = 8  # as PlanSpec.mean_target
# "Familiar or new": a closing track from the preferred side (known or new) may end its section this far from the
# boundary (seconds at familiarity ≤ 0.5, rising to the second figure at 1: "only songs I know" is asked for
# plainly, and a later section makes up the difference); further than that, the boundary wins.
FAMILIAR_CLOSING_S = (5.0, 30.0)
# A mix's exploration slots are spread over it, one per this share of its estimated tracks at most.
TYPICAL_TRACK_S = 210.0
# A swap prefers a track within about this many seconds of the one it replaces, worth this much score.
SWAP_DURATION_S = 20.0
SWAP_DURATION_WEIGHT = 1.5


@dataclass(frozen=True)
class Locked:
    section: int
    slot: int
    key: str


@dataclass
class Pick:
    key: str
    index: int
    section: int
    start_s: float
    duration_s: float
    tempo: float | None
    tempo_factor: float
    energy: float | None
    target_tempo: float
    target_energy: float
    score: float
    why: str
    locked: bool = False
    known: bool = False  # music the person knows (Pool.known)
    explore: bool = False  # an exploration slot: "something new" the taste model is unsure about


@dataclass
class SectionResult:
    section: Section
    picks: list[Pick]


@dataclass
class MixResult:
    plan: PlanSpec
    sections: list[SectionResult]
    notes: list[str] = field(default_factory=list)
    generation_ms: float = 0.0

    @property
    def picks(self) -> list[Pick]:
        return [pick for section in self.sections for pick in section.picks]


class Curve:
    """The plan's targets as arrays: PlanSpec.target_at and mean_target for many spans at once."""

    def __init__(self, plan: PlanSpec):
        durations = np.array([p.duration_s for p in plan.phases], dtype=np.float64)
        self.ends = np.cumsum(durations)
        starts = self.ends - durations
        tempo = np.array([p.tempo for p in plan.phases], dtype=np.float64)
        energy = np.array([p.energy for p in plan.phases], dtype=np.float64)
        # Within phase i the target is a + b·t (t in plan seconds); after the plan it stays at its last value.
        self.tempo_b = (tempo[:, 1] - tempo[:, 0]) / durations
        self.tempo_a = tempo[:, 0] - self.tempo_b * starts
        self.energy_b = (energy[:, 1] - energy[:, 0]) / durations
        self.energy_a = energy[:, 0] - self.energy_b * starts

    def phase(self, t: np.ndarray) -> np.ndarray:
        return np.minimum(np.searchsorted(self.ends, t, side="right"), len(self.ends) - 1)

    def at(self, t: np.ndarray, phase: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        t = np.minimum(t, self.ends[-1])
        i = self.phase(t) if phase is None else phase
        return self.tempo_a[i] + self.tempo_b[i] * t, self.energy_a[i] + self.energy_b[i] * t

    def mean(self, start, end) -> tuple[np.ndarray, np.ndarray]:
        """Time-weighted mean (tempo, energy) target over [start, end), elementwise, sampled as mean_target does.

        A span inside one phase follows a straight line, whose mean is its value at the middle: one lookup, not 8.
        """
        start, end = np.broadcast_arrays(np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64))
        end = np.maximum(end, start + 1e-6)
        first = self.phase(start)
        last = self.phase(end - (end - start) * (0.5 / SAMPLES))
        tempo, energy = self.at((start + end) / 2, first)
        across = np.flatnonzero((first != last) | (end > self.ends[-1]))
        if len(across):
            steps = (np.arange(SAMPLES) + 0.5) / SAMPLES
            s, e = start.reshape(-1)[across], end.reshape(-1)[across]
            sampled_tempo, sampled_energy = self.at(s[:, None] + (e - s)[:, None] * steps)
            tempo, energy = tempo.reshape(-1).copy(), energy.reshape(-1).copy()
            tempo[across] = sampled_tempo.mean(axis=1)
            energy[across] = sampled_energy.mean(axis=1)
            tempo, energy = tempo.reshape(start.shape), energy.reshape(start.shape)
        return tempo, energy


def _make_pick(
    pool: Pool,
    curve: Curve,
    scorer: Scorer,
    position: int,
    section: int,
    start: float,
    origin: float,
    locked: bool = False,
) -> Pick:
    """A Pick for the track at `position` of the scorer's tracks, playing from `start` (mix time)."""
    index = int(scorer.indexes[position])
    duration = float(pool.duration_s[index])
    target_tempo, target_energy = (float(x) for x in curve.mean(start - origin, start - origin + duration))
    result = scorer.at(target_tempo, target_energy, np.array([position]))
    tempo, energy = float(pool.tempo[index]), float(pool.energy[index])
    return Pick(
        key=pool.keys[index],
        index=index,
        section=section,
        start_s=start,
        duration_s=duration,
        tempo=None if np.isnan(tempo) else tempo,
        tempo_factor=float(result.tempo_factor[0]),
        energy=None if np.isnan(energy) else energy,
        target_tempo=target_tempo,
        target_energy=target_energy,
        score=float(result.scores[0]),
        why=scorer.explain(position, target_tempo, target_energy, result),
        locked=locked,
        known=bool(pool.known[index]),
    )


class _Mix:
    """The mix being built, all sections in order: what the no-repeat and artist-spacing rules look at."""

    def __init__(self, pool: Pool):
        self.pool = pool
        self.picks: list[Pick] = []
        self.used_song = np.zeros(int(pool.song_id.max(initial=-1)) + 1, dtype=bool)
        self.known = 0  # picks the person knows

    def add(self, pick: Pick) -> None:
        self.picks.append(pick)
        self.used_song[self.pool.song_id[pick.index]] = True
        self.known += pick.known

    def pop(self) -> Pick:
        pick = self.picks.pop()
        self.used_song[self.pool.song_id[pick.index]] = False
        self.known -= pick.known
        return pick

    def last_artists(self, count: int) -> list[np.ndarray]:
        return [self.pool.artist_set(p.index) for p in self.picks[len(self.picks) - count :]] if count > 0 else []

    def end(self) -> float:
        return self.picks[-1].start_s + self.picks[-1].duration_s if self.picks else 0.0


class _SectionFill:
    """Fills one section slot by slot; see the module docstring."""

    def __init__(
        self,
        gen: _Generator,
        number: int,
        section: Section,
        start: float,
        locks: dict[int, int],
        next_locks: dict[int, int],
    ):
        self.gen = gen
        pool = gen.pool
        self.pool = pool
        self.number = number
        self.section = section
        drift = start - section.start_s
        # Plan time = mix time − origin. Small drift is made up; a large one (a catalog short of music) is not.
        self.origin = 0.0 if abs(drift) <= CATCH_UP_S else drift
        gen.origins[number] = self.origin
        self.end = section.start_s + section.duration_s + self.origin
        self.t = start
        self.first = len(gen.mix.picks)  # where this section starts in the mix
        self.locks = dict(locks)
        self.next_locks = next_locks
        cands = candidates(pool, segments(gen.plan, section), section.kind, gen.prefs, gen.weights, gen.rules)
        self.scorer = Scorer(pool, cands, section.kind, gen.prefs, gen.weights)
        self.cands = cands
        self.jitter = gen.rng.random(len(cands)) * JITTER
        self.duration = pool.duration_s[cands]
        self.song = pool.song_id[cands]
        self.owner, self.flat = pool.artists_of(cands)
        self.known = pool.known[cands]
        self.exploring = False  # the slot being chosen is an exploration slot
        self.typical = float(np.median(self.duration)) if len(cands) else 210.0
        self.short = float(np.percentile(self.duration, 10)) if len(cands) else 150.0

    @property
    def slot(self) -> int:
        return len(self.gen.mix.picks) - self.first

    # Rules --------------------------------------------------------------------------------------------------------

    def _locked_artists(self, slots) -> list[np.ndarray]:
        return [self.pool.artist_set(self.locks[s]) for s in slots if s in self.locks]

    def _forbidden(self, ahead: int, closing: bool) -> np.ndarray:
        """Artists a track `ahead` slots after the next one may not share: its two predecessors, two successors."""
        slot = self.slot + ahead
        groups = self.gen.mix.last_artists(2 - ahead) + self._locked_artists((slot + 1, slot + 2))
        if closing:
            # The last tracks of a section come right before any locked track still waiting, and the next
            # section's first two.
            groups += self._locked_artists(self.locks)
            groups += [self.pool.artist_set(i) for s, i in self.next_locks.items() if s < 2]
        return np.unique(np.concatenate(groups)) if groups else np.zeros(0, dtype=np.int64)

    def _allowed(self, forbidden: np.ndarray) -> np.ndarray:
        ok = ~self.gen.mix.used_song[self.song]
        if len(forbidden):
            ok[self.owner[np.isin(self.flat, forbidden)]] = False
        return np.flatnonzero(ok)

    def _scores(self, positions: np.ndarray, start, end):
        """Scores of candidates (positions) for spans [start, end) in mix time, with the seed's jitter."""
        target_tempo, target_energy = self.gen.curve.mean(start - self.origin, end - self.origin)
        result = self.scorer.at(target_tempo, target_energy, positions, parts=False)
        return result.scores + self.jitter[positions]

    # Filling ------------------------------------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            if self.slot in self.locks:
                self._place_locked(self.locks.pop(self.slot))
                continue
            remaining = self.end - self.t - sum(self.pool.duration_s[i] for i in self.locks.values())
            position = self._choose(remaining) if remaining > FIT_S else None
            if position is None:
                break
            self._place(int(self.cands[position]))
            if self.exploring:
                self.gen.mix.picks[-1].explore = True
                self.gen.explored()
                self.exploring = False
        # The section is full (or nothing more fits): locked tracks still waiting come now, in their order.
        for slot in sorted(self.locks):
            self._place_locked(self.locks.pop(slot))

    def _place(self, index: int, locked: bool = False, section: int | None = None) -> None:
        """Add a track at the end of the mix, in this section (or, for a lock put back, its own)."""
        section = self.number if section is None else section
        position = int(np.searchsorted(self.cands, index))
        if section == self.number and position < len(self.cands) and self.cands[position] == index:
            scorer = self.scorer
        else:
            kind = self.gen.sections[section].kind
            scorer, position = Scorer(self.pool, [index], kind, self.gen.prefs, self.gen.weights), 0
        origin = self.gen.origins[section]
        pick = _make_pick(self.pool, self.gen.curve, scorer, position, section, self.t, origin, locked)
        self.gen.mix.add(pick)
        self.t += pick.duration_s

    def _place_locked(self, index: int, section: int | None = None) -> None:
        """A locked track goes in; chosen tracks just before it that share an artist make way for it.

        Only happens when the catalog runs short, so that a locked track comes earlier than its slot, next to
        tracks chosen without it in view. Locked tracks taken off on the way are put back, in order.
        """
        mix = self.gen.mix
        artists = self.pool.artist_set(index)
        held: list[Pick] = []
        while True:
            tail = range(max(len(mix.picks) - 2, 0), len(mix.picks))
            clashing = [i for i in tail if np.isin(artists, self.pool.artist_set(mix.picks[i].index)).any()]
            free = [i for i in clashing if not mix.picks[i].locked]
            if not free:
                break
            while len(mix.picks) > free[-1]:
                popped = mix.pop()
                if popped.locked:
                    held.append(popped)
        self.t = mix.end()
        for pick in reversed(held):
            self._place_locked(pick.index, pick.section)
        self._place(index, locked=True, section=section)
        self.first = sum(p.section < self.number for p in mix.picks)

    def _choose(self, remaining: float) -> int | None:
        """The candidate position for the next slot, or None when adding a track would not help.

        Within the rules the person's "familiar or new" setting says which side the slot comes from (see
        _familiar); an exploration slot (see _explore) goes to new music the taste model is unsure about.
        """
        single_zone = remaining <= 1.35 * self.typical
        pair_zone = not single_zone and remaining <= 2.6 * self.typical
        closing = single_zone or pair_zone
        allowed = self._allowed(self._forbidden(0, closing=closing))
        if not len(allowed):
            return None
        if not closing and self.gen.explore_due():
            position = self._explore(allowed, remaining)
            if position is not None:
                self.exploring = True
                return position
        preferred = self._familiar(allowed)
        if preferred is not None:
            position, error = self._choose_among(preferred, remaining, closing, familiar=True)
            if position is not None and error <= (self._closing_allowance() if closing else 0):
                return position
        return self._choose_among(allowed, remaining, closing)[0]

    def _choose_among(
        self, allowed: np.ndarray, remaining: float, closing: bool, familiar: bool = False
    ) -> tuple[int | None, float]:
        """The best of these candidates for the next slot, and how far from the boundary it ends a closing (far from
        the end: 0, or inf when none leaves room for the closing pair).

        `familiar`: a closing pair's second track comes from the side "familiar or new" asks for too, if it can.
        """
        duration = self.duration[allowed]
        scores = self._scores(allowed, self.t, self.t + duration)
        if not closing:
            # Far from the end: the best track that leaves room for a closing pair.
            good = _good(scores)
            room = duration <= remaining - 2 * self.short
            for among, error in ((room & good, 0.0), (room, 0.0), (good, np.inf)):
                if among.any():  # error inf: no track here leaves room for the closing pair
                    return int(allowed[np.flatnonzero(among)[np.argmax(scores[among])]]), error
        # Closing: the one or two tracks, among the good-scoring ones, that best trade score against ending the
        # section on its boundary.
        good = _good(scores, CLOSING_WIDEN)
        options = [self._single(allowed, scores, good, remaining)]
        if remaining >= 2 * MIN_TRACK_S:
            options.append(self._pair(allowed, scores, good, remaining, familiar))
        position, error, _ = min(options, key=lambda option: option[2])
        # Stopping short beats a track that would end the section further from its boundary, unless the section
        # would have no music at all (a plan shorter than any song).
        return (position if error < remaining or self.slot == 0 else None), error

    def _closing_allowance(self) -> float:
        """How far from the boundary a closing track of the side "familiar or new" asks for may end."""
        low, high = FAMILIAR_CLOSING_S
        return low + (high - low) * max(0.0, 2 * self.gen.prefs.familiarity - 1)

    def _familiar(self, allowed: np.ndarray, ahead: int = 0, end: float | None = None) -> np.ndarray | None:
        """The candidates "familiar or new" asks for in this slot, or None when it asks for nothing here.

        The setting is the share of the mix from music the person knows. A slot goes to a known track when that
        brings the share so far closer to the setting — and one fits within the tempo tolerance; else to a new one.
        At 0 known tracks are not candidates at all (Rules); at 1 every slot a known track can fill gets one.
        """
        familiarity = self.gen.prefs.familiarity
        if familiarity <= 0:
            return None
        mix = self.gen.mix
        # `ahead` slots after the next (a closing pair's second), counting the slots before it as going its way.
        if mix.known + ahead + 0.5 < familiarity * (len(mix.picks) + ahead + 1):
            fits = allowed[self.known[allowed] & self._within_tolerance(allowed, end)]
            return fits if len(fits) else None
        new = allowed[~self.known[allowed]]
        return new if len(new) else None

    def _within_tolerance(self, positions: np.ndarray, end: float | None = None) -> np.ndarray:
        """Which candidates' tempo (or its double or half) is within the tempo tolerance of the slot's target:
        the next slot's, or (`end` given, mix time) the one that ends there."""
        if end is None:
            start = np.full(len(positions), self.t - self.origin)
        else:
            start = end - self.origin - self.duration[positions]
        target, _ = self.gen.curve.mean(start, start + self.duration[positions])
        tolerance = self.gen.weights.tempo_tolerance_bpm
        _, _, error = tempo_fit(self.pool.tempo[self.cands[positions]], target, tolerance)
        return error <= tolerance

    def _explore(self, allowed: np.ndarray, remaining: float) -> int | None:
        """An exploration slot: the new track (within the tempo tolerance) with the best optimistic score — its
        taste score raised by its uncertainty — so the model learns where it knows least but expects good."""
        new = allowed[~self.known[allowed] & self._within_tolerance(allowed)]
        if not len(new):
            return None
        duration = self.duration[new]
        scores = self._scores(new, self.t, self.t + duration)
        optimistic = scores + self.scorer.explore_bonus(new)
        room = _good(scores) & (duration <= remaining - 2 * self.short)
        if not room.any():
            return None
        return int(new[np.flatnonzero(room)[np.argmax(optimistic[room])]])

    def _single(self, allowed, scores, good, remaining: float) -> tuple[int | None, float, float]:
        """The best last track. Returns (candidate position, seconds from the boundary it ends at, cost)."""
        error = np.abs(self.duration[allowed] - remaining)
        cost = np.where(good, _cost(error, scores), np.inf)
        choice = int(np.argmin(cost))
        return int(allowed[choice]), float(error[choice]), float(cost[choice])

    def _pair(self, allowed, scores, good, remaining: float, familiar: bool = False) -> tuple[int | None, float, float]:
        """The best two last tracks. Returns (first's candidate position, seconds from the boundary, cost)."""
        second = self._allowed(self._forbidden(1, closing=True))
        if familiar:
            preferred = self._familiar(second, ahead=1, end=self.t + remaining)
            second = second if preferred is None else preferred
        if not len(second):
            return None, np.inf, np.inf
        end = self.t + remaining
        second_scores = self._scores(second, end - self.duration[second], end)
        keep = _good(second_scores, CLOSING_WIDEN)
        keep = np.flatnonzero(keep)[np.argsort(-second_scores[keep])[:PAIR_SECOND]]
        second, second_scores = second[keep], second_scores[keep]
        first = np.flatnonzero(good)
        first = first[np.argsort(-scores[first])[:PAIR_FIRST]]
        a = allowed[first]
        error = np.abs(self.duration[a][:, None] + self.duration[second][None, :] - remaining)
        valid = (self.song[a][:, None] != self.song[second][None, :]) & ~self._shared_artists(a, second)
        if not valid.any():
            return None, np.inf, np.inf
        cost = np.where(valid, _cost(error, (scores[first][:, None] + second_scores[None, :]) / 2), np.inf)
        row, column = np.unravel_index(int(np.argmin(cost)), cost.shape)
        return int(a[row]), float(error[row, column]), float(cost[row, column])

    def _shared_artists(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """A matrix: does candidate a[i] share an artist with candidate b[j]?"""
        owner_a, flat_a = self._credits(a)
        owner_b, flat_b = self._credits(b)
        shared = np.zeros((len(a), len(b)), dtype=bool)
        hit_a, hit_b = np.nonzero(flat_a[:, None] == flat_b[None, :])
        shared[owner_a[hit_a], owner_b[hit_b]] = True
        return shared

    def _credits(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.pool.artists_of(self.cands[positions])


class _Generator:
    def __init__(
        self, pool: Pool, plan: PlanSpec, prefs: Preferences, weights: Weights, seed: int, blocked: np.ndarray
    ):
        self.pool = pool
        self.plan = plan
        self.prefs = prefs
        self.weights = weights
        self.rng = np.random.default_rng(seed)
        self.curve = Curve(plan)
        self.rules = Rules(pool, prefs, blocked)
        self.mix = _Mix(pool)
        self.sections = plan.sections()
        self.origins: dict[int, float] = {}  # each section's plan time − mix time offset (see _SectionFill)
        # Exploration slots, spread over the mix; none at "familiar" 100 or without a taste model to learn.
        explore = pool.taste is not None and prefs.familiarity < 1 and weights.taste > 0
        self.explore_left = int(weights.exploration_slots) if explore else 0
        self.explore_every = plan.duration_s / TYPICAL_TRACK_S / max(self.explore_left, 1)
        self.next_explore = self.explore_every / 2

    def explore_due(self) -> bool:
        return self.explore_left > 0 and len(self.mix.picks) >= self.next_explore

    def explored(self) -> None:
        self.explore_left -= 1
        self.next_explore += self.explore_every


def generate(
    pool: Pool,
    plan: PlanSpec,
    prefs: Preferences = Preferences(),  # noqa: B008 - frozen, never mutated
    weights: Weights = Weights(),  # noqa: B008
    seed: int = 0,
    locked: Sequence[Locked] = (),
    exclude_keys: frozenset[str] = frozenset(),
) -> MixResult:
    """A mix for `plan` (already the mix type's selection) from the pool's tracks; see the module docstring."""
    started = time.perf_counter()
    sections = plan.sections()
    notes: list[str] = []
    locks, lost = _locks(pool, locked, len(sections))
    if lost:
        notes.append(f"{_tracks(lost)} you locked {'is' if lost == 1 else 'are'} no longer in the catalog.")
    locked_indexes = [i for slots in locks.values() for i in slots.values()]
    excluded = [pool.index_of(k) for k in exclude_keys if pool.has(k)]
    gen = _Generator(pool, plan, prefs, weights, seed, np.array(locked_indexes + excluded, dtype=np.int64))
    for index in locked_indexes:
        gen.mix.used_song[pool.song_id[index]] = True
    boundaries = []
    for number, section in enumerate(sections):
        fill = _SectionFill(gen, number, section, gen.mix.end(), locks.get(number, {}), locks.get(number + 1, {}))
        fill.run()
        boundaries.append(fill.end)
    results = [SectionResult(section=section, picks=[]) for section in sections]
    for pick in gen.mix.picks:
        results[pick.section].picks.append(pick)
    end = 0.0
    for result, boundary in zip(results, boundaries, strict=True):
        if result.picks:
            end = result.picks[-1].start_s + result.picks[-1].duration_s
        notes += _section_notes(result.section, boundary - end)
    if pool.without_features:
        notes.append(
            f"{_tracks(pool.without_features)} without a tempo or energy {_were(pool.without_features)} left out."
        )
    return MixResult(plan=plan, sections=results, notes=notes, generation_ms=(time.perf_counter() - started) * 1000)


def _cost(error: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """What a closing choice costs: seconds off the boundary (beyond FIT_S), against the tracks' score."""
    return SECOND_COST * np.maximum(error - FIT_S, 0) - scores


def _good(scores: np.ndarray, widen: int = 1) -> np.ndarray:
    """The candidates good enough to be chosen for their duration: within a margin of the best score, and at
    least the top few whatever the margin (a seed artist's bonus must not leave a single candidate)."""
    floor = scores.max() - GOOD_MARGIN * widen
    if len(scores) > GOOD_AT_LEAST * widen:
        floor = min(floor, np.partition(scores, -GOOD_AT_LEAST * widen)[-GOOD_AT_LEAST * widen])
    return scores >= floor


def _locks(pool: Pool, locked: Sequence[Locked], n_sections: int) -> tuple[dict[int, dict[int, int]], int]:
    """Locked tracks as {section: {slot: pool index}}; two locks on one slot keep their order. Also: how many
    locked keys are not in the pool."""
    locks: dict[int, dict[int, int]] = {}
    lost = 0
    for lock in sorted(locked, key=lambda lock: (lock.section, lock.slot)):
        if not pool.has(lock.key):
            lost += 1
            continue
        section = min(max(lock.section, 0), n_sections - 1)
        slots = locks.setdefault(section, {})
        slot = max(lock.slot, 0)
        while slot in slots:
            slot += 1
        slots[slot] = pool.index_of(lock.key)
    return locks, lost


def _section_notes(section: Section, missing: float) -> list[str]:
    if missing > NOTE_S:
        return [f"The catalog had too little music for {section.name}: it is {_span(missing)} short."]
    if missing < -NOTE_S:
        return [f"{section.name} runs {_span(-missing)} over: no track in the catalog ended it on time."]
    return []


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _tracks(count: int) -> str:
    return f"{count} track{'s' if count != 1 else ''}"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def rescore(
    pool: Pool, plan: PlanSpec, sections_keys: list[list[str]], prefs: Preferences, weights: Weights
) -> list[list[Pick]]:
    """Picks (start times, targets, tempo reading, score, why) for a mix as it now stands, after edits.

    Raises KeyError for a key that is not in the pool.
    """
    curve = Curve(plan)
    sections = plan.sections()
    result: list[list[Pick]] = []
    t = 0.0
    for number, keys in enumerate(sections_keys):
        kind = sections[min(number, len(sections) - 1)].kind
        scorer = Scorer(pool, [pool.index_of(key) for key in keys], kind, prefs, weights)
        picks = []
        for position in range(len(keys)):
            picks.append(_make_pick(pool, curve, scorer, position, number, t, origin=0.0))
            t += picks[-1].duration_s
        result.append(picks)
    return result


def replacement(
    pool: Pool,
    plan: PlanSpec,
    sections_keys: list[list[str]],
    section: int,
    slot: int,
    prefs: Preferences,
    weights: Weights,
    exclude_keys: frozenset[str] = frozenset(),
    seed: int = 0,
) -> Pick | None:
    """The next best track for one slot of a mix ("swap"), or None when no track qualifies.

    Not already in the mix (nor the same song), no artist shared with the two tracks before or after it, fitted
    to the slot's target averaged over the slot's span, and close to the replaced track's duration so the section
    keeps its length. Raises KeyError for a key that is not in the pool, IndexError for a slot that is not there.
    """
    mix = [pool.index_of(key) for keys in sections_keys for key in keys]
    position = sum(len(keys) for keys in sections_keys[:section]) + slot
    if not 0 <= slot < len(sections_keys[section]):
        raise IndexError(f"Section {section} has no slot {slot}.")
    old = mix[position]
    start = float(pool.duration_s[mix[:position]].sum())
    old_duration = float(pool.duration_s[old])
    target_tempo, target_energy = (float(x) for x in Curve(plan).mean(start, start + old_duration))
    kind = plan.sections()[min(section, len(plan.sections()) - 1)].kind
    excluded = [pool.index_of(key) for key in exclude_keys if pool.has(key)]
    rules = Rules(pool, prefs, np.array(mix + excluded, dtype=np.int64))
    point = (target_tempo, target_energy)
    cands = candidates(pool, [(point, point)], kind, prefs, weights, rules)
    cands = cands[~np.isin(pool.song_id[cands], pool.song_id[mix])]
    neighbours = [mix[i] for i in (position - 2, position - 1, position + 1, position + 2) if 0 <= i < len(mix)]
    if neighbours and len(cands):
        owner, flat = pool.artists_of(cands)
        clash = np.zeros(len(cands), dtype=bool)
        clash[owner[np.isin(flat, np.concatenate([pool.artist_set(i) for i in neighbours]))]] = True
        cands = cands[~clash]
    if not len(cands):
        return None
    scorer = Scorer(pool, cands, kind, prefs, weights)
    rng = np.random.default_rng(seed)
    closeness = np.exp(-0.5 * ((pool.duration_s[cands] - old_duration) / SWAP_DURATION_S) ** 2)
    ranking = scorer.at(target_tempo, target_energy, parts=False).scores + SWAP_DURATION_WEIGHT * closeness
    best = int(np.argmax(ranking + rng.random(len(cands)) * JITTER))
    return _make_pick(pool, Curve(plan), scorer, best, section, start, origin=0.0)
