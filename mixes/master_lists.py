"""Reseeding Master Lists: global ones from rules, each user's own from the scorer."""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.db.models import Q

from mixes.engine.candidates import Piece
from mixes.engine.scorer import Weights, score
from mixes.models import ScorerConfig
from mixes.pools import NEAR_PER_SECTION, pool_near, preferences_for
from music.models import MasterList, MasterListEntry, PhaseKind, Track

# Per phase kind: tempo range (half and double time count), energy range, and optional genres.
RULES: dict[str, dict] = {
    PhaseKind.WARM_UP: {"tempo": [100, 150], "energy": [0.4, 0.7]},
    PhaseKind.BUILD: {"tempo": [120, 170], "energy": [0.6, 0.85]},
    PhaseKind.STEADY: {"tempo": [150, 175], "energy": [0.6, 0.85]},
    PhaseKind.PEAK: {"tempo": [140, 185], "energy": [0.8, 1.0]},
    PhaseKind.INTERVAL: {"tempo": [160, 190], "energy": [0.85, 1.0]},
    PhaseKind.RECOVERY: {"tempo": [90, 130], "energy": [0.4, 0.65]},
    PhaseKind.COOL_DOWN: {"tempo": [70, 120], "energy": [0.15, 0.5]},
}
GLOBAL_LIST_SIZE = 500
USER_LIST_SIZE = 100


def rule_filter(rules: dict) -> Q:
    """The tracks a rule set selects: tempo in range (or its half or double), energy in range, genres."""
    low, high = rules["tempo"]
    tempo = Q()
    for factor in (1, 2, 0.5):
        tempo |= Q(features__tempo__gte=low / factor, features__tempo__lte=high / factor)
    energy_low, energy_high = rules["energy"]
    selected = tempo & Q(features__energy__gte=energy_low, features__energy__lte=energy_high)
    if rules.get("genres"):
        selected &= Q(genre__in=rules["genres"])
    return selected


def _replace_entries(master_list: MasterList, scored: list[tuple[int, float]]) -> int:
    with transaction.atomic():
        master_list.entries.all().delete()
        MasterListEntry.objects.bulk_create(
            MasterListEntry(master_list=master_list, track_id=track_id, score=value) for track_id, value in scored
        )
    return len(scored)


def reseed_global() -> dict[str, int]:
    """Each phase kind's global list: the tracks its rules select, closest to the middle of its ranges first.

    A list staff already edited keeps its own rules; new lists get the defaults above.
    """
    counts = {}
    for kind, default_rules in RULES.items():
        master_list, _ = MasterList.objects.get_or_create(
            owner=None, phase_kind=kind, name=f"{PhaseKind(kind).label} (global)", defaults={"rules": default_rules}
        )
        rules = master_list.rules or default_rules
        energy_mid = sum(rules["energy"]) / 2
        catalog = Track.objects.visible_to(None)  # global lists come from the catalog, never a private upload
        rows = catalog.filter(rule_filter(rules)).values_list("pk", "features__energy")
        ranked = sorted(((pk, round(1 - abs(energy - energy_mid), 3)) for pk, energy in rows), key=lambda r: -r[1])
        counts[kind] = _replace_entries(master_list, ranked[:GLOBAL_LIST_SIZE])
    return counts


def reseed_for_user(user) -> dict[str, int]:
    """The user's own list per phase kind: the scorer's best tracks for the middle of that kind's rules, among the
    tracks that can matter there (and theirs), as Generate reads them."""
    weights = Weights.from_dict(ScorerConfig.active().as_dict())
    prefs = preferences_for(user)
    middles = [(sum(rules["tempo"]) / 2, sum(rules["energy"]) / 2) for rules in RULES.values()]
    near = [Piece(middle, middle, kind, NEAR_PER_SECTION) for middle, kind in zip(middles, RULES, strict=True)]
    pool = pool_near(user, near, prefs, weights)
    if not len(pool):
        return {}
    indexes = np.arange(len(pool))
    counts = {}
    for (kind, rules), (tempo, energy) in zip(RULES.items(), middles, strict=True):
        result = score(pool, indexes, tempo, energy, kind, prefs, weights)
        best = np.argsort(-np.nan_to_num(result.scores, nan=-np.inf))[:USER_LIST_SIZE]
        scored = [(int(pool.keys[int(i)]), round(float(result.scores[i]), 3)) for i in best]
        master_list, _ = MasterList.objects.get_or_create(
            owner=user, phase_kind=kind, name=f"{PhaseKind(kind).label} for you", defaults={"rules": rules}
        )
        counts[kind] = _replace_entries(master_list, scored)
    return counts
