"""The measures PRODUCT.md holds the generator to, their targets, and the greedy baseline it is compared with.

measure() reads a mix the way a person would hear it: targets are the mean_target of the plan's music over each
track's span in the mix (PlanSpec.music_plan: a block of intervals that follows its work intervals aims at them),
whatever the generator thought it was aiming at. summarize() pools the measures of several mixes
into the figures FIT_TARGETS bounds; missed_fit_targets() names the targets a summary misses. bench_generator and
bench_learning (mixes.learning_bench) both judge mixes by these.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from mixes.engine.generator import MixResult, Pick, SectionResult
from mixes.engine.plan import PlanSpec
from mixes.engine.pool import Pool

WITHIN_BPM = 8.0
# PRODUCT.md's measures and the targets each template's mix must meet (bounds on summarize()'s figures).
FIT_TARGETS = {
    "duration_median_s": 5.0,
    "duration_max_s": 30.0,
    "boundary_median_s": 5.0,
    "tempo_median_bpm": 2.5,
    "within_8_bpm_min": 0.90,
    "energy_median": 0.06,
}
# The greedy baseline's window around a section's mean target.
BASELINE_WINDOW = (8.0, 0.1)


def tempo_error(tempo: float, target: float) -> float:
    """min over {tempo, 2×tempo, tempo/2} of |x − target|."""
    return min(abs(tempo * factor - target) for factor in (1.0, 2.0, 0.5))


def measure(result: MixResult, pool: Pool) -> dict:
    """Duration, boundary, tempo, energy, duplicate and spacing measures of one mix (see PRODUCT.md)."""
    plan = result.plan
    picks = result.picks
    durations = [p.duration_s for p in picks]
    edges = np.concatenate(([0.0], np.cumsum(durations)))
    # Plan boundaries between sections: every boundary between two phases of 3 min or more is one, and so are the
    # two ends of a merged run of short phases (HIIT intervals), whose inner boundaries no song could match.
    boundaries = [section.start_s for section in plan.sections()[1:]]
    boundary_distances = [float(np.abs(edges - b).min()) for b in boundaries]
    tempo_errors, energy_errors = [], []
    music = plan.music_plan()
    for pick in picks:
        target_tempo, target_energy = music.mean_target(pick.start_s, pick.start_s + pick.duration_s)
        if pick.tempo is not None:
            tempo_errors.append(tempo_error(pick.tempo, target_tempo))
        if pick.energy is not None:
            energy_errors.append(abs(pick.energy - target_energy))
    indexes = [pool.index_of(p.key) for p in picks]
    total = float(sum(durations))
    return {
        "tracks": len(picks),
        "duration_s": total,
        "plan_duration_s": float(plan.duration_s),
        "duration_error_s": abs(total - plan.duration_s),
        "section_duration_errors_s": [
            abs(sum(p.duration_s for p in s.picks) - s.section.duration_s) for s in result.sections
        ],
        "boundary_distances_s": boundary_distances,
        "boundary_distance_s": _median(boundary_distances),
        "tempo_errors_bpm": tempo_errors,
        "tempo_error_bpm": _median(tempo_errors),
        "within_8_bpm": float(np.mean([e <= WITHIN_BPM for e in tempo_errors])) if tempo_errors else 1.0,
        "energy_errors": energy_errors,
        "energy_error": _median(energy_errors),
        "duplicates": duplicates(pool, indexes),
        "artist_spacing_violations": spacing_violations(pool, indexes),
        "generation_ms": result.generation_ms,
    }


def summarize(measures: list[dict]) -> dict:
    """The measures of several mixes as one: medians over the mixes or their pooled tracks, the worst duration
    error, and the totals of duplicates and spacing violations."""

    def pooled(name):
        return [value for m in measures for value in m[name]]

    def median(values) -> float:
        return statistics.median(values) if values else 0.0

    durations = [m["duration_error_s"] for m in measures]
    tempo = pooled("tempo_errors_bpm")
    return {
        "tracks": statistics.median(m["tracks"] for m in measures),
        "duration_median_s": statistics.median(durations),
        "duration_max_s": max(durations),
        # None for a plan of one section: it has no inner boundary to measure.
        "boundary_median_s": median(pooled("boundary_distances_s")) if pooled("boundary_distances_s") else None,
        "tempo_median_bpm": median(tempo),
        "within_8_bpm": sum(e <= WITHIN_BPM for e in tempo) / len(tempo) if tempo else 1.0,
        "energy_median": median(pooled("energy_errors")),
        "duplicates": sum(m["duplicates"] for m in measures),
        "spacing_violations": sum(m["artist_spacing_violations"] for m in measures),
    }


def missed_fit_targets(summary: dict) -> list[str]:
    """The names of the FIT_TARGETS (and of the no-duplicates and artist-spacing rules) a summary misses."""
    t = FIT_TARGETS
    checks = {
        "median duration error": summary["duration_median_s"] <= t["duration_median_s"],
        "max duration error": summary["duration_max_s"] <= t["duration_max_s"],
        "median boundary distance": (summary["boundary_median_s"] or 0) <= t["boundary_median_s"],
        "median tempo error": summary["tempo_median_bpm"] <= t["tempo_median_bpm"],
        "share within 8 BPM": summary["within_8_bpm"] >= t["within_8_bpm_min"],
        "median energy error": summary["energy_median"] <= t["energy_median"],
        "duplicates": summary["duplicates"] == 0,
        "artist spacing": summary["spacing_violations"] == 0,
    }
    return [name for name, ok in checks.items() if not ok]


def duplicates(pool: Pool, indexes: list[int]) -> int:
    """Tracks that repeat an earlier one: the same key, or the same song under another id."""
    seen_keys, seen_songs, count = set(), set(), 0
    for i in indexes:
        key, song = pool.keys[i], int(pool.song_id[i])
        count += key in seen_keys or song in seen_songs
        seen_keys.add(key)
        seen_songs.add(song)
    return count


def spacing_violations(pool: Pool, indexes: list[int]) -> int:
    """Tracks that share an artist with one of the two before them."""
    credits = [set(pool.artist_set(i).tolist()) for i in indexes]
    return sum(
        bool(credits[i] & (credits[i - 1] | (credits[i - 2] if i >= 2 else set()))) for i in range(1, len(credits))
    )


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else 0.0


def greedy_baseline(pool: Pool, plan: PlanSpec, seed: int = 0) -> MixResult:
    """The yardstick: per section, the tracks within a tempo (half/double time counted) and energy window of the
    section's mean target (the music's, as measure() reads it), shuffled, appended until the section's duration is
    reached."""
    started = time.perf_counter()
    music = plan.music_plan()
    rng = np.random.default_rng(seed)
    window_bpm, window_energy = BASELINE_WINDOW
    usable = pool.usable
    results = []
    t = 0.0
    for number, section in enumerate(plan.sections()):
        target_tempo, target_energy = music.mean_target(section.start_s, section.start_s + section.duration_s)
        error = np.minimum(np.abs(pool.tempo - target_tempo), np.abs(2 * pool.tempo - target_tempo))
        error = np.minimum(error, np.abs(pool.tempo / 2 - target_tempo))
        near = usable & (error <= window_bpm) & (np.abs(pool.energy - target_energy) <= window_energy)
        picks, filled = [], 0.0
        for index in rng.permutation(np.flatnonzero(near)).tolist():
            if filled >= section.duration_s:
                break
            duration = float(pool.duration_s[index])
            picks.append(_plain_pick(pool, index, number, t, duration, target_tempo, target_energy))
            t += duration
            filled += duration
        results.append(SectionResult(section=section, picks=picks))
    return MixResult(plan=plan, sections=results, notes=[], generation_ms=(time.perf_counter() - started) * 1000)


def _plain_pick(pool: Pool, index: int, section: int, start: float, duration: float, tempo: float, energy: float):
    return Pick(
        key=pool.keys[index],
        index=index,
        section=section,
        start_s=start,
        duration_s=duration,
        tempo=float(pool.tempo[index]),
        tempo_factor=1.0,
        energy=float(pool.energy[index]),
        target_tempo=tempo,
        target_energy=energy,
        score=0.0,
        why="",
    )
