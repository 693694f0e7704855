"""The run: the cold start and both arms, round by round, through the app's own views, rolled back after.

run() does the whole benchmark inside a transaction it rolls back and returns a BenchReport (report.py);
ensure_catalog imports the dataset into an empty catalog. Below them, the machinery: an _Arm is one user and
their browser, a _Tally what one round of an arm counted, _figures a round's RoundFigures over the tallies,
_Bench the loop. The design is in the package docstring (mixes.learning_bench).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from mixes.engine.metrics import summarize
from mixes.engine.scorer import Weights
from mixes.learning_bench.listeners import HISTORY_PLAYS, Ears, HiddenTaste, Listen, draw_taste, initial_history, play
from mixes.learning_bench.measures import could_fill, fit_of, known_tracks, seconds
from mixes.learning_bench.report import BenchReport, RoundFigures
from mixes.models import MixTrack, SessionMix, WorkoutPlan
from music.catalog_csv import detect_layout, read_rows
from music.importers import import_rows
from music.models import Track

DATASET = Path("tidytuesday-2020-01-21-spotify-songs") / "spotify_songs.csv"
PLANS = ("easy-run", "strength", "hiit")
FAMILIARITIES = (0, 50, 100)
LISTENED = 50  # the familiarity of the mixes listened to (the form's default)
EDITS_PER_MIX = 2  # skipped tracks removed or swapped on Screen 2 after each listened mix

Progress = Callable[[str], None]


class BenchError(RuntimeError):
    """The benchmark cannot run, or the app answered something a person would see as broken."""


def run(
    *,
    listeners: int = 6,
    rounds: int = 5,
    plans: Sequence[str] = PLANS,
    tracks: int | None = None,
    csv_path: Path | None = None,
    familiarity: bool = True,
    history_plays: int = HISTORY_PLAYS,
    seed: int = 0,
    progress: Progress = lambda line: None,
) -> BenchReport:
    """Run the benchmark (see the module docstring) and roll everything back. `rounds` of feedback: rounds 0..rounds.

    familiarity=False skips the extra familiarity-0 and -100 mixes (the fast test does not need them);
    history_plays=0 starts every listener with no history, so that round 0 is a cold start.
    """
    started = time.perf_counter()
    state = random.getstate(), celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with transaction.atomic(), override_settings(ALLOWED_HOSTS=["testserver"]):
            bench = _Bench(listeners, rounds, plans, tracks, csv_path, familiarity, history_plays, seed, progress)
            report = bench.run()
            transaction.set_rollback(True)
    finally:
        random.setstate(state[0])
        celery_app.conf.task_always_eager = state[1]
    report.seconds = time.perf_counter() - started
    return report


def ensure_catalog(csv_path: Path, tracks: int | None) -> int:
    """Import the CSV (or `tracks` of its tracks, the same ones every time) unless the catalog has tracks already."""
    if Track.objects.exists():
        return 0
    with open(csv_path, newline="", encoding="utf-8-sig") as file:
        header, rows = read_rows(file)
        layout = detect_layout(header)
        rows = list(rows)
    if tracks:
        ids = sorted({raw.get("track_id") or "" for _, raw in rows}, key=lambda i: hashlib.sha1(i.encode()).digest())
        chosen = set(ids[:tracks])
        rows = [(line, raw) for line, raw in rows if raw.get("track_id") in chosen]
    return import_rows(rows, layout).created


def _request(method, *args, **kwargs):
    """A request as in production, where it commits when it ends: its on-commit callbacks run then."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return method(*args, **kwargs)


class _Arm:
    """One listener in one arm: a user, their browser, what they have heard, and the figures of each round."""

    def __init__(self, username: str, learns: bool, rounds: int):
        self.user = get_user_model().objects.create_user(username, password=None)
        self.client = Client()
        self.client.force_login(self.user)
        self.learns = learns
        self.heard: set[int] = set()
        self.edits = 0
        self.tallies = [_Tally() for _ in range(rounds + 1)]
        _request(self.client.get, reverse("mixes:generate"))  # a first visit: the template plans
        self.plans = dict(WorkoutPlan.objects.for_user(self.user).values_list("template_key", "pk"))

    def upload(self, listens: list[Listen]) -> None:
        """Upload these plays as an extended streaming-history file, as on My music."""
        data = json.dumps([listen.record for listen in listens]).encode()
        upload = SimpleUploadedFile("Streaming_History_Audio_2026_0.json", data, content_type="application/json")
        response = _request(self.client.post, reverse("music:upload_history"), {"files": [upload]})
        if response.status_code != 302:
            raise BenchError(f"The history upload answered {response.status_code}.")

    def generate(self, plan: str, familiarity: int, seed: str) -> tuple[SessionMix, float]:
        """A mix through Screen 1, and how long the POST took (ms)."""
        data = {"plan": self.plans[plan], "mix_type": "full", "familiarity": familiarity, "explicit_allowed": "on"}
        random.seed(seed)  # create_mix draws the generator's seed from `random`
        started = time.perf_counter()
        response = _request(self.client.post, reverse("mixes:generate"), data)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 302:
            raise BenchError(f"Screen 1 refused to generate a {plan} mix ({response.status_code}).")
        mix_id = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])
        return SessionMix.objects.get(pk=mix_id), elapsed

    def edit(self, mix: SessionMix, item_id: int, action: str, htmx: bool) -> None:
        """Remove or swap a row on Screen 2, as htmx does or as a plain form post."""
        url = reverse(f"mixes:track_{action}", args=[mix.pk, item_id])
        response = _request(self.client.post, url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
        if response.status_code != (200 if htmx else 302):
            raise BenchError(f"Screen 2's {action} answered {response.status_code}.")


@dataclass
class _Tally:
    skip: list[float] = field(default_factory=list)
    sampled: list[bool] = field(default_factory=list)
    new_skip: list[float] = field(default_factory=list)
    known: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    total: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    fill: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    fill_energy: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    measures: list[dict] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)


def _figures(tallies: list[_Tally]) -> RoundFigures:
    """One round's figures over every listener's tally."""

    def mean(values):
        return float(np.mean(values)) if values else 0.0

    skip = [p for t in tallies for p in t.skip]
    new = [p for t in tallies for p in t.new_skip]
    total = {f: sum(t.total[f] for t in tallies) for f in FAMILIARITIES}
    shares = {f: sum(t.known[f] for t in tallies) / total[f] for f in FAMILIARITIES if total[f]}
    fills = {f: sum(t.fill[f] for t in tallies) / total[f] for f in FAMILIARITIES if total[f]}
    fills_energy = {f: sum(t.fill_energy[f] for t in tallies) / total[f] for f in FAMILIARITIES if total[f]}
    measures = [m for t in tallies for m in t.measures]
    return RoundFigures(
        skip=mean(skip),
        new_skip=mean(new),
        new_tracks=len(new),
        sampled_skip=mean([s for t in tallies for s in t.sampled]),
        known=shares,
        fill=fills,
        fill_energy=fills_energy,
        fit=summarize(measures) if measures else {},
        generation_ms=[ms for t in tallies for ms in t.ms],
    )


@dataclass
class _Listener:
    number: int
    taste: HiddenTaste
    cold: _Arm
    learning: _Arm
    control: _Arm


class _Bench:
    def __init__(self, listeners, rounds, plans, tracks, csv_path, familiarity, history_plays, seed, progress):
        self.listeners, self.rounds, self.plans = listeners, rounds, list(plans)
        self.tracks, self.familiarity, self.history_plays = tracks, familiarity, history_plays
        self.seed, self.progress = seed, progress
        self.csv_path = csv_path or settings.DATASETS_DIR / DATASET
        self.now = timezone.now().replace(microsecond=0)

    def run(self) -> BenchReport:
        if not Track.objects.exists():
            if not self.csv_path.is_file():
                raise BenchError(f"The catalog is empty and there is no dataset at {self.csv_path} to import.")
            self.progress(f"Importing {self.tracks or 'every'} track(s) of {self.csv_path.name} (rolled back after)…")
        elif self.tracks:
            self.progress("The catalog has tracks already: it is used as it is, and the track count is ignored.")
        ensure_catalog(self.csv_path, self.tracks)
        self.ears = Ears(self.csv_path)
        people = [self._listener(n) for n in range(self.listeners)]
        for person in people:
            self._round(person, person.cold, 0)
        self.progress(f"Cold start done: skip rate {_figures([p.cold.tallies[0] for p in people]).skip:.1%}")
        for number in range(self.rounds + 1):
            for person in people:
                for arm in (person.learning, person.control):
                    self._round(person, arm, number)
            self.progress(
                f"Round {number} done: skip rate {_figures([p.learning.tallies[number] for p in people]).skip:.1%}"
            )
        return BenchReport(
            tracks=len(self.ears),
            listeners=[person.taste.describe() for person in people],
            plans=self.plans,
            cold=_figures([p.cold.tallies[0] for p in people]),
            learning=[_figures([p.learning.tallies[r] for p in people]) for r in range(self.rounds + 1)],
            control=[_figures([p.control.tallies[r] for p in people]) for r in range(self.rounds + 1)],
        )

    def _listener(self, number: int) -> _Listener:
        """A taste; two users (learning, control) who start from the same history upload; one with none (cold)."""
        taste = draw_taste(self.ears, (self.seed, number))
        rng = np.random.default_rng([self.seed, number, 999])
        history = initial_history(self.ears, taste, rng, end=self._session(-1), plays=self.history_plays)
        person = _Listener(
            number,
            taste,
            _Arm(f"bench-learning-{number}-cold", learns=False, rounds=0),
            _Arm(f"bench-learning-{number}", learns=True, rounds=self.rounds),
            _Arm(f"bench-learning-{number}-control", learns=False, rounds=self.rounds),
        )
        for arm in (person.learning, person.control):
            if history:
                arm.upload(history)
            arm.heard.update(self.ears.ids[listen.position] for listen in history)
        self.progress(f"Listener {number + 1}: {taste.describe()}")
        return person

    def _session(self, number: int) -> datetime:
        """When round `number`'s listening starts: a couple of days apart, the last one before today."""
        return self.now - timedelta(days=2 * (self.rounds - number) + 1)

    def _round(self, person: _Listener, arm: _Arm, number: int) -> None:
        tally = arm.tallies[number]
        known = known_tracks(arm.user) if arm.learns else None
        listened = []
        for j, plan in enumerate(self.plans):
            # The extra familiarity mixes: one plan per listener and round, each plan in turn.
            extra = known is not None and self.familiarity and j == (person.number + number) % len(self.plans)
            levels = FAMILIARITIES if extra else (LISTENED,)
            for familiarity in levels:
                mix, ms = arm.generate(plan, familiarity, f"{self.seed}/{person.number}/{number}/{plan}/{familiarity}")
                tally.ms.append(ms)
                tally.measures.append(fit_of(mix, self.ears))
                if known is not None:
                    weights = Weights.from_dict(mix.scorer_settings)
                    total = seconds(mix, self.ears)
                    tally.known[familiarity] += seconds(mix, self.ears, only=known)
                    tally.total[familiarity] += total
                    # A mix a few seconds short of its plan: what could be filled is at most the whole mix.
                    fill = could_fill(mix.plan_spec(), known, self.ears, weights)
                    tally.fill[familiarity] += min(fill, total)
                    fill = could_fill(mix.plan_spec(), known, self.ears, weights, energy=True)
                    tally.fill_energy[familiarity] += min(fill, total)
                if familiarity == LISTENED:
                    listened.append((j, mix))
        plays = []
        for j, mix in listened:
            rng = np.random.default_rng([self.seed, person.number, number, j])
            rows = list(MixTrack.objects.filter(mix=mix).order_by("position").values_list("pk", "track_id"))
            positions = np.array([self.ears.position[track_id] for _, track_id in rows], dtype=np.int64)
            p = person.taste.skip[positions]
            skipped = rng.random(len(rows)) < p
            for (_, track_id), chance, skip in zip(rows, p.tolist(), skipped.tolist(), strict=True):
                tally.skip.append(chance)
                tally.sampled.append(skip)
                if track_id not in arm.heard:
                    tally.new_skip.append(chance)
                arm.heard.add(track_id)
            if not arm.learns or number == self.rounds:
                continue
            start = self._session(number) + timedelta(hours=j)
            for position, skip in zip(positions.tolist(), skipped.tolist(), strict=True):
                listen = play(self.ears, position, start, skip, rng)
                plays.append(listen)
                start += timedelta(milliseconds=listen.record["ms_played"])
            self._edit(arm, mix, [row for row, skip in zip(rows, skipped.tolist(), strict=True) if skip], rng)
        if plays:
            arm.upload(plays)

    def _edit(self, arm: _Arm, mix: SessionMix, skipped_rows: list[tuple[int, int]], rng: np.random.Generator):
        """Take a couple of the skipped tracks out of the mix on Screen 2: swap one, remove the next, and so on."""
        chosen = [skipped_rows[i] for i in rng.permutation(len(skipped_rows))[:EDITS_PER_MIX]]
        for n, (item_id, _) in enumerate(chosen):
            arm.edits += 1
            arm.edit(mix, item_id, "swap" if n % 2 == 0 else "remove", htmx=arm.edits % 2 == 1)
