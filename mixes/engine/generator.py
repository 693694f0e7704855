"""The Session Playlist Generator: a mix that follows a workout plan section by section, fitted to each duration.

- `generate` builds a mix for a plan from a pool of tracks: a MixResult, the plan's sections in order with their
  Picks, and notes fit to show the person (a section the catalog could not fill, a locked track no longer there).
- `rescore` describes a mix as it now stands, after edits: a Pick for each of its tracks.
- `replacement` is the next best track for one slot of a mix (a swap), or None.
- `closest_slot` is the slot of a mix where one given track fits best ("place the closest one anyway").

Each seed artist and seed genre gets a note (`seed_notes`): how many tracks made it, or why none could and which of
theirs came closest, for Screen 2 to offer.

Every mix keeps the rules: no song twice, no artist within three consecutive tracks, locked tracks (`Locked`) at
their slots; each track is scored against the plan's target averaged over the span it would play. How a section
is filled: mixes/engine/fill.py. Plain Python and NumPy, no Django.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mixes.engine.candidates import Rules, candidates
from mixes.engine.fill import JITTER, Curve, SectionFill
from mixes.engine.plan import PlanSpec, Section
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Scorer, Weights
from mixes.engine.seeds import SeedNote, seed_notes

# A section this far from its duration gets a note.
NOTE_S = 30
# A mix's exploration slots are spread over it, one per this share of its estimated tracks at most.
TYPICAL_TRACK_S = 210.0
# A swap prefers a track within about this many seconds of the one it replaces, worth this much score.
SWAP_DURATION_S = 20.0
SWAP_DURATION_WEIGHT = 1.5


@dataclass(frozen=True)
class Locked:
    """A track the person locked: it stays at this slot (0 is the first) of this section."""

    section: int
    slot: int
    key: str


@dataclass
class Pick:
    """One track of a mix: where it plays (mix seconds), the target it was scored against, its score and why."""

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
    """One section of the plan and the tracks that fill it, in order."""

    section: Section
    picks: list[Pick]


@dataclass
class MixResult:
    """A generated mix: the plan's sections in order, notes fit to show the person, and the time it took.

    Notes are sentences (str), and a SeedNote for each seed artist and genre.
    """

    plan: PlanSpec
    sections: list[SectionResult]
    notes: list[str | SeedNote] = field(default_factory=list)
    generation_ms: float = 0.0

    @property
    def picks(self) -> list[Pick]:
        return [pick for section in self.sections for pick in section.picks]


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
    notes: list[str | SeedNote] = []
    locks, lost = _locks(pool, locked, len(sections))
    if lost:
        notes.append(f"{_tracks(lost)} you locked {'is' if lost == 1 else 'are'} no longer in the catalog.")
    locked_indexes = [i for slots in locks.values() for i in slots.values()]
    excluded = [pool.index_of(k) for k in exclude_keys if pool.has(k)]
    gen = Generation(pool, plan, prefs, weights, seed, np.array(locked_indexes + excluded, dtype=np.int64))
    for index in locked_indexes:
        gen.mix.used_song[pool.song_id[index]] = True
    boundaries = []
    for number, section in enumerate(sections):
        fill = SectionFill(gen, number, section, gen.mix.end(), locks.get(number, {}), locks.get(number + 1, {}))
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
    notes += seed_notes(pool, gen.mix.picks, prefs, weights, gen.rules)
    return MixResult(plan=plan, sections=results, notes=notes, generation_ms=(time.perf_counter() - started) * 1000)


def rescore(
    pool: Pool, plan: PlanSpec, sections_keys: list[list[str]], prefs: Preferences, weights: Weights
) -> list[list[Pick]]:
    """Picks (start times, targets, tempo reading, score, why) for a mix as it now stands, after edits.

    Raises KeyError for a key that is not in the pool.
    """
    curve = Curve(plan.music_plan())
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
    target_tempo, target_energy = (float(x) for x in Curve(plan.music_plan()).mean(start, start + old_duration))
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
    return _make_pick(pool, Curve(plan.music_plan()), scorer, best, section, start, origin=0.0)


# One mix being built ---------------------------------------------------------------------------------------------


class Generation:
    """One call of `generate`: what its sections share (the plan, the rules, the random stream, the mix so far)."""

    def __init__(
        self, pool: Pool, plan: PlanSpec, prefs: Preferences, weights: Weights, seed: int, blocked: np.ndarray
    ):
        self.pool = pool
        self.plan = plan
        self.prefs = prefs
        self.weights = weights
        self.rng = np.random.default_rng(seed)
        self.curve = Curve(plan.music_plan())
        self.rules = Rules(pool, prefs, blocked)
        self.mix = _Mix(pool, self.curve)
        self.sections = plan.sections()
        self.origins: dict[int, float] = {}  # each section's plan time − mix time offset (see fill.SectionFill)
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


class _Mix:
    """The mix being built, all sections in order: what the no-repeat and artist-spacing rules look at."""

    def __init__(self, pool: Pool, curve: Curve):
        self.pool = pool
        self.curve = curve
        self.picks: list[Pick] = []
        self.used_song = np.zeros(int(pool.song_id.max(initial=-1)) + 1, dtype=bool)
        self.known = 0  # picks the person knows

    def place(
        self, scorer: Scorer, position: int, section: int, start: float, origin: float, locked: bool = False
    ) -> Pick:
        """Add the track at `position` of the scorer's tracks at the end, playing from `start` (mix time)."""
        pick = _make_pick(self.pool, self.curve, scorer, position, section, start, origin, locked)
        self.add(pick)
        return pick

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
