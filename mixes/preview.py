"""What Screen 2 shows: the mix's tracks grouped by section, their totals, and the chart.

Works on rows already loaded (no queries): the view fetches the mix with its tracks once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mixes.engine.plan import PlanSpec, Section
from mixes.models import MixTrack, SessionMix

# Within this many seconds a section counts as filled to its duration.
ON_TARGET_S = 15


@dataclass
class SectionView:
    index: int
    section: Section
    tracks: list[MixTrack] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.section.name

    @property
    def kind(self) -> str:
        return self.section.kind

    @property
    def target_s(self) -> float:
        return self.section.duration_s

    @property
    def duration_s(self) -> float:
        return sum(item.track.duration_ms for item in self.tracks) / 1000

    @property
    def delta_s(self) -> float:
        return self.duration_s - self.target_s

    @property
    def on_target(self) -> bool:
        return abs(self.delta_s) <= ON_TARGET_S


@dataclass
class Chart:
    """An inline SVG of tempo (top panel) and energy (bottom panel) against the plan's targets."""

    width: int
    panel_height: int
    gap: int
    tempo_target: str
    tempo_actual: str
    energy_target: str
    energy_actual: str
    tempo_ticks: list[tuple[float, str]]
    energy_ticks: list[tuple[float, str]]
    time_ticks: list[tuple[float, str]]
    left: int = 44

    @property
    def height(self) -> int:
        return self.panel_height * 2 + self.gap + 18

    @property
    def energy_top(self) -> int:
        return self.panel_height + self.gap

    @property
    def right(self) -> int:
        return self.width - 8


@dataclass
class MixPreview:
    mix: SessionMix
    plan: PlanSpec
    sections: list[SectionView]
    chart: Chart
    known_count: int = 0  # tracks the person knows ("8 of 11 are songs you know")

    @property
    def total_s(self) -> float:
        return sum(s.duration_s for s in self.sections)

    @property
    def target_s(self) -> float:
        return self.plan.duration_s

    @property
    def delta_s(self) -> float:
        return self.total_s - self.target_s

    @property
    def on_target(self) -> bool:
        return abs(self.delta_s) <= ON_TARGET_S * max(1, len(self.sections))

    @property
    def track_count(self) -> int:
        return sum(len(s.tracks) for s in self.sections)

    def section(self, index: int) -> SectionView:
        return self.sections[index]


def build_preview(mix: SessionMix, items: list[MixTrack], known: frozenset[int] = frozenset()) -> MixPreview:
    """Screen 2 for these rows; `known` holds the ids of the tracks the person knows."""
    plan = mix.plan_spec()
    sections = [SectionView(i, section) for i, section in enumerate(plan.sections())]
    for item in items:
        sections[min(item.section, len(sections) - 1)].tracks.append(item)
    known_count = sum(item.track_id in known for item in items)
    return MixPreview(mix=mix, plan=plan, sections=sections, chart=build_chart(plan, items), known_count=known_count)


def build_chart(plan: PlanSpec, items: list[MixTrack], width: int = 800, panel_height: int = 130) -> Chart:
    gap = 28
    left, right = 44, width - 8
    played = sum(item.track.duration_ms for item in items) / 1000
    span = max(plan.duration_s, played, 1)

    def x(t: float) -> float:
        return round(left + (right - left) * t / span, 1)

    steps = [span * i / 240 for i in range(241)]
    targets = [plan.target_at(min(t, plan.duration_s)) for t in steps if t <= plan.duration_s]
    actual = []  # (start, end, bpm, energy) per track
    t = 0.0
    for item in items:
        end = t + item.track.duration_ms / 1000
        features = getattr(item.track, "features", None)
        actual.append((t, end, item.effective_bpm, features.energy if features else None))
        t = end

    bpms = [bpm for _, _, bpm, _ in actual if bpm] + [tempo for tempo, _ in targets]
    low, high = (min(bpms), max(bpms)) if bpms else (60, 180)
    low, high = 10 * int(low // 10) - 10, 10 * int(high // 10) + 20

    def y_tempo(bpm: float) -> float:
        return round(panel_height - (bpm - low) / (high - low) * panel_height, 1)

    def y_energy(energy: float) -> float:
        return round(panel_height + gap + panel_height - energy * panel_height, 1)

    def steps_path(index: int, scale) -> str:
        points = []
        for start, end, *values in actual:
            if values[index] is not None:
                points += [f"{x(start)},{scale(values[index])}", f"{x(end)},{scale(values[index])}"]
        return " ".join(points)

    target_xs = [x(t) for t in steps[: len(targets)]]
    minutes = max(1, int(span // 60))
    every = next(n for n in (1, 2, 5, 10, 15, 30, 60) if minutes / n <= 8)
    return Chart(
        width=width,
        panel_height=panel_height,
        gap=gap,
        tempo_target=" ".join(f"{px},{y_tempo(tempo)}" for px, (tempo, _) in zip(target_xs, targets, strict=True)),
        tempo_actual=steps_path(0, y_tempo),
        energy_target=" ".join(f"{px},{y_energy(energy)}" for px, (_, energy) in zip(target_xs, targets, strict=True)),
        energy_actual=steps_path(1, y_energy),
        tempo_ticks=[(y_tempo(bpm), str(bpm)) for bpm in range(low, high + 1, 20 if high - low > 80 else 10)],
        energy_ticks=[(y_energy(level), f"{level:g}") for level in (0, 0.5, 1)],
        time_ticks=[(x(m * 60), f"{m}′") for m in range(0, minutes + 1, every)],
    )
