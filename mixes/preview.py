"""What Screen 2 shows: the mix's tracks grouped by section, their totals, and the chart.

Works on rows already loaded (no queries): the view fetches the mix with its tracks once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mixes.engine.plan import PlanSpec, Section
from mixes.models import MixTrack, SessionMix
from mixes.templatetags.mix_tags import clock

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


@dataclass(frozen=True)
class Tick:
    """A label on an axis: `at` is the y of its text in px (`line`: of its grid line), or its x in percent (time)."""

    at: float
    label: str
    anchor: str = "start"
    line: float = 0


@dataclass(frozen=True)
class Band:
    """A plan section behind the lines: its span in seconds and percent, and the name that fits it."""

    name: str
    kind: str
    start_s: float
    duration_s: float
    x_pct: float
    label: str


@dataclass
class Chart:
    """Tempo (top panel) and energy (bottom panel) against the plan, over the plan's sections.

    The outer SVG is drawn at its real pixel size (no viewBox), so its 12 px text stays 12 px on a
    phone; the lines live in inner SVGs that stretch to the width (x in seconds, y in BPM or energy).
    """

    span_s: float
    tempo_low: int
    tempo_high: int
    tempo_target: str
    tempo_actual: str
    energy_target: str
    energy_actual: str
    tempo_ticks: list[Tick]
    energy_ticks: list[Tick]
    time_ticks: list[Tick]
    bands: list[Band]
    summary: str
    follows: list[str]  # what each block of short intervals' music follows, in words (under the chart)
    tempo_top: int = 20
    panel_height: int = 120
    gap: int = 26
    energy_height: int = 80
    axis: int = 20

    @property
    def tempo_range(self) -> int:
        return self.tempo_high - self.tempo_low

    @property
    def energy_top(self) -> int:
        return self.tempo_top + self.panel_height + self.gap

    @property
    def plot_bottom(self) -> int:
        return self.energy_top + self.energy_height

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.tempo_top

    @property
    def height(self) -> int:
        return self.plot_bottom + self.axis


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


def build_chart(plan: PlanSpec, items: list[MixTrack]) -> Chart:
    """The chart of these rows against the plan, with its text summary for screen readers."""
    played = sum(item.track.duration_ms for item in items) / 1000
    span = max(plan.duration_s, played, 1)
    tops = Chart  # the layout constants are the class's defaults
    energy_top = tops.tempo_top + tops.panel_height + tops.gap

    steps = [plan.duration_s * i / 240 for i in range(241)]
    targets = [plan.target_at(min(t, plan.duration_s - 1e-6)) for t in steps]
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
    every_bpm = 20 if high - low > 80 else 10
    high = low + every_bpm * -(-(high - low) // every_bpm)  # whole steps: the top tick is the top line

    def steps_path(values: list[tuple[float, float, float | None]], to_y) -> str:
        points = []
        for start, stop, value in values:
            if value is not None:
                points += [f"{_n(start)},{_n(to_y(value))}", f"{_n(stop)},{_n(to_y(value))}"]
        return " ".join(points)

    def tempo_y(bpm: float) -> float:
        return high - bpm

    def energy_y(energy: float) -> float:
        return 1 - energy

    def tick(top: int, height: int, fraction: float, label: str, room_below: int = 0) -> Tick:
        """A tick's text just under its line (the tempo panel's last one in the gap below), else just over it."""
        y = round(top + height * fraction, 1)
        return Tick(y + 13 if y + 13 <= top + height + room_below else y - 4, label, line=y)

    tempo_ticks = [
        tick(
            tops.tempo_top,
            tops.panel_height,
            (high - bpm) / (high - low),
            f"{bpm}{' BPM' if bpm == high else ''}",
            room_below=tops.gap,
        )
        for bpm in range(high, low - 1, -every_bpm)
    ]
    energy_ticks = [
        tick(energy_top, tops.energy_height, 1 - level, f"{'energy ' if level == 1 else ''}{level:g}")
        for level in (1, 0.5, 0)
    ]
    minutes = max(1, int(span // 60))
    every = next(n for n in (1, 2, 5, 10, 15, 30, 60, 120) if minutes / n <= 6)
    time_ticks = []
    for m in range(0, minutes + 1, every):
        x = round(100 * m * 60 / span, 2)
        time_ticks.append(Tick(x, f"{m}′", "start" if m == 0 else "end" if x > 95 else "middle"))

    sections = plan.sections()
    return Chart(
        span_s=round(span, 1),
        tempo_low=low,
        tempo_high=high,
        tempo_target=" ".join(f"{_n(x)},{_n(tempo_y(tempo))}" for x, (tempo, _) in zip(steps, targets, strict=True)),
        tempo_actual=steps_path([(a, b, bpm) for a, b, bpm, _ in actual], tempo_y),
        energy_target=" ".join(
            f"{_n(x)},{_n(energy_y(energy))}" for x, (_, energy) in zip(steps, targets, strict=True)
        ),
        energy_actual=steps_path([(a, b, energy) for a, b, _, energy in actual], energy_y),
        tempo_ticks=tempo_ticks,
        energy_ticks=energy_ticks,
        time_ticks=time_ticks,
        bands=[_band(section, span) for section in sections],
        summary=chart_summary(plan, items),
        follows=[
            f"{section.name}: the music follows {section.music_follows}"
            for section in sections
            if section.music_follows
        ],
    )


def chart_summary(plan: PlanSpec, items: list[MixTrack]) -> str:
    """The chart in words: per section, the plan's tempo, the tracks' tempo and how close the energy comes."""
    sections = plan.sections()
    by_section: list[list[tuple[float, float, MixTrack]]] = [[] for _ in sections]
    played = 0.0
    for item in items:
        end = played + item.track.duration_ms / 1000
        by_section[min(item.section, len(sections) - 1)].append((played, end, item))
        played = end
    parts = [f"The mix lasts {clock(played)} for a {clock(plan.duration_s)} plan."]
    for section, tracks in zip(sections, by_section, strict=True):
        parts.append(_section_sentence(plan, section, tracks))
    return " ".join(parts)


# Machinery ---------------------------------------------------------------------------------

# A band name is drawn where it fits on a 360 px phone: a plot about 310 px wide, 12 px text about 7 px a letter.
PHONE_PLOT_PX = 310
LETTER_PX = 7.0


def _band(section: Section, span: float) -> Band:
    width_px = PHONE_PLOT_PX * section.duration_s / span
    first_word = re.split(r"[\s/-]", section.name, maxsplit=1)[0]  # "Warm" of "Warm-up", "Sprint" of "Sprint / Easy"
    fits = [text for text in (section.name, first_word, section.name[:1]) if len(text) * LETTER_PX + 10 <= width_px]
    label = fits[0] if fits else ""
    return Band(
        name=section.name,
        kind=section.kind,
        start_s=round(section.start_s, 1),
        duration_s=round(section.duration_s, 1),
        x_pct=round(100 * section.start_s / span, 2),
        label=label,
    )


def _section_sentence(plan: PlanSpec, section: Section, timed: list[tuple[float, float, MixTrack]]) -> str:
    phases = [plan.phases[i] for i in section.phase_indexes]
    tempos = [t for p in phases for t in p.tempo]
    first, last = phases[0].tempo[0], phases[-1].tempo[1]
    if len(phases) > 1 and max(tempos) - min(tempos) >= 5:
        wanted = f"the plan alternates between {min(tempos):.0f} and {max(tempos):.0f} BPM"
    elif abs(last - first) >= 3:
        wanted = f"the plan goes from {first:.0f} to {last:.0f} BPM"
    else:
        wanted = f"the plan holds {first:.0f} BPM"
    if section.music_follows:
        wanted += f", and the music follows {section.music_follows}"
    head = f"{section.name} ({clock(section.duration_s)}): {wanted}"
    bpms = [item.effective_bpm for _, _, item in timed if item.effective_bpm]
    if not timed:
        return f"{head}; no tracks yet."
    if not bpms:
        said = "the tracks' tempo is unknown"
    elif len(bpms) > 1 and abs(bpms[-1] - bpms[0]) >= 5 and abs(last - first) >= 3:
        said = f"the tracks go from {bpms[0]:.0f} to {bpms[-1]:.0f} BPM"
    elif max(bpms) - min(bpms) < 2:
        said = f"the tracks are at {bpms[0]:.0f} BPM"
    else:
        said = f"the tracks stay between {min(bpms):.0f} and {max(bpms):.0f} BPM"
    return f"{head}; {said}{_energy_words(plan, timed)}."


def _energy_words(plan: PlanSpec, timed: list[tuple[float, float, MixTrack]]) -> str:
    gaps = []
    for start, end, item in timed:
        features = getattr(item.track, "features", None)
        if features is not None and features.energy is not None and start < plan.duration_s:
            gaps.append(features.energy - plan.mean_target(start, min(end, plan.duration_s))[1])
    if not gaps:
        return ""
    mean = sum(gaps) / len(gaps)
    if abs(mean) <= 0.1:
        return ", energy close to the plan"
    return f", energy {'above' if mean > 0 else 'below'} the plan by {abs(mean):.1f} on average"


def _n(value: float) -> str:
    """A coordinate, short: 12.0 → 12, 12.34 → 12.3."""
    return f"{round(value, 1):g}"
