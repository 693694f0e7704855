"""Every signal reaches the taste model (mixes.taste), and the model is rebuilt when evidence arrives."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mixes.engine.taste import STRENGTHS
from mixes.models import Feedback, TasteProfile
from mixes.taste import collect_evidence, rebuild_taste, start_over, taste_for
from music.models import MusicPreferences, Play, TrackAffinity
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db


def kinds_for(user, track) -> list[str]:
    """The kinds of signal the evidence holds about one track."""
    evidence = collect_evidence(user, TasteProfile.of(user), timezone.now())
    if not evidence.pool.has(str(track.pk)):
        return []
    index = evidence.pool.index_of(str(track.pk))
    return sorted(kind for position, kind in zip(evidence.track, evidence.kind, strict=True) if position == index)


def artist_weight(user, track) -> float:
    """What the rebuilt model thinks of the track's artist."""
    rebuild_taste(user)
    return taste_for(user).weight(f"artist:{track.artist_names.lower()}")


def play(user, track, skipped: bool, days_ago: int = 3):
    return Play.objects.create(
        user=user, track=track, played_at=timezone.now() - timedelta(days=days_ago), ms_played=1000, skipped=skipped
    )


def test_a_full_play_is_positive_evidence(user):
    """A play to the end counts for the track's artist."""
    track = TrackFactory()
    play(user, track, skipped=False)
    assert kinds_for(user, track) == ["play"]
    assert artist_weight(user, track) > 0


def test_a_skip_is_negative_evidence_and_never_also_a_play(user):
    """A skipped play is a skip, and only a skip."""
    track = TrackFactory()
    play(user, track, skipped=True)
    assert kinds_for(user, track) == ["skip"]
    assert artist_weight(user, track) < 0


@pytest.mark.parametrize(
    ("flags", "kind"),
    [({"saved": True}, "saved"), ({"top_rank": 3}, "top"), ({"in_playlists": True}, "playlist")],
)
def test_the_spotify_library_is_positive_evidence(user, flags, kind):
    """Saved, top and own-playlist tracks count for their artist."""
    track = TrackFactory()
    TrackAffinity.objects.create(user=user, track=track, **flags)
    assert kinds_for(user, track) == [kind]
    assert artist_weight(user, track) > 0


@pytest.mark.parametrize(("action", "kind"), [("like", "like"), ("lock", "lock")])
def test_liking_and_locking_on_screen_2_are_positive_evidence(
    user, user_client, mix, action, kind, django_capture_on_commit_callbacks, htmx
):
    """A like or a lock through Screen 2 reaches the model (rebuilt on commit: tasks run eagerly here)."""
    item = mix.tracks.first()
    with django_capture_on_commit_callbacks(execute=True):
        htmx.post(f"/mixes/{mix.pk}/tracks/{item.pk}/{action}/")
    assert kind in kinds_for(user, item.track)
    assert taste_for(user).weight(f"artist:{item.track.artist_names.lower()}") > 0


@pytest.mark.parametrize(("action", "kind"), [("remove", "remove"), ("swap", "swap")])
def test_removing_and_swapping_out_are_negative_evidence(
    user, user_client, mix, action, kind, django_capture_on_commit_callbacks, htmx
):
    """A remove or a swap-out through Screen 2 counts against the track's artist (rebuilt on commit)."""
    item = mix.tracks.first()
    with django_capture_on_commit_callbacks(execute=True):
        htmx.post(f"/mixes/{mix.pk}/tracks/{item.pk}/{action}/")
    assert kinds_for(user, item.track) == [kind]
    assert taste_for(user).weight(f"artist:{item.track.artist_names.lower()}") < 0


def test_an_unliked_track_is_no_longer_liked_evidence(user, user_client, mix, htmx):
    """Like then unlike: the like no longer counts."""
    item = mix.tracks.first()
    url = f"/mixes/{mix.pk}/tracks/{item.pk}/like/"
    htmx.post(url)
    htmx.post(url)
    assert "like" not in kinds_for(user, item.track)


def test_a_track_deleted_from_an_exported_playlist_is_negative_evidence(user, mix):
    """The sync records such a track as a removal on its mix (mixes.feedback): it counts against the artist."""
    item = mix.tracks.first()
    Feedback.objects.create(user=user, track=item.track, mix=mix, kind=Feedback.Kind.REMOVED)
    assert kinds_for(user, item.track) == ["remove"]
    assert artist_weight(user, item.track) < 0


def test_a_never_play_artist_is_strongly_negative(user):
    """Never play: the artist is avoided as strongly as several removals."""
    artist = ArtistFactory(name="Loud Band")
    MusicPreferences.of(user).excluded_artists.add(artist)
    rebuild_taste(user)
    taste = taste_for(user)
    assert taste.weight("artist:loud band") < -1
    assert taste.attributes["artist:loud band"].avoided


def test_recent_plays_weigh_more_than_old_ones(user, other_user):
    """The same skips long ago move the model less than recent ones."""
    recent, old = TrackFactory(), TrackFactory()
    for _ in range(5):
        play(user, recent, skipped=True, days_ago=10)
    for day in range(5):
        play(other_user, old, skipped=True, days_ago=700 + day)
    assert artist_weight(user, recent) < artist_weight(other_user, old) < 0


def test_start_over_forgets_the_learned_taste_but_keeps_the_history(user):
    """After starting over the model is neutral again; the plays are still there."""
    track = TrackFactory()
    play(user, track, skipped=True)
    rebuild_taste(user)
    start_over(user)
    assert taste_for(user).is_neutral
    assert Play.objects.filter(user=user).count() == 1


def test_screen_2_feedback_is_rebuilt_once_per_batch(user, mix, settings):
    """With a worker, a burst of feedback asks for one rebuild: the second request finds one pending."""
    assert TasteProfile.request(user)
    assert not TasteProfile.request(user)


def test_a_lost_rebuild_is_not_waited_for(user):
    """A rebuild asked for long ago and never done (a lost task) does not block the next one."""
    TasteProfile.objects.create(user=user, requested_at=timezone.now() - timedelta(hours=1))
    assert TasteProfile.request(user)


def test_every_kind_of_evidence_has_a_strength():
    """The kinds the edge reads are all ones the engine knows how to weigh."""
    from mixes.taste import FEEDBACK_KINDS

    assert set(FEEDBACK_KINDS.values()) | {"play", "skip", "saved", "top", "playlist"} <= set(STRENGTHS)


def test_an_account_data_upload_rebuilds_the_model(user, user_client, django_capture_on_commit_callbacks):
    """Uploading an extended export with skips teaches the model at once (tasks run eagerly here)."""
    track = TrackFactory(spotify_id="upload0000000000000001")
    rows = [
        {
            "ts": f"2026-11-{day:02d}T10:00:00Z",
            "ms_played": 5000,
            "master_metadata_track_name": track.title,
            "master_metadata_album_artist_name": track.artist_names,
            "spotify_track_uri": f"spotify:track:{track.spotify_id}",
            "skipped": True,
        }
        for day in range(1, 6)
    ]
    upload = SimpleUploadedFile("Streaming_History_Audio_2026.json", json.dumps(rows).encode())
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("music:upload_history"), {"files": upload})
    assert TasteProfile.of(user).built_at is not None
    assert taste_for(user).weight(f"artist:{track.artist_names.lower()}") < 0


def test_a_spotify_sync_rebuilds_the_model(connected_user, spotify_sandbox, django_capture_on_commit_callbacks):
    """A finished history sync (the Celery task) asks for a rebuild: the model holds the new evidence."""
    from music.tasks import sync_history_task

    with django_capture_on_commit_callbacks(execute=True):
        sync_history_task.delay(connected_user.pk)
    assert taste_for(connected_user).signals > 0
