"""The background jobs a user watches (a sync, a save): one rule for when they count as under way, one retry helper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from music.models import SpotifySync

pytestmark = pytest.mark.django_db


def test_waiting_sync_silent_too_long_is_no_longer_under_way(user):
    """Waiting to retry counts as under way only while heard from lately, like every active state."""
    sync = SpotifySync.objects.create(user=user, status="waiting")
    SpotifySync.objects.filter(pk=sync.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    sync.refresh_from_db()
    assert not sync.is_active
    assert SpotifySync.request(user)


def test_sync_report_moves_updated_at(user):
    """A progress report keeps a sync alive."""
    sync = SpotifySync.objects.create(user=user, status="running")
    SpotifySync.objects.filter(pk=sync.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    sync.report(40, "Reading your saved tracks…")
    sync.refresh_from_db()
    assert sync.is_active and sync.progress == 40


def test_sync_starting_keeps_a_settings_change_made_meanwhile(user):
    """begin() writes only the run's own fields: include_playlists switched on since the row was read stays on."""
    sync = SpotifySync.of(user)
    SpotifySync.objects.filter(pk=sync.pk).update(include_playlists=True)  # the settings form, meanwhile
    sync.begin()
    sync.refresh_from_db()
    assert sync.include_playlists and sync.status == "running"


def test_sync_finishing_keeps_a_settings_change_made_meanwhile(user):
    """finish() writes only the run's own fields: include_playlists switched on during the sync stays on."""
    sync = SpotifySync.of(user)
    sync.begin()
    SpotifySync.objects.filter(pk=sync.pk).update(include_playlists=True)
    sync.finish()
    sync.refresh_from_db()
    assert sync.include_playlists and sync.status == "done"


class FakeTask:
    """What BackgroundJob.retry reads of a bound Celery task."""

    class Retry(Exception):
        pass

    def __init__(self, *, eager: bool = False, retries: int = 0, max_retries: int = 3):
        self.request = type("Request", (), {"is_eager": eager, "retries": retries})()
        self.max_retries = max_retries

    def retry(self, countdown: int):
        return self.Retry(countdown)


def test_retry_reschedules_the_job_and_says_so(user):
    """A retry the job can wait for moves it to its waiting state with the countdown, and raises Retry."""
    sync = SpotifySync.objects.create(user=user, status="running")

    with pytest.raises(FakeTask.Retry):
        sync.retry(FakeTask(), 30, "Spotify is not answering")

    sync.refresh_from_db()
    assert (sync.status, sync.message) == ("waiting", "Spotify is not answering, retrying in 30 s")


def test_retry_inside_a_web_request_fails_with_when_to_try_again(user):
    """Run eagerly nothing could wait for the countdown: the job fails and says when to try again."""
    sync = SpotifySync.objects.create(user=user, status="running")

    sync.retry(FakeTask(eager=True), 20, "Spotify is rate-limiting us")

    sync.refresh_from_db()
    assert (sync.status, sync.message) == ("failed", "Spotify is rate-limiting us; try again in 20 s.")


def test_retry_longer_than_the_staleness_window_fails_in_minutes(user):
    """A wait past MAX_WAIT_S would make the job look dead: it fails with the wait in minutes."""
    sync = SpotifySync.objects.create(user=user, status="running")

    sync.retry(FakeTask(), 3600, "Spotify is rate-limiting us")

    sync.refresh_from_db()
    assert (sync.status, sync.message) == ("failed", "Spotify is rate-limiting us; try again in 60 min.")


def test_retry_with_no_retries_left_gives_up(user):
    """After the task's last retry the job fails instead of waiting again."""
    sync = SpotifySync.objects.create(user=user, status="running")

    sync.retry(FakeTask(retries=3, max_retries=3), 30, "Spotify is not answering")

    sync.refresh_from_db()
    assert sync.status == "failed" and sync.message.startswith("Spotify is not answering; gave up for now.")
