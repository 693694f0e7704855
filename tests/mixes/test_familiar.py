"""The "familiar or new" setting through the app: the share of known songs in a mix, and what Screen 2 says of it."""

import pytest

from mixes import services
from mixes.models import MixTrack
from music.features import fill_features
from music.models import TrackAffinity
from music.tasks import sync_history_task
from tests.factories import WorkoutPlanFactory

pytestmark = pytest.mark.django_db


def known_ids(user) -> set[int]:
    return set(TrackAffinity.objects.for_user(user).known().values_list("track_id", flat=True))


def share_known(mix, user) -> float:
    known = known_ids(user)
    tracks = list(mix.tracks.values_list("track_id", flat=True))
    return sum(track in known for track in tracks) / len(tracks)


@pytest.fixture
def half_known(user, catalog):
    """The person has played every other catalog track to the end."""
    TrackAffinity.objects.bulk_create(TrackAffinity(user=user, track=t, play_count=4) for t in catalog[::2])
    return catalog


def test_screen_2_says_how_many_are_songs_you_know(user, user_client, plan, half_known):
    """The summary line counts the mix's known songs: "8 of 11 are songs you know"."""
    mix = services.create_mix(user, plan, familiarity=0.5, seed=3)
    known = sum(item.track_id in known_ids(user) for item in mix.tracks.all())
    html = user_client.get(mix.get_absolute_url()).content.decode()
    assert f"{known} of {mix.tracks.count()} are songs you know" in html


def test_familiar_zero_leaves_out_every_known_song(user, plan, half_known):
    """At 0 no song the person knows is in the mix."""
    mix = services.create_mix(user, plan, familiarity=0.0, seed=3)
    assert share_known(mix, user) == 0


def test_familiar_one_draws_mostly_on_known_songs(user, plan, half_known):
    """At 100 the slots known songs can fill get one; in this small catalog a few closing slots, which must end
    their section on time, cannot."""
    mix = services.create_mix(user, plan, familiarity=1.0, seed=3)
    assert share_known(mix, user) >= 0.6


def test_generate_on_screen_1_takes_the_setting(user, user_client, plan, half_known):
    """Screen 1's "Familiar or new" (0–100) reaches the generator."""
    data = {"plan": plan.pk, "mix_type": "full", "familiarity": 0, "explicit_allowed": "on"}
    response = user_client.post("/", data)
    mix = user.mixes.get()
    assert response.status_code == 302
    assert share_known(mix, user) == 0


def test_an_exploration_row_says_something_new(user, user_client, mix):
    """A row the generator gave to exploration is marked "something new" on Screen 2."""
    MixTrack.objects.filter(pk=mix.tracks.first().pk).update(explore=True)
    html = user_client.get(mix.get_absolute_url()).content.decode()
    assert html.count(">something new</span>") == 1


def test_a_new_spotify_users_first_familiar_mix_holds_their_top_and_saved_tracks(
    connected_user, spotify_sandbox, catalog, django_capture_on_commit_callbacks
):
    """Signed in with Spotify a moment ago: at the familiar end the first mix draws on their top and saved tracks."""
    with django_capture_on_commit_callbacks(execute=True):
        sync_history_task.delay(connected_user.pk)
    fill_features(known_ids(connected_user))  # a worker's full fill: the inline one is capped
    plan = WorkoutPlanFactory(owner=connected_user)
    mix = services.create_mix(connected_user, plan, familiarity=1.0, seed=3)
    library = set(
        TrackAffinity.objects.for_user(connected_user)
        .filter(saved=True)
        .union(TrackAffinity.objects.for_user(connected_user).filter(top_rank__isnull=False))
        .values_list("track_id", flat=True)
    )
    in_mix = list(mix.tracks.values_list("track_id", flat=True))
    assert sum(track in library for track in in_mix) >= 0.6 * len(in_mix)
