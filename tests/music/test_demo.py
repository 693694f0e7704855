import csv
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from music import demo
from music.catalog_csv import DEMO
from music.models import AudioFeatures, Play, Source, Track, TrackAffinity, TrackArtist
from tests.factories import ArtistFactory, TrackFactory


@pytest.fixture
def demo_user(db):
    """music's part of the demo: the catalog, the demo user and their history."""
    demo.load_demo_catalog()
    user = demo.create_demo_user()
    demo.create_demo_history(user)
    return get_user_model().objects.get(username=demo.USERNAME)


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


def test_demo_catalog_can_fill_an_hour_long_run_with_varied_artists():
    """Songs at running cadence (160–180 BPM, or half time 80–90) last over an hour, by many artists."""
    with open(demo.CATALOG_PATH, newline="", encoding="utf-8") as file:
        rows = [DEMO.parse(raw) for raw in csv.DictReader(file)]
    running = [row for row in rows if 160 <= row.features["tempo"] <= 180 or 80 <= row.features["tempo"] <= 90]

    assert sum(row.duration_ms for row in running) >= 2 * 3600 * 1000
    assert len({row.artists[0] for row in running}) >= 40
