"""The embedded demo's music: a catalog of well-known songs, a demo user with some listening history.

mixes.demo adds the plans and the scorer, and `load_demo` runs both.

Everything here is safe to run again: a second run changes nothing (`make demo` runs it every time).
"""

from __future__ import annotations

import csv
import random
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from music.catalog_csv import DEMO
from music.hooks import history_changed
from music.importers import ImportReport, import_csv
from music.models import MusicPreferences, Play, Source, Track, TrackAffinity

CATALOG_PATH = Path(__file__).with_name("catalog.csv")
USERNAME = "demo"
PASSWORD = "sessionmix-demo"
EMAIL = "demo@example.com"
SEED_GENRES = ["pop", "edm"]
HISTORY_SOURCE = "demo"
HISTORY_SONGS = 60
HISTORY_DAYS = 60


def load_demo_catalog() -> ImportReport:
    """Load the demo songs with our own tempo and energy estimates (source "demo")."""
    report = import_csv(CATALOG_PATH, layouts=(DEMO,), source=Source.DEMO)
    if report.skipped or report.repeated:
        raise ValueError(f"The demo catalog has bad or repeated rows: {report.skipped} ({report.repeated} repeated)")
    return report


def demo_tracks() -> list[Track]:
    """The catalog's track for each demo song, ordered by song.

    A song imported before the demo was loaded is that track, not a second copy.
    """
    with open(CATALOG_PATH, newline="", encoding="utf-8") as file:
        keys = {DEMO.parse(raw).song_key for raw in csv.DictReader(file)}
    tracks: dict[str, Track] = {}
    for track in Track.objects.filter(song_key__in=keys).order_by(F("spotify_id").asc(nulls_first=True), "pk"):
        tracks.setdefault(track.song_key, track)
    return [tracks[key] for key in sorted(tracks)]


def create_demo_user():
    """The demo account (created if missing), with its documented password and a verified primary email."""
    user, created = get_user_model().objects.get_or_create(username=USERNAME, defaults={"email": EMAIL})
    if created or not user.check_password(PASSWORD):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    if apps.is_installed("allauth.account"):
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=user.email or EMAIL, defaults={"verified": True, "primary": True}
        )
    return user


def create_demo_history(user, *, seed: int = 42) -> int:
    """A couple of months of plays over some demo songs, once: favourites, one-offs and a few skips;
    and the demo user's preferences. Returns the number of plays created (0 when the history is already there).
    """
    if not Play.objects.filter(user=user, source=HISTORY_SOURCE).exists():
        plays = _history(user, demo_tracks(), random.Random(seed), timezone.now().replace(microsecond=0))
        Play.objects.bulk_create(plays)
    else:
        plays = []
    TrackAffinity.rebuild_play_counts(user)
    MusicPreferences.objects.get_or_create(user=user, defaults={"seed_genres": SEED_GENRES, "familiarity": 0.6})
    history_changed.send(sender=create_demo_history, user=user)  # the demo user's taste model is learned from it
    return len(plays)


def _history(user, tracks: list[Track], rng: random.Random, now) -> list[Play]:
    chosen = rng.sample(tracks, min(HISTORY_SONGS, len(tracks)))
    plays = []
    for index, track in enumerate(chosen):
        favourite = index < 12
        disliked = 12 <= index < 18  # mostly skipped: the scorer should learn to avoid these
        times: set = set()
        for _ in range(rng.randint(8, 20) if favourite else rng.randint(1, 4)):
            times.add(now - timedelta(seconds=rng.randrange(HISTORY_DAYS * 24 * 3600)))
        for played_at in sorted(times):
            skipped = disliked and rng.random() < 0.8
            ms_played = rng.randint(5_000, 40_000) if skipped else track.duration_ms
            plays.append(
                Play(
                    user=user,
                    track=track,
                    played_at=played_at,
                    ms_played=ms_played,
                    skipped=skipped,
                    source=HISTORY_SOURCE,
                )
            )
    return plays
