"""Issue 9's faults: a broker that cannot be reached, a Redis cache that is down, a worker that vanished."""

import logging
import socket
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from config.cache import FailOpenRedisCache
from config.celery import app as celery_app
from mixes import tasks
from mixes.models import PlaylistExport
from music.jobs import QUEUE_DOWN_MESSAGE
from music.models import SpotifySync
from tests.factories import SessionMixFactory, UserFactory

pytestmark = pytest.mark.django_db

POLL = 'hx-trigger="every 1s"'


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_down(transactional_db):
    """Tasks go to a broker on a closed port (not run eagerly), as with Redis down; autocommit, as in a
    real request, so on_commit sends at once."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = f"redis://127.0.0.1:{closed_port()}/5", False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    conf.broker_url, conf.task_always_eager = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_save_with_the_broker_down_answers_with_try_again(connected_user, user_client, htmx, broker_down):
    """Save to Spotify with the broker unreachable: no 500, the panel says to try again."""
    mix = SessionMixFactory(owner=connected_user)
    response = htmx.post(f"/mixes/{mix.pk}/save/", {"name": "Tempo Tuesday", "visibility": "private"})
    assert response.status_code == 200
    assert escape(QUEUE_DOWN_MESSAGE) in response.text and POLL not in response.text


def test_save_with_the_broker_down_leaves_no_queued_row(connected_user, user_client, htmx, broker_down):
    """The save the broker never got is FAILED, not QUEUED, so the next click queues it again."""
    mix = SessionMixFactory(owner=connected_user)
    htmx.post(f"/mixes/{mix.pk}/save/", {"name": "Tempo Tuesday", "visibility": "private"})
    export = PlaylistExport.objects.get(mix=mix)
    assert export.status == "failed" and export.message == QUEUE_DOWN_MESSAGE


def test_sync_with_the_broker_down_answers_with_try_again(connected_user, user_client, htmx, broker_down):
    """Refresh my music with the broker unreachable: no 500, the card says to try again."""
    response = htmx.post(reverse("music:sync"))
    assert response.status_code == 200
    assert escape(QUEUE_DOWN_MESSAGE) in response.text and POLL not in response.text


def test_sync_with_the_broker_down_leaves_no_queued_row(connected_user, user_client, htmx, broker_down):
    """The sync the broker never got is FAILED, not QUEUED."""
    htmx.post(reverse("music:sync"))
    assert SpotifySync.objects.get(user=connected_user).status == "failed"


def test_sync_with_the_broker_down_without_htmx_does_not_500(connected_user, user_client, broker_down):
    """The no-JS Refresh with the broker down redirects to My music, which says to try again."""
    response = user_client.post(reverse("music:sync"), {"next": reverse("music:library")}, follow=True)
    assert response.status_code == 200 and escape(QUEUE_DOWN_MESSAGE) in response.text


@pytest.fixture
def cache_down(settings):
    """The default cache is the fail-open Redis cache, on a port nothing listens on."""
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.FailOpenRedisCache", "LOCATION": f"redis://127.0.0.1:{closed_port()}/5"}
    }
    yield caches["default"]


def test_sign_in_works_with_the_cache_down(client, cache_down):
    """The login rate limiter's cache unreachable: signing in with the right password still signs in."""
    UserFactory(username="runner", password="a-long-password-1")
    response = client.post(reverse("account_login"), {"login": "runner", "password": "a-long-password-1"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_cache_down_reads_miss(cache_down):
    """An unreachable cache answers a miss (the default), not an error."""
    assert isinstance(cache_down, FailOpenRedisCache)
    assert cache_down.get("anything", "missed") == "missed"


def test_cache_down_is_logged_once_a_minute(cache_down, caplog, monkeypatch):
    """Many failed cache calls in a row log one warning, not one per call."""
    monkeypatch.setattr(FailOpenRedisCache, "_last_warning", 0.0)
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        for _ in range(5):
            cache_down.get("k")
            cache_down.set("k", 1)
    assert len([r for r in caplog.records if r.name == "config.cache"]) == 1


def test_sessions_do_not_depend_on_redis():
    """Sessions live in the database, so Redis down signs nobody out."""
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def silent_for(model, pk, seconds: float) -> None:
    model.objects.filter(pk=pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


def test_running_save_silent_past_the_window_says_it_did_not_finish(connected_user, user_client, htmx):
    """A running save unheard of for longer than RUNNING_STALE_AFTER stops polling and says it did not finish."""
    mix = SessionMixFactory(owner=connected_user)
    export = PlaylistExport.objects.create(mix=mix, name="x", status="running", progress=40)
    silent_for(PlaylistExport, export.pk, PlaylistExport.RUNNING_STALE_AFTER.total_seconds() + 1)
    response = htmx.get(f"/mixes/{mix.pk}/save/status/")
    assert "The last save did not finish; try again." in response.text and POLL not in response.text


def test_stale_window_for_a_running_job_is_a_couple_of_minutes():
    """A running job is presumed dead after about two minutes of silence, not fifteen."""
    assert timedelta(minutes=3) >= PlaylistExport.RUNNING_STALE_AFTER
    assert PlaylistExport.RUNNING_STALE_AFTER.total_seconds() >= PlaylistExport.HEARTBEAT_S * 3


def test_running_sync_silent_past_the_window_is_not_under_way(connected_user):
    """A running sync unheard of for RUNNING_STALE_AFTER can be refreshed again."""
    sync = SpotifySync.objects.create(user=connected_user, status="running")
    silent_for(SpotifySync, sync.pk, SpotifySync.RUNNING_STALE_AFTER.total_seconds() + 1)
    sync.refresh_from_db()
    assert not sync.is_active and SpotifySync.request(connected_user)


def test_queued_save_within_fifteen_minutes_is_still_under_way(connected_user):
    """A queued save waits for a worker as long as before: only RUNNING jobs beat, so only they go stale soon."""
    export = PlaylistExport.objects.create(mix=SessionMixFactory(owner=connected_user), name="x", status="queued")
    silent_for(PlaylistExport, export.pk, 5 * 60)
    export.refresh_from_db()
    assert export.is_active


def test_stale_running_save_can_be_claimed_by_its_redelivery(connected_user):
    """A redelivered task takes over a running save silent past the window (its worker was killed)."""
    export = PlaylistExport.objects.create(mix=SessionMixFactory(owner=connected_user), name="x", status="running")
    silent_for(PlaylistExport, export.pk, PlaylistExport.RUNNING_STALE_AFTER.total_seconds() + 1)
    assert export.claim()


def test_fresh_running_save_keeps_its_lease(connected_user):
    """A running save heard from lately keeps its lease."""
    export = PlaylistExport.objects.create(mix=SessionMixFactory(owner=connected_user), name="x", status="running")
    assert not export.claim()


def test_heartbeat_moves_updated_at(connected_user, monkeypatch):
    """While a task runs inside heartbeat(), the running job's updated_at keeps moving."""
    sync = SpotifySync.objects.create(user=connected_user, status="running")
    silent_for(SpotifySync, sync.pk, 60)
    monkeypatch.setattr(SpotifySync, "HEARTBEAT_S", 0.05)
    beats = []
    monkeypatch.setattr(SpotifySync, "_own_row", lambda self: beats.append(1) or SpotifySync.objects.none())
    with sync.heartbeat():
        time.sleep(0.3)
    assert len(beats) >= 3


def test_visibility_timeout_outlasts_every_task_time_limit():
    """The broker hands an unacknowledged message to another worker only after any task would have been killed."""
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    limits = [task.time_limit for task in celery_app.tasks.values() if task.time_limit]
    assert limits and timeout > max(limits)
    assert timeout > PlaylistExport.MAX_WAIT_S


def test_job_tasks_are_requeued_when_their_worker_is_lost():
    """The save and sync tasks acknowledge late and go back to the queue if their process dies."""
    for name in ("mixes.tasks.save_playlist_task", "music.tasks.sync_history_task"):
        task = celery_app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_a_queued_save_whose_message_was_lost_is_sent_again(connected_user, monkeypatch):
    """Beat sends a save still queued past STRANDED_AFTER (a broker restart lost it) again, once a window."""
    sent = []
    monkeypatch.setattr(tasks, "publish", lambda job, task, *args: sent.append((job.pk, task, args)) or True)
    export = PlaylistExport.objects.create(mix=SessionMixFactory(owner=connected_user), name="x", status="queued")
    silent_for(PlaylistExport, export.pk, tasks.STRANDED_AFTER.total_seconds() + 1)

    assert tasks.requeue_stranded_saves() == 1
    assert sent == [(export.pk, tasks.save_playlist_task, (export.pk,))]
    assert tasks.requeue_stranded_saves() == 0  # the window starts again


def test_a_save_waiting_for_its_retry_is_not_sent_early(connected_user, monkeypatch):
    """A queued save silent for less than the longest retry wait is left to its own retry."""
    monkeypatch.setattr(tasks, "publish", lambda *args: pytest.fail("sent early"))
    export = PlaylistExport.objects.create(mix=SessionMixFactory(owner=connected_user), name="x", status="queued")
    silent_for(PlaylistExport, export.pk, PlaylistExport.MAX_WAIT_S)

    assert tasks.requeue_stranded_saves() == 0
