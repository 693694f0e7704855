"""Seed notes: for each seed artist and genre, how many of its tracks a mix holds, or why none could be chosen,
with the closest track to offer anyway; and the slot such a track fits best (closest_slot)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mixes.engine.candidates import Rules
from mixes.engine.fill import Curve
from mixes.engine.plan import PlanSpec
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Weights, tempo_fit

if TYPE_CHECKING:
    from mixes.engine.generator import Pick

# A seed's track this close to a slot's target tempo (its double or half counted) is "near" it (metrics.WITHIN_BPM).
NEAR_BPM = 8.0


class SeedNote(dict):
    """What became of one seed artist or genre, as JSON-ready data (it is stored in SessionMix.notes):

    kind "seed"; seed_type "artist" | "genre"; seed (the name); count (tracks of theirs in the mix); reason, when
    none: "missing" (no such artist or genre in the music), "unusable" (none of theirs may play: explicit, too
    short, taken out), "tempo" (none near a slot's target tempo), "outscored" (near enough, but others fit
    better); then the closest track of theirs: track (its key), track_title, closest_bpm (its tempo), target_bpm
    (the target of the slot it fits best). text: the same in words; str() of a note is its text.
    """

    def __str__(self) -> str:
        return str(self.get("text", ""))


def closest_slot(
    pool: Pool,
    plan: PlanSpec,
    sections_keys: list[list[str]],
    key: str,
    free: Sequence[tuple[int, int]],
    weights: Weights = Weights(),  # noqa: B008
) -> tuple[int, int]:
    """Of the `free` (section, slot) places of a mix, the one where the track `key` fits best: its tempo (double or
    half counted) and energy against the target it would play to there, in units of the scorer's tolerances.

    Raises KeyError for a key that is not in the pool, ValueError when no place is free.
    """
    if not free:
        raise ValueError("No free slot.")
    index = pool.index_of(key)
    curve = Curve(plan.music_plan())
    starts: dict[tuple[int, int], float] = {}
    t = 0.0
    for section, keys in enumerate(sections_keys):
        for slot, other in enumerate(keys):
            starts[(section, slot)] = t
            t += float(pool.duration_s[pool.index_of(other)])
    places = [place for place in free if place in starts]
    if not places:
        raise ValueError("No free slot.")
    begin = np.array([starts[place] for place in places])
    target_tempo, target_energy = curve.mean(begin, begin + float(pool.duration_s[index]))
    distance = _distance(pool, np.array([index]), target_tempo, target_energy, weights)[0]
    return places[int(np.argmin(distance))]


def seed_notes(
    pool: Pool,
    picks: Sequence[Pick],
    prefs: Preferences,
    weights: Weights,
    rules: Rules,
) -> list[SeedNote]:
    """A SeedNote for each seed artist and genre (alphabetically): how many of its tracks made it, or why none
    could and the closest of its tracks for the slot it fits best (unlocked slots only)."""
    chosen = np.array([p.index for p in picks], dtype=np.int64)
    free = [p for p in picks if not p.locked]
    notes = []
    for name in sorted(prefs.seed_artists, key=str.casefold):
        ids = pool.artist_ids_named([name])
        theirs = pool.tracks_by(ids) if len(ids) else np.zeros(0, dtype=np.int64)
        notes.append(_seed_note(pool, "artist", name, len(ids) > 0, theirs, chosen, free, weights, rules))
    for name in sorted(prefs.seed_genres, key=str.casefold):
        ids = pool.genre_ids_named([name])
        theirs = np.flatnonzero(np.isin(pool.genre_id, ids)) if len(ids) else np.zeros(0, dtype=np.int64)
        notes.append(_seed_note(pool, "genre", name, len(ids) > 0, theirs, chosen, free, weights, rules))
    return notes


def _seed_note(
    pool: Pool,
    seed_type: str,
    name: str,
    exists: bool,
    theirs: np.ndarray,
    chosen: np.ndarray,
    free: Sequence[Pick],
    weights: Weights,
    rules: Rules,
) -> SeedNote:
    count = int(np.isin(chosen, theirs).sum())
    note = SeedNote(kind="seed", seed_type=seed_type, seed=name, count=count)
    if count:
        note["text"] = f"{name}: {count} track{'s' if count != 1 else ''} in this mix."
        return note
    usable = rules.keep(theirs)
    usable = usable[~np.isnan(pool.tempo[usable])]
    if not exists:
        note.update(reason="missing", text=f"{name}: not in the music we can choose from.")
        return note
    if not len(usable) or not free:
        note.update(reason="unusable", text=f"{name}: none of {_their(seed_type)} tracks can play in this mix.")
        return note
    target_tempo = np.array([p.target_tempo for p in free])
    target_energy = np.array([p.target_energy for p in free])
    distance = _distance(pool, usable, target_tempo, target_energy, weights)
    row, column = np.unravel_index(int(np.argmin(distance)), distance.shape)
    index = int(usable[row])
    tempo, target = float(pool.tempo[index]), float(target_tempo[column])
    _, _, error = tempo_fit(np.array([tempo]), target, weights.tempo_tolerance_bpm)
    note.update(
        track=pool.keys[index],
        track_title=pool.titles[index],
        closest_bpm=round(tempo),
        target_bpm=round(target),
    )
    if float(error[0]) > NEAR_BPM:
        note.update(reason="tempo", text=f"{name}: no track near {target:.0f} BPM; closest {tempo:.0f} BPM.")
    else:
        note.update(
            reason="outscored",
            text=f"{name}: none made it, other tracks fit the plan better; closest {tempo:.0f} BPM "
            f"against {target:.0f} BPM.",
        )
    return note


def _distance(pool: Pool, indexes: np.ndarray, target_tempo, target_energy, weights: Weights) -> np.ndarray:
    """(tracks × targets) distance of each track's tempo reading and energy from each target, in tolerances."""
    tempo = pool.tempo[indexes][:, None]
    energy = pool.energy[indexes][:, None]
    _, _, tempo_error = tempo_fit(tempo, np.asarray(target_tempo)[None, :], weights.tempo_tolerance_bpm)
    energy_error = np.abs(energy - np.asarray(target_energy)[None, :])
    distance = (tempo_error / weights.tempo_tolerance_bpm) ** 2 + (energy_error / weights.energy_tolerance) ** 2
    return np.where(np.isnan(distance), np.inf, distance)


def _their(seed_type: str) -> str:
    return "their" if seed_type == "artist" else "its"
