"""What a run reports and the targets it is judged by: RoundFigures per round and arm, the BenchReport, and
check(), which says of each target of issue 6 (and of issue 2's fit targets, metrics.FIT_TARGETS) whether the
report meets it. Plain data: no database.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from mixes.engine.metrics import missed_fit_targets

# Targets of issue 6, on top of issue 2's fit targets (metrics.FIT_TARGETS).
SKIP_RATIO, NEW_SKIP_RATIO, FILL_RATIO, TIME_RATIO = 0.40, 0.65, 0.90, 1.20


@dataclass
class RoundFigures:
    """One round of one arm."""

    skip: float = 0.0  # expected skip rate over the tracks listened to
    new_skip: float = 0.0  # the same over tracks never heard before
    new_tracks: int = 0
    sampled_skip: float = 0.0
    known: dict[int, float] = field(default_factory=dict)  # familiarity → known share of the mixes
    fill: dict[int, float] = field(default_factory=dict)  # familiarity → what known tracks could fill
    fill_energy: dict[int, float] = field(default_factory=dict)  # the same, energy within tolerance too
    fit: dict = field(default_factory=dict)  # metrics.summarize of metrics.measure over the round's mixes
    generation_ms: list[float] = field(default_factory=list)

    @property
    def generation_median_ms(self) -> float:
        return statistics.median(self.generation_ms) if self.generation_ms else 0.0


@dataclass
class BenchReport:
    tracks: int
    listeners: list[str]
    plans: list[str]
    cold: RoundFigures  # the listeners before any evidence: round 0's mixes for a user with no history
    learning: list[RoundFigures]
    control: list[RoundFigures]
    seconds: float = 0.0

    @property
    def generation_median_ms(self) -> float:
        times = [ms for arm in ([self.cold], self.learning, self.control) for r in arm for ms in r.generation_ms]
        return statistics.median(times) if times else 0.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check(report: BenchReport, baseline_ms: float | None = None) -> list[Check]:
    """Each target of issue 6, passed or not, with the figures it was judged on.

    The skip targets compare the last round with the cold start (round 0's mixes before any evidence), not with
    round 0 itself: round 0 comes after the initial history upload, so a model that learns from that history has
    a lower round 0, and a ratio to it would grow harder the better the model learns. Both ratios are shown.
    """
    cold, first, last = report.cold, report.learning[0], report.learning[-1]
    r = len(report.learning) - 1
    checks = [
        Check(
            f"round {r} skip rate ≤ {SKIP_RATIO:.0%} of the cold start's",
            last.skip <= SKIP_RATIO * cold.skip,
            f"{last.skip:.1%} vs {cold.skip:.1%} ({_ratio(last.skip, cold.skip)}); "
            f"round 0 {first.skip:.1%} ({_ratio(last.skip, first.skip)})",
        ),
        Check(
            f"round {r} skip rate on never-heard tracks ≤ {NEW_SKIP_RATIO:.0%} of the cold start's",
            last.new_skip <= NEW_SKIP_RATIO * cold.new_skip,
            f"{last.new_skip:.1%} vs {cold.new_skip:.1%} ({_ratio(last.new_skip, cold.new_skip)}); "
            f"round 0 {first.new_skip:.1%} ({_ratio(last.new_skip, first.new_skip)})",
        ),
    ]
    for label, figures in [("cold start", cold), *((f"round {n}", f) for n, f in enumerate(report.learning))]:
        missed = missed_fit_targets(figures.fit)
        checks.append(Check(f"{label} fit targets of issue 2", not missed, ", ".join(missed) or "all met"))
    for number, figures in enumerate(report.learning):
        if 100 in figures.known:
            known, fill = figures.known[100], figures.fill[100]
            checks.append(
                Check(
                    f"round {number} known share at 100 ≥ {FILL_RATIO:.0%} of what known tracks could fill",
                    known >= FILL_RATIO * fill,
                    f"{known:.1%} of {fill:.1%} ({_ratio(known, fill)})",
                )
            )
        if 0 in figures.known:
            checks.append(
                Check(f"round {number} known share at 0 is 0", figures.known[0] == 0, f"{figures.known[0]:.1%}")
            )
    if baseline_ms:
        median = report.generation_median_ms
        checks.append(
            Check(
                f"median generation ≤ {TIME_RATIO:.0%} of the baseline's",
                median <= TIME_RATIO * baseline_ms,
                f"{median:.0f} ms vs {baseline_ms:.0f} ms",
            )
        )
    return checks


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.0%} of it" if base else "—"
