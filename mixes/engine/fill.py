"""How the generator fills a section: the search behind `mixes.engine.generator.generate`.

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

from typing import TYPE_CHECKING

import numpy as np

from mixes.engine.candidates import MIN_TRACK_S, candidates, segments
from mixes.engine.plan import PlanSpec, Section
from mixes.engine.scorer import Scorer, tempo_fit

if TYPE_CHECKING:
    from mixes.engine.generator import Generation, Pick

# A random nudge of at most this much per candidate (about 2.5 BPM or 0.05 energy of fit) breaks near-ties, so
# another seed gives another take of similar quality; the seed picks which.
JITTER = 0.25
# A section that ends within this many seconds of its boundary is on time.
FIT_S = 1.0
# A section is closing when at most this many typical tracks' time is left (the median candidate's duration):
# its last one or two tracks are then chosen together for how near the boundary they end it. Two tracks and 30 %
# more, so that a pair of longer tracks still counts; further out, it takes three or more tracks, and the next is
# chosen for its score while leaving room for a closing pair.
CLOSING_TRACKS = 2.6
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
SAMPLES = 8  # as PlanSpec.mean_target
# "Familiar or new": a closing track from the preferred side (known or new) may end its section this far from the
# boundary (seconds at familiarity ≤ 0.5, rising to the second figure at 1: "only songs I know" is asked for
# plainly, and a later section makes up the difference); further than that, the boundary wins.
FAMILIAR_CLOSING_S = (5.0, 30.0)


class SectionFill:
    """Fills one section slot by slot; see the module docstring."""

    def __init__(
        self,
        gen: Generation,
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
        pick = self.gen.mix.place(scorer, position, section, self.t, self.gen.origins[section], locked)
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
        closing = remaining <= CLOSING_TRACKS * self.typical
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


class Curve:
    """The plan's targets as arrays: PlanSpec.target_at and mean_target for many spans at once.

    The generator builds it from the plan's music_plan (a block of intervals that follows its work intervals aims
    at them throughout)."""

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
