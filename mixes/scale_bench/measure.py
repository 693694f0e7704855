"""What one catalog costs and gives, measured inside its database: the requests through the views, the engine's
own time for the ratio, the whole-catalog design's price, and the quality of both pools.

`side_by_side` times Generate (the Screen 1 POST, the way a browser meets it: django.test.Client) and the engine
alone on the whole catalog as its pool for the same person and plan (what "Generate costs what the engine costs" is
measured against), in turn; `requests` times Screen 2, a swap and a BPM fix; `engine` the engine on the pool
Generate reads: each the median of `runs`, for a person with no history and for one with a history and a taste
model. `whole_catalog` is the price of the other design, a per-process cache of the whole catalog: the time to read
it into a pool and the memory the process then holds.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.test.utils import override_settings

from mixes.engine.generator import generate
from mixes.engine.plan import TEMPLATES, template
from mixes.engine.scorer import Weights
from mixes.models import ScorerConfig, SessionMix, WorkoutPlan
from mixes.pools import load_pool, plan_pool, preferences_for
from mixes.scale_bench.quality import Comparison, compare, listener

PLAN = "spin"  # the 60-minute plan the figures are for
HTMX = {"HTTP_HX_REQUEST": "true"}


def people() -> dict:
    """The two people every figure is taken for: "fresh" (no history) and "listener" (history and taste model),
    each with the plan ready."""
    fresh = get_user_model().objects.create_user("scale-fresh", password=None)
    who = {"fresh": fresh, "listener": listener("scale-listener")}
    for user in who.values():
        WorkoutPlan.create_from_spec(user, template(PLAN), template_key=PLAN)
    return who


def side_by_side(user, runs: int) -> dict[str, float]:
    """Generate through the view and the engine alone on the whole catalog for the same person and plan, in turn run
    after run, so that the ratio's two sides meet the machine in the same state (it drifts by ±20 % from one minute
    to the next here): the median seconds of each, and the median of the runs' ratios."""
    spec = WorkoutPlan.objects.for_user(user).get(template_key=PLAN).to_spec()
    prefs, weights = preferences_for(user), Weights.from_dict(ScorerConfig.active().as_dict())
    whole = load_pool(user)
    client, form = _client(user)
    views, engines = [], []
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for i in range(runs):
            views.append(_timed(lambda i: _expect(client.post("/", form), 302), i))
            engines.append(_timed(lambda i: generate(whole, spec, prefs, weights, seed=i), i))
    ratios = [view / alone for view, alone in zip(views, engines, strict=True)]
    return {
        "Generate": statistics.median(views),
        "engine": statistics.median(engines),
        "ratio": statistics.median(ratios),
    }


def requests(user, runs: int) -> dict[str, float]:
    """Median seconds of Screen 2, a swap and a BPM fix through the views, on a mix of the plan it makes first
    (side_by_side times Generate)."""
    client, form = _client(user)
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        _expect(client.post("/", form), 302)
        mix = SessionMix.objects.for_user(user).order_by("-pk").first()
        rows = list(mix.tracks.order_by("position").values_list("pk", flat=True))
        figures = {"Screen 2": _median(lambda i: _expect(client.get(mix.get_absolute_url()), 200), runs)}
        figures["swap"] = _median(
            lambda i: _expect(client.post(f"/mixes/{mix.pk}/tracks/{rows[i % len(rows)]}/swap/", **HTMX), 200), runs
        )
        # ×2 then ÷2 on the same row, so the tempo stays in range.
        figures["BPM fix"] = _median(
            lambda i: _expect(
                client.post(f"/mixes/{mix.pk}/tracks/{rows[-1]}/bpm/", {"factor": "2" if i % 2 else "0.5"}, **HTMX), 200
            ),
            runs,
        )
    return figures


def engine(user, runs: int) -> dict[str, float]:
    """Median seconds of the engine alone for the plan on the pool Generate reads, and that pool's size."""
    spec = WorkoutPlan.objects.for_user(user).get(template_key=PLAN).to_spec()
    prefs, weights = preferences_for(user), Weights.from_dict(ScorerConfig.active().as_dict())
    narrowed = plan_pool(user, spec, prefs, weights)
    return {
        "narrowed": _median(lambda i: generate(narrowed, spec, prefs, weights, seed=i), runs),
        "pool tracks": len(narrowed),
    }


def _client(user) -> tuple[Client, dict]:
    """A browser signed in as the person, and Screen 1's form for their plan."""
    plan = WorkoutPlan.objects.for_user(user).get(template_key=PLAN)
    client = Client()
    client.force_login(user)
    return client, {"plan": plan.pk, "mix_type": "full", "familiarity": 50, "explicit_allowed": "on"}


def whole_catalog(user) -> dict[str, float]:
    """What a per-process cache of the whole catalog would cost: reading it into a pool, and the memory held."""
    before = _rss_mb()
    started = time.perf_counter()
    pool = load_pool(user)
    seconds = time.perf_counter() - started
    return {"load_s": seconds, "rss_mb": _rss_mb() - before, "tracks": len(pool)}


def quality(who: dict, seeds: int) -> dict:
    """Both pools' measures over every template plan with `seeds` seeds: for each person, and for all of them."""
    plans = [template(key) for key in TEMPLATES]
    weights = Weights.from_dict(ScorerConfig.active().as_dict())
    found = {}
    everyone = Comparison()
    for name, user in who.items():
        comparison = compare(user, plans, range(seeds), preferences_for(user), weights)
        found[name] = _figures(comparison)
        everyone += comparison
    found["everyone"] = _figures(everyone)
    return found


def _figures(comparison: Comparison) -> dict:
    return {
        "mixes": len(comparison.full_mixes),
        "full": comparison.full,
        "narrowed": comparison.narrowed,
        "worse": comparison.worse(),
        "missed": comparison.missed,
    }


def sessions(count: int) -> list[tuple[str, int]]:
    """`count` people signed in (a session each) with the plan ready: (session key, plan id), for a load run."""
    made = []
    for n in range(count):
        user = get_user_model().objects.create_user(f"scale-load-{n}", password=None)
        plan = WorkoutPlan.create_from_spec(user, template(PLAN), template_key=PLAN)
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        made.append((session.session_key, plan.pk))
    return made


def _median(action: Callable[[int], object], runs: int) -> float:
    return statistics.median(_timed(action, i) for i in range(runs))


def _timed(action: Callable[[int], object], i: int) -> float:
    """Seconds of the i-th run of an action."""
    random.seed(i)  # Generate draws the mix's seed from `random`: the same takes run after run
    started = time.perf_counter()
    action(i)
    return time.perf_counter() - started


def _expect(response, status: int):
    if response.status_code != status:
        raise RuntimeError(f"{response.request['PATH_INFO']} answered {response.status_code}, not {status}.")
    return response


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
