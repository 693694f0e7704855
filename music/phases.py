"""Phase kinds and tempo bounds: facts the catalog (Master Lists are kept per phase kind) and the engine share.

Plain Python, no Django: `music.models.PhaseKind` is built from these, and `mixes.engine.plan` imports them.
"""

from __future__ import annotations

import re
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
# How people write a kind: "warm_up", "warm-up", "Warm up", "warmup". Spaces, hyphens and underscores between its
# words read as one "_"; no separator at all is a spelling too.
_SEPARATORS = re.compile(r"[\s_-]+")
_SPELLINGS = {spelling: kind for kind in PHASE_KINDS for spelling in (kind, kind.replace("_", ""))}


class Bounds(NamedTuple):
    low: int
    high: int


# The tempos a plan or a Master List may ask for, and a tempo correction may give (BPM).
TEMPO_RANGE = Bounds(low=30, high=250)


def phase_kind(text: str) -> str | None:
    """The phase kind a person wrote, in any case, with spaces, hyphens, underscores or nothing between its words
    ("Warm up", "cool-down", "warmup"), or None when it is no kind."""
    return _SPELLINGS.get(_SEPARATORS.sub("_", text).strip("_").casefold())
