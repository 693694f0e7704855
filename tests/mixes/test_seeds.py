"""Seeds say what happened: Screen 2's seed notes and "place the closest one anyway", with and without htmx."""

import pytest
from django.urls import reverse

from mixes import services
from mixes.models import Feedback, SessionMix
from tests.factories import ArtistFactory, TrackFactory, WorkoutPlanFactory

RUN_160 = [("Run", "steady", 1200, (160, 160), (0.7, 0.7))]


@pytest.fixture
def run_plan(user):
    return WorkoutPlanFactory(owner=user, phases=RUN_160)


@pytest.fixture
def daft_punk(db):
    artist = ArtistFactory(name="Daft Punk")
    return [TrackFactory(artist=artist, features__tempo=tempo) for tempo in (116.0, 119.0, 121.0, 123.0)]


@pytest.fixture
def slow_seed_mix(user, run_plan, catalog, daft_punk):
    return services.create_mix(user, run_plan, seed_artists=["Daft Punk"], seed=3)


def seed_note(mix, name):
    return next(n for n in SessionMix.objects.get(pk=mix.pk).notes if isinstance(n, dict) and n["seed"] == name)


def place_url(mix):
    return reverse("mixes:seed_place", args=[mix.pk])


def test_a_seed_that_fits_shows_how_many_tracks_made_it(user_client, user, run_plan, catalog):
    """A seed artist with tracks at the run's tempo: Screen 2 says how many are in the mix."""
    artist = ArtistFactory(name="Fits Well")
    for _ in range(3):
        TrackFactory(artist=artist, features__tempo=160.0)
    mix = services.create_mix(user, run_plan, seed_artists=["Fits Well"], seed=3)
    count = mix.tracks.filter(track__artist_names="Fits Well").count()
    response = user_client.get(mix.get_absolute_url())
    assert count > 0
    assert f"Fits Well: {count} track{'s' if count != 1 else ''} in this mix." in response.content.decode()


def test_a_seed_that_cannot_fit_says_why(user_client, slow_seed_mix):
    """Daft Punk at 116–123 BPM seeded for a 160 BPM run: the note says no track is near 160, the closest 123."""
    response = user_client.get(slow_seed_mix.get_absolute_url())
    assert "Daft Punk: no track near 160 BPM; closest 123 BPM." in response.content.decode()


def test_a_seed_that_cannot_fit_offers_its_closest_track(user_client, slow_seed_mix, daft_punk):
    """The note offers a real form placing the 123 BPM track anyway."""
    html = user_client.get(slow_seed_mix.get_absolute_url()).content.decode()
    assert f'action="{place_url(slow_seed_mix)}"' in html
    assert f'name="track" value="{daft_punk[3].pk}"' in html
    assert f"Place “{daft_punk[3].title}” anyway" in html


def test_placing_without_javascript_redirects_to_the_placed_row(user_client, slow_seed_mix, daft_punk):
    """A plain POST puts the track in the mix and redirects to its row."""
    response = user_client.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    item = slow_seed_mix.tracks.get(track=daft_punk[3])
    assert response.status_code == 302 and response.url == f"{slow_seed_mix.get_absolute_url()}#t{item.pk}"


def test_placing_with_htmx_answers_the_mix_body(user_client, htmx, slow_seed_mix, daft_punk):
    """An htmx POST answers the mix body, with the track in it and the note saying it was placed."""
    response = htmx.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="mix-body">')
    assert f"“{daft_punk[3].title}” (123 BPM) placed by you" in html


def test_placing_replaces_a_track_and_keeps_the_count(user_client, slow_seed_mix, daft_punk):
    """The placed track takes one slot: the mix keeps its number of tracks."""
    before = slow_seed_mix.tracks.count()
    user_client.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    assert slow_seed_mix.tracks.count() == before


def test_placing_records_nothing_against_the_replaced_track(user_client, slow_seed_mix, daft_punk):
    """No Feedback is written for the track that made way."""
    user_client.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    assert not Feedback.objects.filter(mix=slow_seed_mix).exists()


def test_placing_never_replaces_a_locked_track(user_client, slow_seed_mix, daft_punk):
    """With all but one track locked, the placed track takes the unlocked one's slot."""
    items = list(slow_seed_mix.tracks.all())
    slow_seed_mix.tracks.exclude(pk=items[-1].pk).update(locked=True)
    user_client.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    assert slow_seed_mix.tracks.get(pk=items[-1].pk).track_id == daft_punk[3].pk


def test_the_note_counts_the_placed_track(user_client, slow_seed_mix, daft_punk):
    """After placing, the seed's stored note counts one track, placed."""
    user_client.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    note = seed_note(slow_seed_mix, "Daft Punk")
    assert note["count"] == 1 and note["placed"] is True


def test_placing_when_every_track_is_locked_says_so_next_to_the_offer(user_client, slow_seed_mix, daft_punk):
    """Every track locked: a 422 page with the reason inside the seed's note, no 500."""
    slow_seed_mix.tracks.update(locked=True)
    response = user_client.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    html = response.content.decode()
    assert response.status_code == 422
    assert 'role="alert">Every track is locked; unlock one to make room for it.</p>' in html


def test_placing_a_track_no_seed_offers_is_refused(user_client, slow_seed_mix, catalog):
    """Only the tracks the mix's seed notes offer can be placed this way."""
    response = user_client.post(place_url(slow_seed_mix), {"track": catalog[0].pk})
    assert response.status_code == 422
    assert "That track is not one this mix&#x27;s seeds offer." in response.content.decode()


def test_placing_without_a_track_is_refused_with_a_message(user_client, htmx, slow_seed_mix):
    """A POST without a track answers 422 with a message, not a 500."""
    response = htmx.post(place_url(slow_seed_mix), {"track": "abc"})
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()


def test_another_users_mix_is_404(client, other_user, slow_seed_mix, daft_punk):
    """Someone else cannot place a track in this mix."""
    client.force_login(other_user)
    response = client.post(place_url(slow_seed_mix), {"track": daft_punk[3].pk})
    assert response.status_code == 404


def test_old_string_notes_still_render(user_client, slow_seed_mix):
    """A note stored as a sentence (mixes made before seed notes) still shows as it was."""
    SessionMix.objects.filter(pk=slow_seed_mix.pk).update(notes=["The catalog had too little music for Run."])
    html = user_client.get(slow_seed_mix.get_absolute_url()).content.decode()
    assert '<p class="note warning" role="status">The catalog had too little music for Run.</p>' in html
