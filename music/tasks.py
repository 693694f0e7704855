"""Celery tasks: thin adapters over music.history and music.features; retries go through the job (music.jobs).

A rate limit reschedules the sync with Spotify's Retry-After as the countdown, never sleeping in a
worker; QUOTA_EXCEEDED and a revoked token fail at once (retrying would not help). When tasks run
eagerly (no broker: the embedded demo), nothing could wait for the countdown, so a rate limit ends
the run and says when to try again instead of retrying in a tight loop, and audio features are filled
only a few calls' worth, since the web request that started the sync is waiting.
"""

from __future__ import annotations

import contextlib
import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.spotify import RateLimited, ReconnectSpotify, SpotifyError, SpotifyUnavailable, is_connected
from music.features import fill_features
from music.history import history_track_ids, sync_history
from music.hooks import history_changed
from music.jobs import publish
from music.models import HistoryUpload, Source, SpotifySync
from music.streaming_history import run_upload

log = logging.getLogger(__name__)

MAX_RETRIES = 6
BACKOFF_S = (30, 60, 120, 300, 600, 600)  # when Spotify is down (5xx, timeouts); at most SpotifySync.MAX_WAIT_S
STAGGER_S = 20  # beat spreads the users' syncs out, so they do not share one rate-limit window
# Filling features inside a web request (tasks run eagerly): batch providers only (Deezer is a call a
# track, each up to 10 s), and at most this many calls — 3 ReccoBeats calls cover 120 tracks.
INLINE_SOURCES = (Source.SPOTIFY, Source.RECCOBEATS)
INLINE_MAX_CALLS = 4
UPLOAD_TIME_LIMIT_S = 14 * 60  # under HistoryUpload.STALE_AFTER: a job past it is presumed dead


def enqueue_upload(user, files) -> HistoryUpload | None:
    """Store an upload and queue its import once the current transaction commits; None if one is under way.

    With no broker (tasks run eagerly: the embedded demo, the tests) there is no worker to wait for: the
    import runs at once, inside this request, on its connection, so the view can answer with the result.
    """
    job = HistoryUpload.request(user, files)
    if job is None:
        return None
    job_id = job.pk
    if import_history_task.app.conf.task_always_eager:
        import_history_task.delay(job_id)
        job.refresh_from_db()
    else:
        # Once committed; a broker that cannot be reached fails the upload at once, saying to try again.
        transaction.on_commit(lambda: publish(job, import_history_task, job_id))
    return job


def enqueue_sync(user) -> bool:
    """Queue a sync of the user's history once the current transaction commits; False if one is under way."""
    if not is_connected(user) or not SpotifySync.request(user):
        return False
    user_id = user.pk
    # Once committed; a broker that cannot be reached fails the sync at once, saying to try again.
    transaction.on_commit(lambda: publish(SpotifySync.of(user), sync_history_task, user_id))
    return True


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True, reject_on_worker_lost=True, time_limit=14 * 60)
def sync_history_task(self, user_id: int) -> None:
    """Sync one user's listening history; then fill the audio features of their tracks.

    A run whose process was killed is redelivered (reject_on_worker_lost) and resumes where it stopped."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return
    try:
        delivered = not (self.request.is_eager or self.request.called_directly)  # a message from the broker
        with SpotifySync.of(user).heartbeat() if delivered else contextlib.nullcontext():
            sync_history(user)
    except RateLimited as error:
        if error.quota_exceeded:
            return  # sync_history recorded Spotify's words; a retry soon would meet the same answer
        SpotifySync.of(user).retry(self, error.retry_after, "Spotify is rate-limiting us")
        return
    except SpotifyUnavailable:
        delay = BACKOFF_S[min(self.request.retries, len(BACKOFF_S) - 1)]
        SpotifySync.of(user).retry(self, delay, "Spotify is not answering")
        return
    except ReconnectSpotify:
        SpotifySync.of(user).fail("Reconnect Spotify: Spotify no longer accepts our access.")
        return
    except SpotifyError as error:
        log.warning("History sync of user %s failed: %s", user_id, error)
        return
    track_ids = history_track_ids(user)
    transaction.on_commit(lambda: fill_features_task.delay(track_ids, user_id))
    # After the features are asked for: the taste model learns from them too.
    history_changed.send(sender=sync_history_task, user=user)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=UPLOAD_TIME_LIMIT_S + 30,
    soft_time_limit=UPLOAD_TIME_LIMIT_S,
)
def import_history_task(self, upload_id: int) -> None:
    """Import one stored streaming-history upload; then ask for its new tracks' features and tell the taste model."""
    job = HistoryUpload.objects.select_related("user").filter(pk=upload_id).first()
    if job is None or job.status not in HistoryUpload.ACTIVE:
        return  # gone, or finished (a redelivered message); a RUNNING one whose worker died runs again
    delivered = not (self.request.is_eager or self.request.called_directly)  # a message from the broker
    with job.heartbeat() if delivered else contextlib.nullcontext():
        report = run_upload(job)
    if report is None:
        return
    if report.new_track_ids:
        new_ids, user_id = report.new_track_ids, job.user_id
        transaction.on_commit(lambda: fill_features_task.delay(new_ids, user_id))
    if report.plays_added:
        history_changed.send(sender=import_history_task, user=job.user)


@shared_task
def sync_all_histories() -> int:
    """Celery beat: queue a sync for every user connected to Spotify; return how many were queued."""
    users = get_user_model().objects.filter(
        is_active=True, socialaccount__provider="spotify", socialaccount__socialtoken__isnull=False
    )
    queued = 0
    for user in users.distinct().order_by("pk"):
        if SpotifySync.request(user):
            sync_history_task.apply_async((user.pk,), countdown=queued * STAGGER_S)
            queued += 1
    return queued


@shared_task(bind=True, acks_late=True, time_limit=30 * 60)
def fill_features_task(self, track_ids: list[int] | None = None, user_id: int | None = None) -> dict:
    """Fill missing audio features of these tracks (all if None), lending the user's Spotify connection.

    Run eagerly it is inside a web request (the OAuth callback, Refresh my music, an upload): then only
    the providers that answer many tracks a call are asked, a few calls at most; the rest waits for the
    next sync, and My music says how many tracks still lack a tempo.
    """
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    limits = {"sources": INLINE_SOURCES, "max_calls": INLINE_MAX_CALLS} if self.request.is_eager else {}
    report = fill_features(track_ids, user=user, **limits)
    for stop in report.stopped:
        log.info("Audio features: %s", stop)
    return {"tracks": report.tracks, "filled": dict(report.filled), "calls": dict(report.calls)}
