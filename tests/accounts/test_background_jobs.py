"""The background jobs a user watches (a sync, a save): one rule for when they count as under way."""

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
