import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mixes.models import Feedback, MixTrack, ScorerConfig, SessionMix, TasteProfile, WorkoutPlan
from music.admin import AudioFeaturesForm
from music.models import (
    Artist,
    MasterList,
    MasterListEntry,
    MusicPreferences,
    Play,
    ProviderState,
    Source,
    SpotifySync,
    Track,
    TrackAffinity,
)
from tests.factories import SessionMixFactory, TrackFactory, UserFactory, WorkoutPlanFactory

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"music", "mixes"}),
    key=lambda model: model._meta.label,
)


def make_objects(n: int = 1) -> dict[type, object]:
    """n objects of every model the music and mixes admins register; returns the last of each."""
    made = {}
    for i in range(n):
        user = UserFactory()
        track = TrackFactory(genre="rock", features__tempo=170.0 + i)
        master_list = MasterList.objects.create(name=f"Run {i}", phase_kind="steady", owner=user if i % 2 else None)
        MasterListEntry.objects.create(master_list=master_list, track=track, score=1.0)
        prefs = MusicPreferences.objects.create(user=user, seed_genres=["rock"])
        prefs.seed_artists.add(track.artists.first())
        play = Play.objects.create(user=user, track=track, played_at=timezone.now(), skipped=False)
        TrackAffinity.rebuild_play_counts(user)
        mix = SessionMixFactory(owner=user, plan=WorkoutPlanFactory(owner=user))
        MixTrack.objects.create(mix=mix, track=track, section=0, position=0, why="fits")
        made |= {
            Track: track,
            Artist: track.artists.first(),
            MasterList: master_list,
            MusicPreferences: prefs,
            Play: play,
            TrackAffinity: TrackAffinity.objects.get(user=user),
            WorkoutPlan: mix.plan,
            SessionMix: mix,
            ScorerConfig: ScorerConfig.objects.create(name=f"Config {track.pk}"),
            Feedback: Feedback.objects.create(user=user, track=track, mix=mix, kind=Feedback.Kind.LIKED),
            SpotifySync: SpotifySync.objects.create(user=user, status="done"),
            TasteProfile: TasteProfile.objects.create(user=user),
            ProviderState: ProviderState.objects.create(name=f"provider-{track.pk}", closed_at=timezone.now()),
        }
    return made


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_registered_model_is_covered(db):
    """The objects made for these tests cover every model registered in the music and mixes admins."""
    assert set(make_objects()) == set(REGISTERED)
    assert {model._meta.model_name for model in REGISTERED} == {
        "artist",
        "track",
        "masterlist",
        "musicpreferences",
        "play",
        "trackaffinity",
        "workoutplan",
        "sessionmix",
        "scorerconfig",
        "feedback",
        "spotifysync",
        "providerstate",
        "tasteprofile",
    }


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_and_change_page_load(admin_client, model):
    """A superuser sees the list and the edit page of each registered model."""
    obj = make_objects()[model]
    opts = model._meta

    assert admin_client.get(changelist(model)).status_code == 200
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    """A list page costs as many queries for six rows as for two."""
    make_objects(2)
    admin_client.get(changelist(model))  # warm up: sessions, content types
    with CaptureQueriesContext(connection) as few:
        admin_client.get(changelist(model))
    make_objects(4)
    with CaptureQueriesContext(connection) as more:
        admin_client.get(changelist(model))

    assert len(more) == len(few)


def test_track_tempo_band_filter(admin_client):
    """The tempo band filter lists only the tracks in that band."""
    slow = TrackFactory(features__tempo=85.0)
    fast = TrackFactory(features__tempo=168.0)

    response = admin_client.get(changelist(Track), {"tempo_band": "160-180"})

    shown = set(response.context["cl"].result_list)
    assert fast in shown and slow not in shown


def test_master_list_filters_by_tempo_band_and_genre_of_its_tracks(admin_client):
    """Master lists can be narrowed to those holding tracks of a tempo band and of a genre."""
    runs = MasterList.objects.create(name="Runs", phase_kind="steady")
    runs.entries.create(track=TrackFactory(genre="edm", features__tempo=174.0))
    yoga = MasterList.objects.create(name="Yoga", phase_kind="cool_down")
    yoga.entries.create(track=TrackFactory(genre="ambient", features__tempo=70.0))

    by_tempo = admin_client.get(changelist(MasterList), {"tempo_band": "160-180"})
    by_genre = admin_client.get(changelist(MasterList), {"genre": "ambient"})

    assert list(by_tempo.context["cl"].result_list) == [runs]
    assert list(by_genre.context["cl"].result_list) == [yoga]


def test_master_list_filters_by_owner_scope(admin_client, user):
    """The owner filter separates staff's global lists from users' own."""
    MasterList.objects.create(name="Global", phase_kind="peak")
    own = MasterList.objects.create(name="Mine", phase_kind="peak", owner=user)

    response = admin_client.get(changelist(MasterList), {"scope": "user"})

    assert list(response.context["cl"].result_list) == [own]


def test_features_edited_in_admin_become_a_person_s_correction(db):
    """A tempo typed in the admin is marked as the user source, so imports leave it alone."""
    features = TrackFactory(features__tempo=86.0).features
    data = {"tempo": "172", "energy": features.energy, "valence": features.valence, "danceability": 0.6}

    form = AudioFeaturesForm(data, instance=features)
    assert form.is_valid(), form.errors
    form.save()

    features.refresh_from_db()
    assert (features.tempo, features.sources["tempo"]) == (172, Source.USER)
    assert features.sources["energy"] == Source.CATALOG


def test_extras_edited_in_admin_are_checked_and_become_a_person_s_correction(db):
    """Loudness and key are on the form: in range they are the user's; a key of 12 is refused."""
    features = TrackFactory().features
    data = {"tempo": features.tempo, "energy": features.energy, "valence": features.valence, "loudness": "-7.5"}

    refused = AudioFeaturesForm({**data, "key": "12"}, instance=features)
    form = AudioFeaturesForm({**data, "key": "4", "mode": "1"}, instance=features)
    assert not refused.is_valid() and "key" in refused.errors
    assert form.is_valid(), form.errors
    form.save()

    features.refresh_from_db()
    assert (features.loudness, features.key, features.mode) == (-7.5, 4, 1)
    assert {features.sources[name] for name in ("loudness", "key", "mode")} == {Source.USER}


def test_make_active_action_switches_the_active_scorer(admin_client):
    """The admin action makes the chosen config the only active one."""
    old = ScorerConfig.active()
    new = ScorerConfig.objects.create(name="Tempo first", tempo=5)

    admin_client.post(changelist(ScorerConfig), {"action": "make_active", "_selected_action": [new.pk]})

    assert list(ScorerConfig.objects.filter(is_active=True)) == [new]
    old.refresh_from_db()
    assert not old.is_active
