"""Does the scorer learn each listener? Simulated listeners, five rounds of feedback, a control that gives none.

`manage.py bench_learning` and tests/mixes/test_learning.py run this. Everything happens inside one transaction
that is rolled back: the database is left as it was. With no catalog in the database, the TidyTuesday CSV (or a
deterministic subset of it, `tracks`) is imported inside that transaction, as `manage.py import_tracks` does.

The listeners. Each has a hidden taste drawn with its own seed from what the catalog holds, over what a track *is*,
never over its id: liked and disliked genres, liked and disliked artists (among artists with several tracks),
a leaning on three audio features (of acousticness, instrumentalness, speechiness, liveness, loudness, valence,
danceability; never tempo or energy, which the plan sets), and for some, a dislike of songs over five minutes.
A listener hears the track itself: the features come from the dataset's row for the track's Spotify id (so the
listener is the same whatever the catalog stores), else from the catalog's AudioFeatures, read defensively.
Utility u is the sum of those terms; a track is skipped with p = sigmoid(bias − SLOPE·u), the bias calibrated so
that over the catalog the mean p is 40%: without learning about 40% of a mix is skipped. The skip rate reported
is the expected one (mean p over the tracks played), which is far less noisy than counting the sampled skips;
the sampled skips (seeded) are what the app is told.

What a listener does, through the app's own channels only (django.test.Client, as a person's browser would):
- starts with an extended-format streaming-history upload (Streaming_History_Audio_2026_0.json) of 200 plays of
  120 songs over the past months, chosen the way people choose music outside Session Mix: mostly what they like
  (drawn ∝ exp(u)), with full plays and skips as their taste says. So some tracks are known at round 0, and a
  model that learns has learned from these by then (history_plays=0, the command's --history-plays 0, leaves
  it out: round 0 is then a cold start);
- each round, for each plan, opens Screen 1 and generates a mix at "Familiar or new" 50 (a Screen 1 POST; the
  generator's seed is made deterministic by seeding `random` just before, so both arms get the same seeds);
- listens: each track is skipped with its p;
- then, in the learning arm only: on Screen 2 removes or swaps a couple of the skipped tracks (row-action POSTs,
  alternately as htmx and as plain requests), and uploads that round's plays (full plays for their whole
  duration, skips after 3–30 s, `skipped` and `reason_end` set) as a new history file.
The control arm is the same listeners, the same initial history and the same seeds, with no feedback after the
initial history; its round 0 is the learning arm's round 0. The cold start is round 0's mixes (same seeds) for the
same listener before any evidence at all (a third user, with no history): what the skip targets compare with.

Every request runs as it does in production, where each request commits: its on-commit callbacks (a rebuild
enqueued on commit, say) run when it ends, and Celery tasks run eagerly, so follow-up work happens inline.

Measured per round (the learning arm unless marked control): the expected skip rate; the same on tracks the
listener had never heard before (not in their history, not in a mix they listened to), which only a model that
generalises can lower; the share of known tracks at familiarity 0, 50 and 100 (50 from the listened mixes; 0 and
100 from extra mixes, generated and not listened, of one plan per listener and round, the plans in turn, which
keeps the run to a few minutes) next to what known tracks could fill (see the command's docstring; also shown with
the energy tolerance applied as well as the tempo one); the plan-fit measures of mixes/engine/metrics.py over every
mix of the round as generated (before any edit); and the median time of the Screen 1 POST that generates a mix
(form, generator, rows written; not the Screen 2 page).

The package: listeners.py (the simulated listeners: Ears, HiddenTaste, their history and plays) ← measures.py
(what is measured of a stored mix) ← run.py (the arms and the loop), which fills report.py's BenchReport; check()
there judges it. Imports go that way only.
"""

from mixes.learning_bench.listeners import HISTORY_PLAYS, TARGET_SKIP, Ears, HiddenTaste, draw_taste
from mixes.learning_bench.report import BenchReport, Check, RoundFigures, check
from mixes.learning_bench.run import DATASET, FAMILIARITIES, LISTENED, PLANS, BenchError, ensure_catalog, run

__all__ = [
    "run",
    "check",
    "ensure_catalog",
    "draw_taste",
    "BenchReport",
    "RoundFigures",
    "Check",
    "BenchError",
    "Ears",
    "HiddenTaste",
    "DATASET",
    "PLANS",
    "FAMILIARITIES",
    "LISTENED",
    "HISTORY_PLAYS",
    "TARGET_SKIP",
]
