"""Is a mix from the narrowed pool as good as one from the whole catalog? The same plans, seeds and person, both ways.

`compare` generates every plan with every seed twice, from the whole catalog (mixes.pools.load_pool) and from the
pool Generate reads (mixes.pools.plan_pool), and measures both alike: the plan fit of mixes/engine/metrics.py
(duration, boundaries, tempo, energy, duplicates, artist spacing), the person's taste (the mean taste part the
scorer gives the picks, by their own model, the same for both pools) and the share of the mix they know.
`listener` gives a user a listening history with a taste to learn (liked and disliked genres and artists, skips),
and builds their taste model, so that the taste and known-share measures mean something.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from mixes.engine.generator import MixResult, generate
from mixes.engine.metrics import measure, summarize
from mixes.engine.plan import PlanSpec
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Weights
from mixes.pools import load_pool, plan_pool
from mixes.taste import rebuild_taste
from music.bulk import add_plays
from music.models import Play, Track, TrackAffinity

# Measures where less is better, and where more is. The narrowed pool misses one when it is worse than the whole
# catalog by more than TOLERANCE of the whole catalog's figure, beyond doubt: the whole 90 % interval of the
# difference, bootstrapped over the plans (each plan's mixes, one per seed, for one person, drawn together), lies past
# it. A median of mix durations moves by a quarter from one set of seeds to the next: "5 %" of a second is no figure
# a few hundred mixes can tell apart from chance, and a single comparison would call chance a miss (or a pass). And
# the seeds of a plan are not independent draws: where its sections end depends on the plan and the tracks near its
# targets far more than on the seed (at 1 M tracks most plans end every section at the same distance whatever the
# seed, in either pool), so resampling single mixes took one plan's luck for a difference beyond doubt.
LOWER_IS_BETTER = ("duration_median_s", "duration_max_s", "boundary_median_s", "tempo_median_bpm", "energy_median")
HIGHER_IS_BETTER = ("within_8_bpm", "taste", "known_share")
COUNTS = ("duplicates", "spacing_violations")
TOLERANCE = 0.05
RESAMPLES = 200


@dataclass
class Comparison:
    """Both paths' measures of the same mixes (one dict per mix), summarized alike; which measures the narrowed path
    misses. Comparisons add up: the mixes of several people measured as one."""

    full_mixes: list[dict] = field(default_factory=list)
    narrowed_mixes: list[dict] = field(default_factory=list)
    pool_sizes: list[int] = field(default_factory=list)
    plans: list[int] = field(default_factory=list)  # which plan each pair of mixes is of; none given: each its own

    def __add__(self, other: Comparison) -> Comparison:
        offset = max(self._plans(), default=-1) + 1
        return Comparison(
            self.full_mixes + other.full_mixes,
            self.narrowed_mixes + other.narrowed_mixes,
            self.pool_sizes + other.pool_sizes,
            self._plans() + [offset + plan for plan in other._plans()],
        )

    def _plans(self) -> list[int]:
        return self.plans or list(range(len(self.full_mixes)))

    @property
    def full(self) -> dict:
        return _summary(self.full_mixes)

    @property
    def narrowed(self) -> dict:
        return _summary(self.narrowed_mixes)

    def worse(self) -> dict[str, tuple[float, float, float]]:
        """How much worse the narrowed pool does on each measure than the whole catalog (negative: better), as
        (difference, the low and the high end of its 90 % interval over RESAMPLES resamplings of the plans)."""
        names = [name for name in LOWER_IS_BETTER + HIGHER_IS_BETTER if self.full[name] is not None]
        rng = np.random.default_rng(0)
        by_plan: dict[int, list[int]] = {}
        for pair, plan in enumerate(self._plans()):
            by_plan.setdefault(plan, []).append(pair)
        plans = list(by_plan.values())
        draws: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(RESAMPLES):
            picked = [pair for i in rng.integers(0, len(plans), len(plans)) for pair in plans[i]]
            full = _summary([self.full_mixes[i] for i in picked])
            narrowed = _summary([self.narrowed_mixes[i] for i in picked])
            for name in names:
                draws[name].append(_worse(name, full[name], narrowed[name]))
        found = {}
        for name in names:
            low, high = np.percentile(draws[name], [5, 95])
            found[name] = (_worse(name, self.full[name], self.narrowed[name]), float(low), float(high))
        return found

    @property
    def missed(self) -> list[str]:
        """The measures on which the narrowed pool is worse than the whole catalog by more than TOLERANCE beyond
        doubt (the 90 % interval's low end past it); any duplicate or spacing fault more is a miss."""
        full, narrowed = self.full, self.narrowed
        missed = [name for name in COUNTS if narrowed[name] > full[name]]
        for name, (_, low, _high) in self.worse().items():
            if low > TOLERANCE * abs(full[name]):
                missed.append(name)
        return missed


def _worse(name: str, full: float | None, narrowed: float | None) -> float:
    if full is None or narrowed is None:
        return 0.0
    return full - narrowed if name in HIGHER_IS_BETTER else narrowed - full


def compare(user, plans: list[PlanSpec], seeds: range, prefs: Preferences, weights: Weights, **narrowing) -> Comparison:
    """Every plan with every seed from the whole catalog and from the narrowed pool (`narrowing`: plan_pool's
    keywords), measured alike."""
    whole = load_pool(user)
    comparison = Comparison()
    for number, plan in enumerate(plans):
        pool = plan_pool(user, plan, prefs, weights, **narrowing)
        comparison.pool_sizes.append(len(pool))
        for seed in seeds:
            comparison.plans.append(number)
            comparison.full_mixes.append(_measured(generate(whole, plan, prefs, weights, seed=seed), whole))
            comparison.narrowed_mixes.append(_measured(generate(pool, plan, prefs, weights, seed=seed), pool))
    return comparison


def _measured(result: MixResult, pool: Pool) -> dict:
    figures = measure(result, pool)
    picks = np.array([pick.index for pick in result.picks], dtype=np.int64)
    figures["taste"] = float(np.tanh(pool.taste.scores(picks).mean / 2).mean()) if pool.taste and len(picks) else 0.0
    figures["known_share"] = float(pool.known[picks].mean()) if len(picks) else 0.0
    return figures


def _summary(measures: list[dict]) -> dict:
    summary = summarize(measures)
    summary["taste"] = statistics.mean(m["taste"] for m in measures)
    summary["known_share"] = statistics.mean(m["known_share"] for m in measures)
    return summary


def listener(username: str, seed: int = 0, songs: int = 150, plays: int = 600):
    """A user with a listening history to learn from: `plays` plays of `songs` tracks, most from two genres they
    like, some from two they skip, a few of anything; and their taste model built from it."""
    rng = np.random.default_rng(seed)
    user = get_user_model().objects.create_user(username, password=None)
    genres = list(
        Track.objects.visible_to(None).exclude(genre="").values_list("genre").annotate(n=Count("pk")).order_by("-n")
    )
    names = [name for name, _ in genres]
    order = rng.permutation(len(names))
    liked = [names[i] for i in order[:2]]
    disliked = [names[i] for i in order[2:4]]
    chosen = {
        "liked": _sample(rng, Track.objects.filter(genre__in=liked), int(songs * 0.6)),
        "disliked": _sample(rng, Track.objects.filter(genre__in=disliked), int(songs * 0.25)),
        "other": _sample(rng, Track.objects.all(), songs - int(songs * 0.6) - int(songs * 0.25)),
    }
    skip_chance = {"liked": 0.1, "disliked": 0.8, "other": 0.4}
    now = timezone.now()
    history = []
    weights = {"liked": 4.0, "disliked": 1.0, "other": 1.0}
    tracks = [(track, side) for side, ids in chosen.items() for track in ids]
    p = np.array([weights[side] for _, side in tracks])
    for n, i in enumerate(rng.choice(len(tracks), size=plays, p=p / p.sum())):
        track, side = tracks[int(i)]
        skipped = bool(rng.random() < skip_chance[side])
        played_at = now - timezone.timedelta(days=float(rng.uniform(1, 150)), seconds=n)
        history.append(
            Play(user=user, track_id=track, played_at=played_at, ms_played=20_000 if skipped else 200_000,
                 skipped=skipped, source="export")
        )  # fmt: skip
    add_plays(history)
    TrackAffinity.rebuild_play_counts(user)
    rebuild_taste(user)
    return user


def _sample(rng: np.random.Generator, tracks, count: int) -> list[int]:
    """`count` track ids drawn from these, without reading them all: random pk ranges."""
    low, high = Track.objects.order_by("pk").values_list("pk", flat=True).first(), Track.objects.count()
    ids: list[int] = []
    for _ in range(20):
        if len(ids) >= count or low is None:
            break
        starts = rng.integers(low, low + max(high, 1), size=count)
        for start in starts:
            pk = tracks.filter(pk__gte=int(start)).order_by("pk").values_list("pk", flat=True).first()
            if pk is not None and pk not in ids:
                ids.append(pk)
            if len(ids) >= count:
                break
    return ids
