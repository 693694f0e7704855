"""Measures of a stored mix: its plan fit, the tracks the person knows and their seconds, and what known tracks
could fill.

fit_of rebuilds a stored mix as the generator's result so that mixes.engine.metrics.measure reads it; could_fill
is the yardstick of the known share at familiarity 100, by the definition in bench_learning's docstring, against
each section's target_ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixes.engine.generator import MixResult, Pick, SectionResult
from mixes.engine.metrics import measure
from mixes.engine.plan import PlanSpec
from mixes.engine.pool import Pool, TrackRecord
from mixes.engine.scorer import Weights
from mixes.learning_bench.listeners import Ears
from mixes.models import MixTrack, SessionMix
from music.models import TrackAffinity

WINDOW_S = 210.0  # a typical song (the dataset's median is 216 s), for a section's target tempo range


def fit_of(mix: SessionMix, ears: Ears) -> dict:
    """metrics.measure of the mix as stored: its rows in order against its plan snapshot."""
    rows = list(MixTrack.objects.filter(mix=mix).order_by("position").values_list("track_id", "section", "tempo"))
    positions = [ears.position[track_id] for track_id, _, _ in rows]
    pool = Pool.from_records(
        TrackRecord(
            key=str(ears.ids[p]),
            title=ears.titles[p],
            artists=tuple(ears.artists[p]),
            duration_ms=ears.duration_ms[p],
            tempo=tempo,
            energy=_or_none(ears.energy[p]),
            song=ears.songs[p],
        )
        for p, (_, _, tempo) in zip(positions, rows, strict=True)
    )
    plan = mix.plan_spec()
    sections = [SectionResult(section=section, picks=[]) for section in plan.sections()]
    start = 0.0
    for p, (track_id, section, tempo) in zip(positions, rows, strict=True):
        duration = float(ears.duration_s[p])
        sections[section].picks.append(
            Pick(
                key=str(track_id),
                index=pool.index_of(str(track_id)),
                section=section,
                start_s=start,
                duration_s=duration,
                tempo=tempo,
                tempo_factor=1.0,
                energy=_or_none(ears.energy[p]),
                target_tempo=0.0,
                target_energy=0.0,
                score=0.0,
                why="",
            )
        )
        start += duration
    return measure(MixResult(plan=plan, sections=sections), pool)


def _or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def known_tracks(user) -> set[int]:
    """The tracks the person knows (TrackAffinity.objects.known): played, saved, top, in own playlists, or liked."""
    return set(TrackAffinity.objects.for_user(user).known().values_list("track_id", flat=True))


def seconds(mix: SessionMix, ears: Ears, only: set[int] | None = None) -> float:
    """The mix's duration as stored, or the duration of its tracks among `only`."""
    ids = MixTrack.objects.filter(mix=mix).values_list("track_id", flat=True)
    return sum(float(ears.duration_s[ears.position[pk]]) for pk in ids if only is None or pk in only)


def could_fill(plan: PlanSpec, known: set[int], ears: Ears, weights: Weights, energy: bool = False) -> float:
    """Seconds of the plan that known tracks could fill, by the definition in bench_learning's docstring.

    With `energy`, a track must also be within the scorer's energy tolerance of the section's energy range.
    """
    sections = plan.sections()
    ranges = [target_ranges(plan, section.start_s, section.duration_s) for section in sections]
    songs, tracks = set(), []
    for position in sorted(ears.position[pk] for pk in known if pk in ears.position):
        if ears.usable[position] and ears.songs[position] not in songs:
            songs.add(ears.songs[position])
            tracks.append(position)

    def fits(p: int, targets: Targets) -> bool:
        if _gap(ears.tempo[p], *targets.tempo) > weights.tempo_tolerance_bpm:
            return False
        low, high = targets.energy
        return not energy or max(low - ears.energy[p], ears.energy[p] - high, 0.0) <= weights.energy_tolerance

    fitting = {p: [i for i, targets in enumerate(ranges) if fits(p, targets)] for p in tracks}
    room = [float(section.duration_s) for section in sections]
    # Each song once: those that fit fewest sections first, each into the fitting section with most room left.
    for p in sorted((p for p in tracks if fitting[p]), key=lambda p: (len(fitting[p]), p)):
        i = max(fitting[p], key=lambda i: room[i])
        room[i] -= min(room[i], float(ears.duration_s[p]))
    return sum(section.duration_s - left for section, left in zip(sections, room, strict=True))


@dataclass(frozen=True)
class Targets:
    tempo: tuple[float, float]
    energy: tuple[float, float]


def target_ranges(plan: PlanSpec, start: float, duration: float) -> Targets:
    """The lowest and highest targets a track in this stretch is measured against: the targets of the plan's music
    (plan.music_plan: a block of short intervals follows its setting) averaged over a WINDOW_S window (the whole
    stretch if shorter) as it slides through, every 10 s."""
    window = min(WINDOW_S, duration)
    music = plan.music_plan()
    targets = [music.mean_target(s, s + window) for s in np.arange(start, start + duration - window + 1e-6, 10.0)]
    tempo, energy = [t for t, _ in targets], [e for _, e in targets]
    return Targets(tempo=(min(tempo), max(tempo)), energy=(min(energy), max(energy)))


def _gap(tempo: float, low: float, high: float) -> float:
    """How far the nearest reading of the tempo (itself, double, half) falls outside [low, high]."""
    return min(max(low - tempo * f, tempo * f - high, 0.0) for f in (1.0, 2.0, 0.5))
