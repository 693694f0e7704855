import csv
from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from mixes.engine.plan import TEMPLATES
from mixes.models import Phase, ScorerConfig, WorkoutPlan
from music import demo
from music.catalog_csv import DEMO
from music.models import (
    Artist,
    AudioFeatures,
    MusicPreferences,
    Play,
    Source,
    Track,
    TrackAffinity,
    TrackArtist,
)
from tests.factories import ArtistFactory, TrackFactory, WorkoutPlanFactory

COUNTED = [
    Track,
    Artist,
    TrackArtist,
    AudioFeatures,
    Play,
    TrackAffinity,
    MusicPreferences,
    WorkoutPlan,
    Phase,
    ScorerConfig,
    EmailAddress,
    get_user_model(),
]


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_user(db):
    load_demo()
    return get_user_model().objects.get(username=demo.USERNAME)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_load_demo_twice_keeps_the_same_rows(db):
    """A second load_demo adds, duplicates and changes nothing."""
    load_demo()
    first = counts()

    out = load_demo()

    assert counts() == first
    assert "0 created, 0 updated" in out


def test_demo_catalog_has_300_songs_with_demo_features(demo_user):
    """At least 300 demo tracks, each with tempo, energy, valence and danceability from the demo source."""
    features = AudioFeatures.objects.all()

    assert features.count() >= 300
    assert not features.filter(tempo__isnull=True).exists()
    for field in ("energy", "valence", "danceability"):
        assert not features.filter(**{f"{field}__isnull": True}).exists()
    assert all(f.sources == {name: Source.DEMO for name in AudioFeatures.FIELDS} for f in features)
    assert not Track.objects.filter(spotify_id__isnull=False).exists()


def test_demo_tracks_are_credited_to_their_artists(demo_user):
    """Every demo track has its artists as ordered credits, the main artist first."""
    track = Track.objects.get(title="Something Just Like This")

    credits = TrackArtist.objects.filter(track=track).order_by("position")
    assert [c.artist.name for c in credits] == ["The Chainsmokers", "Coldplay"]
    assert not Track.objects.filter(trackartist__isnull=True).exists()


def test_demo_user_can_log_in(client, demo_user):
    """The documented demo credentials work, and the email is verified."""
    assert client.login(username="demo", password="sessionmix-demo")
    assert EmailAddress.objects.get(user=demo_user).verified


def test_demo_user_has_template_plans_with_easy_run_active(demo_user):
    """The demo user has one plan per template and only the easy run is active."""
    plans = WorkoutPlan.objects.for_user(demo_user)

    assert sorted(plans.values_list("template_key", flat=True)) == sorted(TEMPLATES)
    assert list(plans.filter(is_active=True).values_list("template_key", flat=True)) == ["easy-run"]


def test_demo_user_has_preferences_and_scorer(demo_user):
    """The demo user has seed genres and a familiarity of 0.6, and a scorer config is active."""
    prefs = MusicPreferences.objects.get(user=demo_user)

    assert prefs.seed_genres and prefs.familiarity == 0.6
    assert ScorerConfig.objects.filter(is_active=True).count() == 1


def test_demo_history_has_favourites_and_skips_in_the_last_60_days(demo_user):
    """About 60 songs were played over the last 60 days, some many times, a few skipped; affinities follow."""
    plays = Play.objects.filter(user=demo_user)
    affinities = TrackAffinity.objects.for_user(demo_user)

    assert plays.values("track").distinct().count() == demo.HISTORY_SONGS
    assert not plays.filter(played_at__lt=timezone.now() - timedelta(days=60)).exists()
    assert affinities.count() == demo.HISTORY_SONGS
    assert max(a.play_count for a in affinities) >= 8
    assert affinities.filter(skip_count__gt=0).exists()


def test_demo_catalog_reuses_a_song_already_in_the_catalog(db):
    """A demo song imported earlier is not added twice, and its catalog features are kept."""
    weeknd = ArtistFactory(name="The Weeknd")
    TrackFactory(title="Blinding Lights", artist=weeknd, features__tempo=171.0)

    demo.load_demo_catalog()

    track = Track.objects.get(title="Blinding Lights")
    assert track.features.sources["tempo"] == Source.CATALOG


def test_ensure_template_plans_gives_a_new_user_every_template(user):
    """A new user gets a copy of every template, the easy run active."""
    created = demo.ensure_template_plans(user)

    assert len(created) == len(TEMPLATES)
    assert WorkoutPlan.objects.for_user(user).get(is_active=True).template_key == "easy-run"


def test_ensure_template_plans_adds_only_the_missing_ones(user):
    """Templates the user already has are not copied again."""
    demo.ensure_template_plans(user)
    WorkoutPlan.objects.for_user(user).get(template_key="yoga").delete()

    created = demo.ensure_template_plans(user)

    assert [plan.template_key for plan in created] == ["yoga"]
    assert WorkoutPlan.objects.for_user(user).count() == len(TEMPLATES)


def test_ensure_template_plans_keeps_the_users_active_plan(user):
    """A user whose own plan is active keeps it active."""
    own = WorkoutPlanFactory(owner=user, is_active=True)

    demo.ensure_template_plans(user)

    assert WorkoutPlan.objects.for_user(user).get(is_active=True) == own


def test_demo_catalog_can_fill_an_hour_long_run_with_varied_artists():
    """Songs at running cadence (160–180 BPM, or half time 80–90) last over an hour, by many artists."""
    with open(demo.CATALOG_PATH, newline="", encoding="utf-8") as file:
        rows = [DEMO.parse(raw) for raw in csv.DictReader(file)]
    running = [row for row in rows if 160 <= row.features["tempo"] <= 180 or 80 <= row.features["tempo"] <= 90]

    assert sum(row.duration_ms for row in running) >= 2 * 3600 * 1000
    assert len({row.artists[0] for row in running}) >= 40
