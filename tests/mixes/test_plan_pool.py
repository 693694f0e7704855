"""The pool Generate reads: the tracks near the plan's targets and everything of the person's, at the same cost for
any catalog, and mixes from it as good as from the whole catalog."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mixes import pools, services
from mixes.engine.plan import TEMPLATES, template
from mixes.engine.scorer import Preferences, Weights
from mixes.models import Feedback, WorkoutPlan
from mixes.scale_bench.quality import compare, listener
from music.catalog_csv import TrackRow
from music.importers import save_tracks
from music.models import MasterList, MasterListEntry, Track, TrackAffinity
from tests.factories import AudioFeaturesFactory, TrackFactory

pytestmark = pytest.mark.django_db
GENRES = ("pop", "rock", "rap", "edm", "latin", "r&b")
SPIN = template("spin")


def synthetic_catalog(size: int, seed: int = 0, start: int = 0) -> None:
    """`size` tracks spread over tempo, energy, mood, genre, decade and length, by 300 artists, as an import."""
    rng = random.Random(seed)
    rows = []
    for n in range(start, start + size):
        features = {"tempo": rng.uniform(60, 200), "energy": rng.uniform(0.05, 1), "valence": rng.random()}
        features |= {"danceability": rng.random(), "acousticness": rng.random(), "loudness": rng.uniform(-20, -2)}
        rows.append(
            TrackRow(
                spotify_id=f"syn{n:012d}",
                title=f"Song {n}",
                artists=[f"Artist {rng.randrange(300)}"],
                duration_ms=rng.randrange(120_000, 330_000),
                genre=GENRES[rng.randrange(len(GENRES))],
                release_year=rng.randrange(1970, 2020),
                features=features,
            )
        )
    for start_at in range(0, len(rows), 5000):
        save_tracks(rows[start_at : start_at + 5000], "catalog")


def far_track(**kwargs) -> Track:
    """A track nowhere near the spin plan's targets (very low energy, 60 BPM)."""
    return TrackFactory(features__tempo=61, features__energy=0.02, **kwargs)


def keys(user, **kwargs) -> set[str]:
    return set(pools.plan_pool(user, SPIN, Preferences(**kwargs), Weights(), per_section=20).keys)


@pytest.fixture
def catalog_of_2000(db):
    synthetic_catalog(2000)


def test_a_known_track_is_in_the_pool_however_far(user, catalog_of_2000):
    """Everything the person knows is read, near the plan or not."""
    track = far_track()
    TrackAffinity.objects.create(user=user, track=track, play_count=3)
    assert str(track.pk) in keys(user)


def test_a_track_with_feedback_is_in_the_pool(user, catalog_of_2000):
    """A track the person took out of a mix is read, so that it counts against itself."""
    track = far_track()
    Feedback.objects.create(user=user, track=track, kind=Feedback.Kind.REMOVED)
    assert str(track.pk) in keys(user)


def test_a_seed_artists_track_is_in_the_pool(user, catalog_of_2000):
    """The seed artists' tracks are read wherever they sit."""
    track = far_track()
    assert str(track.pk) in keys(user, seed_artists=frozenset({track.artists.get().name}))


def test_a_listed_track_of_the_plans_kinds_is_in_the_pool(user, catalog_of_2000):
    """A Master List of a kind the plan has brings its tracks; one of a kind it lacks does not."""
    listed, unlisted = far_track(), far_track()
    MasterListEntry.objects.create(master_list=MasterList.objects.create(name="Peak", phase_kind="peak"), track=listed)
    MasterListEntry.objects.create(
        master_list=MasterList.objects.create(name="Intervals", phase_kind="interval"), track=unlisted
    )
    assert str(listed.pk) in keys(user) and str(unlisted.pk) not in keys(user)


def test_a_kept_track_is_in_the_pool(user, catalog_of_2000):
    """A regeneration's locked tracks are read, wherever they sit."""
    track = far_track()
    pool = pools.plan_pool(user, SPIN, Preferences(), Weights(), keep=[track.pk], per_section=20)
    assert pool.has(str(track.pk))


def test_the_pool_leaves_the_rest_of_the_catalog_out(user, catalog_of_2000):
    """A far track nobody knows is not read."""
    assert str(far_track().pk) not in keys(user)


def test_a_track_reads_the_same_through_the_search_as_from_the_catalog(catalog_of_2000):
    """Every track of the pool, read through the search's index, is as the whole catalog's pool has it: features,
    length, genre, credits, what only the taste model reads, and the person's history."""
    person = listener("reader", songs=40, plays=120)
    narrowed = pools.plan_pool(person, SPIN, pools.preferences_for(person), Weights(), per_section=50)
    whole = pools.load_pool(person)
    theirs = {str(pk) for pk in TrackAffinity.objects.for_user(person).values_list("track_id", flat=True)}
    assert len(set(narrowed.keys) - theirs) > 100  # most came through the search
    for i, key in enumerate(narrowed.keys):
        assert narrowed.track_at(i) == whole.track_at(whole.index_of(key))


def found_index(pool, user) -> int:
    """The index of a track in the pool that came through the search (not one of the person's own)."""
    theirs = {str(pk) for pk in TrackAffinity.objects.for_user(user).values_list("track_id", flat=True)}
    return next(i for i, key in enumerate(pool.keys) if key not in theirs)


def test_a_found_tracks_title_is_read_when_asked_for(user, catalog_of_2000):
    """The search hands back no titles (choosing needs none): a found track's title is read once, when asked for."""
    pool = pools.plan_pool(user, SPIN, Preferences(), Weights(), per_section=20)
    i = found_index(pool, user)
    with CaptureQueriesContext(connection) as queries:
        title = pool.titles[i]
        assert pool.titles[i] == title
    assert title == Track.objects.get(pk=pool.keys[i]).title and len(queries) == 1


def test_a_found_track_without_credits_or_song_key_stands_in_with_its_names(user):
    """A track made outside the catalog's writers, with no credits and no song key, is its artist names' and its
    title's song in the pool, as when read from the catalog."""
    track = Track.objects.create(title="Lone Song", artist_names="Nobody Known", song_key="", duration_ms=200_000)
    AudioFeaturesFactory(track=track)  # the only track: the search widens until it finds it
    narrowed = pools.plan_pool(user, SPIN, Preferences(), Weights(), per_section=20)
    whole = pools.load_pool(user)
    i, j = narrowed.index_of(str(track.pk)), whole.index_of(str(track.pk))
    assert narrowed.artists(i) == whole.artists(j) == ("Nobody Known",)
    assert narrowed.track_at(i) == whole.track_at(j)


def test_a_regenerated_mix_keeps_a_locked_track_from_far_off(user, catalog_of_2000):
    """Regenerating reads the locked tracks, however far from the targets, so they stay."""
    plan = WorkoutPlan.create_from_spec(user, SPIN)
    mix = services.create_mix(user, plan, seed=1)
    row = mix.tracks.order_by("position").first()
    row.track, row.locked = far_track(), True
    row.save()
    services.regenerate(mix, seed_artists=[], seed_genres=[])
    assert mix.tracks.filter(pk=row.pk, track=row.track, locked=True).exists()


def generate_queries(user, plan) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.create_mix(user, plan, seed=3)
    return len(queries)


def test_generate_costs_the_same_queries_for_1000_and_20000_tracks(user):
    """Generate's queries do not grow with the catalog: the same number at 1,000 tracks and at 20,000."""
    plan = WorkoutPlan.create_from_spec(user, SPIN)
    synthetic_catalog(1000)
    services.create_mix(user, plan, seed=2)  # a first mix makes the person's rows (preferences, scorer settings)
    small = generate_queries(user, plan)
    synthetic_catalog(19_000, seed=1, start=1000)
    assert Track.objects.count() == 20_000
    assert generate_queries(user, plan) == small


def test_mixes_from_the_pool_are_as_good_as_from_the_whole_catalog(db):
    """A small version of bench_scale's comparison: on 6,000 tracks, every template plan with four seeds, the plan
    fit, the taste and the known share of mixes from the pool Generate reads are within 5% of the whole catalog's
    (or of the measure's own noise), with no duplicate or spacing fault more."""
    synthetic_catalog(6000, seed=2)
    person = listener("quality-listener", seed=3, songs=120, plays=400)
    plans = [template(key) for key in TEMPLATES]
    comparison = compare(person, plans, range(4), pools.preferences_for(person), Weights())
    assert comparison.missed == [], (comparison.full, comparison.narrowed)
