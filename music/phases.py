"""Phase kinds and tempo bounds: facts the catalog (Master Lists are kept per phase kind) and the engine share.

Plain Python, no Django: `music.models.PhaseKind` is built from these, and `mixes.engine.plan` imports them.
"""

from __future__ import annotations

from typing import NamedTuple

# Each phase kind and its label, in this order (the engine keeps one bit per kind, in this order too).
PHASE_KIND_LABELS = {
    "warm_up": "Warm-up",
    "build": "Build",
    "steady": "Steady",
    "peak": "Peak",
    "interval": "Interval",
    "recovery": "Recovery",
    "cool_down": "Cool-down",
}
PHASE_KINDS = tuple(PHASE_KIND_LABELS)


class Bounds(NamedTuple):
    low: int
    high: int


# The tempos a plan or a Master List may ask for, and a tempo correction may give (BPM).
TEMPO_RANGE = Bounds(low=30, high=250)
