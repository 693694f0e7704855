"""Workout plans as plain data: phases, sections, mix types and the ready templates.

No Django here: the generator, the benchmark and `generate_mix --catalog` use it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from music.phases import PHASE_KINDS, TEMPO_RANGE, phase_kind

# Each mix type (the part of a plan a mix covers, see PlanSpec.select) and its label; mixes.models.MixType.
MIX_TYPE_LABELS = {
    "full": "Full session",
    "warm_up": "Warm-up only",
    "main": "Main set only",
    "cool_down": "Cool-down only",
}
MIX_TYPES = tuple(MIX_TYPE_LABELS)
MIN_PHASE_S = 10
MAX_PHASE_S = 6 * 3600
MAX_PLAN_S = 6 * 3600
# Phases shorter than this are too short for a song of their own; runs of them become one section.
SHORT_PHASE_S = 180
# What the music of such a block of intervals follows (PlanSpec.interval_music): the work intervals' tempo and
# energy (what carries a runner through the hard minutes), or the time-weighted average of work and rest.
INTERVAL_MUSIC = {"work": "Follow the work intervals", "average": "Average of work and rest"}
DEFAULT_INTERVAL_MUSIC = "work"
# A phase of a block is a work interval when its tempo is this far above the block's time-weighted mean.
WORK_ABOVE_BPM = 0.5
WORK_ABOVE_ENERGY = 0.005


class PlanError(ValueError):
    """A plan that cannot be used, with a message fit to show the person who made it."""


@dataclass(frozen=True)
class PlanPhase:
    name: str
    kind: str
    duration_s: int
    tempo: tuple[float, float]
    energy: tuple[float, float]

    def at(self, fraction: float) -> tuple[float, float]:
        """Target (tempo, energy) at a fraction 0..1 through the phase."""
        t0, t1 = self.tempo
        e0, e1 = self.energy
        return t0 + (t1 - t0) * fraction, e0 + (e1 - e0) * fraction

    def to_dict(self) -> dict:
        def value(pair):
            return pair[0] if pair[0] == pair[1] else list(pair)

        return {
            "name": self.name,
            "kind": self.kind,
            "duration_s": self.duration_s,
            "tempo_bpm": value(self.tempo),
            "energy": value(self.energy),
        }

    @classmethod
    def from_dict(cls, data: dict, number: int = 1) -> PlanPhase:
        where = f"Phase {number}"
        if not isinstance(data, dict):
            raise PlanError(f"{where}: expected an object with name, kind, duration_s, tempo_bpm and energy.")
        written = str(data.get("kind", "steady"))
        kind = phase_kind(written)
        if kind is None:
            raise PlanError(f"{where}: unknown kind {written!r}; use one of {', '.join(PHASE_KINDS)}.")
        duration = _number(data.get("duration_s"), f"{where}: duration_s")
        if not MIN_PHASE_S <= duration <= MAX_PHASE_S:
            raise PlanError(f"{where}: duration must be between {MIN_PHASE_S} s and 6 hours, not {duration:g} s.")
        tempo = _pair(data.get("tempo_bpm"), f"{where}: tempo_bpm")
        if not all(TEMPO_RANGE.low <= t <= TEMPO_RANGE.high for t in tempo):
            raise PlanError(f"{where}: tempo must be between {TEMPO_RANGE.low} and {TEMPO_RANGE.high} BPM.")
        energy = _pair(data.get("energy"), f"{where}: energy")
        if not all(0 <= e <= 1 for e in energy):
            raise PlanError(f"{where}: energy must be between 0 and 1.")
        name = str(data.get("name") or kind.replace("_", "-").capitalize())
        return cls(name=name[:60], kind=kind, duration_s=int(round(duration)), tempo=tempo, energy=energy)


@dataclass(frozen=True)
class Section:
    """A stretch of the plan the generator fills on its own: one phase, or a run of short ones."""

    phase_indexes: tuple[int, ...]
    start_s: float
    duration_s: float
    name: str
    kind: str
    # A block of intervals too short for a song each: what its music follows, in words for Screen 2 and the
    # chart ("the work intervals (172 BPM)", "the average of work and rest (145 BPM)"); "" for any other section.
    music_follows: str = ""
    # The (tempo, energy) the block's music aims at when it follows the work intervals; None: the plan's own.
    music_target: tuple[float, float] | None = None


@dataclass(frozen=True)
class PlanSpec:
    name: str
    phases: tuple[PlanPhase, ...]
    interval_music: str = DEFAULT_INTERVAL_MUSIC  # a key of INTERVAL_MUSIC

    @property
    def duration_s(self) -> int:
        return sum(p.duration_s for p in self.phases)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "phases": [p.to_dict() for p in self.phases],
            "interval_music": self.interval_music,
        }

    @classmethod
    def from_dict(cls, data: dict) -> PlanSpec:
        if not isinstance(data, dict):
            raise PlanError("A plan is an object with a name and a list of phases.")
        raw = data.get("phases")
        if not isinstance(raw, list) or not raw:
            raise PlanError("A plan needs at least one phase.")
        phases = tuple(PlanPhase.from_dict(p, i + 1) for i, p in enumerate(raw))
        # Plans stored before the setting existed (mix snapshots, plan files) get the default.
        interval_music = data.get("interval_music", DEFAULT_INTERVAL_MUSIC)
        if interval_music not in INTERVAL_MUSIC:
            choices = " or ".join(f'"{key}"' for key in INTERVAL_MUSIC)
            raise PlanError(f"interval_music must be {choices}, not {interval_music!r}.")
        plan = cls(name=str(data.get("name") or "Workout")[:120], phases=phases, interval_music=interval_music)
        if plan.duration_s > MAX_PLAN_S:
            raise PlanError("A plan can last at most 6 hours.")
        return plan

    def select(self, mix_type: str) -> PlanSpec:
        """The part of the plan a mix type covers."""
        if mix_type not in MIX_TYPES:
            raise PlanError(f"Unknown mix type {mix_type!r}; use one of {', '.join(MIX_TYPES)}.")
        kinds = [p.kind for p in self.phases]
        lead = next((i for i, k in enumerate(kinds) if k != "warm_up"), len(kinds))
        tail = next((i for i in range(len(kinds) - 1, -1, -1) if kinds[i] != "cool_down"), -1) + 1
        tail = max(tail, lead)
        chosen = {
            "full": self.phases,
            "warm_up": self.phases[:lead],
            "main": self.phases[lead:tail],
            "cool_down": self.phases[tail:],
        }[mix_type]
        if not chosen:
            label = {"warm_up": "warm-up", "main": "main set", "cool_down": "cool-down"}[mix_type]
            raise PlanError(f"This plan has no {label} phase; pick another mix type or add one.")
        return PlanSpec(name=self.name, phases=tuple(chosen), interval_music=self.interval_music)

    def target_at(self, t: float) -> tuple[float, float]:
        """Target (tempo, energy) at second t of the plan."""
        start = 0.0
        for phase in self.phases:
            if t < start + phase.duration_s:
                return phase.at((t - start) / phase.duration_s)
            start += phase.duration_s
        return self.phases[-1].at(1.0)

    def mean_target(self, start: float, end: float, steps: int = 8) -> tuple[float, float]:
        """Time-weighted mean target over [start, end): what a track playing then should match."""
        end = max(end, start + 1e-6)
        points = [self.target_at(start + (end - start) * (i + 0.5) / steps) for i in range(steps)]
        return sum(p[0] for p in points) / steps, sum(p[1] for p in points) / steps

    def sections(self) -> tuple[Section, ...]:
        """Phases to fill one by one; runs of short phases (HIIT intervals) are merged into one section.

        A run of short phases that is itself too short for a song joins the section before it.
        """
        groups: list[list[int]] = []
        run: list[int] = []
        for i, phase in enumerate(self.phases):
            if phase.duration_s < SHORT_PHASE_S:
                run.append(i)
                continue
            if run:
                groups.append(run)
                run = []
            groups.append([i])
        if run:
            groups.append(run)
        merged: list[list[int]] = []
        for group in groups:
            short = sum(self.phases[i].duration_s for i in group) < SHORT_PHASE_S
            if short and merged or merged and sum(self.phases[i].duration_s for i in merged[-1]) < SHORT_PHASE_S:
                merged[-1].extend(group)
            else:
                merged.append(list(group))
        sections = []
        start = 0.0
        for group in merged:
            phases = [self.phases[i] for i in group]
            duration = sum(p.duration_s for p in phases)
            follows, target = "", None
            if len(group) == 1:
                name, kind = phases[0].name, phases[0].kind
            else:
                name = _block_name(phases)
                kind = max(phases, key=lambda p: p.duration_s).kind
                if all(p.duration_s < SHORT_PHASE_S for p in phases):
                    follows, target = _block_music(phases, self.interval_music)
            sections.append(Section(tuple(group), start, duration, name, kind, follows, target))
            start += duration
        return tuple(sections)

    def music_plan(self) -> PlanSpec:
        """The plan as its music follows it: each block of short intervals that follows its work intervals
        (interval_music "work") aims at their tempo and energy throughout; every other phase is as planned.

        The generator's targets (fill.Curve, the prefilter) and the benchmark's measures read this; the plan
        itself (the chart's target line, the plan editor) keeps its phases.
        """
        phases = list(self.phases)
        for section in self.sections():
            if section.music_target is not None:
                tempo, energy = section.music_target
                for i in section.phase_indexes:
                    phases[i] = replace(phases[i], tempo=(tempo, tempo), energy=(energy, energy))
        return self if phases == list(self.phases) else replace(self, phases=tuple(phases))


def _block_music(phases: list[PlanPhase], interval_music: str) -> tuple[str, tuple[float, float] | None]:
    """What a block of short intervals' music follows: (words, target), target None for the plan's own.

    The work intervals are the phases whose mean tempo is above the block's time-weighted mean tempo (the harder
    phases, whatever they are called or whatever kind they are given); when every phase asks for the same tempo,
    those whose energy is above the mean. A block whose phases all ask for the same has nothing to choose.
    """

    def mean(values: list[float], weights: list[float]) -> float:
        return sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)

    durations = [float(p.duration_s) for p in phases]
    tempos = [sum(p.tempo) / 2 for p in phases]
    energies = [sum(p.energy) / 2 for p in phases]
    mean_tempo, mean_energy = mean(tempos, durations), mean(energies, durations)
    work = [i for i, t in enumerate(tempos) if t > mean_tempo + WORK_ABOVE_BPM]
    if not work:
        work = [i for i, e in enumerate(energies) if e > mean_energy + WORK_ABOVE_ENERGY]
    if not work:
        return "", None
    if interval_music != "work":
        return f"the average of work and rest ({mean_tempo:.0f} BPM)", None
    weights = [durations[i] for i in work]
    tempo = mean([tempos[i] for i in work], weights)
    energy = mean([energies[i] for i in work], weights)
    return f"the work intervals ({tempo:.0f} BPM)", (tempo, energy)


def _block_name(phases: list[PlanPhase]) -> str:
    names = []
    for p in phases:
        if p.name not in names:
            names.append(p.name)
    work = sum(1 for p in phases if p.kind == "interval")
    label = " / ".join(names[:3])
    return f"{label} ×{work}" if work > 1 else label


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanError(f"{what} must be a number.")
    return float(value)


def _pair(value, what: str) -> tuple[float, float]:
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise PlanError(f"{what} must be a number or a [start, end] pair.")
        return _number(value[0], what), _number(value[1], what)
    number = _number(value, what)
    return number, number


def _phase(name, kind, minutes, tempo, energy) -> dict:
    return {"name": name, "kind": kind, "duration_s": int(minutes * 60), "tempo_bpm": tempo, "energy": energy}


def _hiit() -> list[dict]:
    phases = [_phase("Warm-up", "warm_up", 8, [100, 140], [0.45, 0.75])]
    for _ in range(8):
        phases.append(_phase("Sprint", "interval", 1, 172, 0.95))
        phases.append(_phase("Easy", "recovery", 1, 118, 0.55))
    phases.append(_phase("Cool-down", "cool_down", 6, [118, 90], [0.5, 0.3]))
    return phases


# The ready-made plans a person starts from. Tempo targets are running cadence (steps per
# minute) or pedalling/lifting rhythm; energy follows Spotify's 0..1 scale.
TEMPLATES: dict[str, dict] = {
    "easy-run": {
        "name": "Easy run",
        "phases": [
            _phase("Warm-up", "warm_up", 5, [110, 150], [0.45, 0.65]),
            _phase("Easy miles", "steady", 25, 160, 0.7),
            _phase("Cool-down", "cool_down", 5, [140, 100], [0.6, 0.4]),
        ],
    },
    "tempo-run": {
        "name": "Tempo run",
        "phases": [
            _phase("Warm-up", "warm_up", 10, [110, 155], [0.45, 0.7]),
            _phase("Build", "build", 6, [160, 170], [0.72, 0.82]),
            _phase("Tempo", "peak", 20, 175, 0.87),
            _phase("Cool-down", "cool_down", 9, [150, 100], [0.6, 0.35]),
        ],
    },
    "long-run": {
        "name": "Long run",
        "phases": [
            _phase("Warm-up", "warm_up", 10, [110, 155], [0.45, 0.65]),
            _phase("Long steady", "steady", 55, 165, 0.72),
            _phase("Cool-down", "cool_down", 10, [145, 100], [0.55, 0.35]),
        ],
    },
    "hiit": {"name": "HIIT 8×1 min", "phases": _hiit()},
    "spin": {
        "name": "Spin class",
        "phases": [
            _phase("Warm-up", "warm_up", 8, [95, 120], [0.45, 0.65]),
            _phase("Climb", "build", 12, [120, 135], [0.65, 0.82]),
            _phase("Sprint set", "peak", 15, 140, 0.9),
            _phase("Recovery", "recovery", 5, 110, 0.55),
            _phase("Final push", "peak", 12, 145, 0.93),
            _phase("Cool-down", "cool_down", 8, [110, 85], [0.5, 0.3]),
        ],
    },
    "strength": {
        "name": "Strength",
        "phases": [
            _phase("Warm-up", "warm_up", 8, [100, 120], [0.5, 0.7]),
            _phase("Lifting", "steady", 35, 125, 0.82),
            _phase("Stretch", "cool_down", 7, 95, 0.4),
        ],
    },
    "yoga": {
        "name": "Yoga flow",
        "phases": [
            _phase("Arrive", "warm_up", 8, 80, 0.3),
            _phase("Flow", "steady", 24, 95, 0.4),
            _phase("Savasana", "cool_down", 8, [80, 65], [0.3, 0.15]),
        ],
    },
    "warm-up": {
        "name": "Warm-up only",
        "phases": [_phase("Warm-up", "warm_up", 12, [100, 150], [0.4, 0.7])],
    },
}


def template(key: str) -> PlanSpec:
    return PlanSpec.from_dict(TEMPLATES[key])
