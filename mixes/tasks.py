"""Celery tasks: thin adapters over the domain functions; retries and time limits live here."""

import contextlib
import logging
from datetime import timedelta

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.spotify import RateLimited, SpotifyError, SpotifyUnavailable
from mixes.export import save_playlist
from mixes.master_lists import reseed_for_user, reseed_global
from mixes.models import PlaylistExport, SessionMix, TasteProfile
from mixes.taste import rebuild_taste
from music.jobs import publish

log = logging.getLogger(__name__)

MAX_RETRIES = 10
_nothing = contextlib.nullcontext  # an eager task is inside the web request: nothing to beat for
# Screen 2 feedback comes in bursts (remove, remove, swap): the taste model is rebuilt once, this long after the first.
FEEDBACK_BATCH_S = 60


def enqueue_save(mix: SessionMix, *, name: str, description: str, public: bool) -> tuple[PlaylistExport, bool]:
    """Queue a save of the mix to Spotify once the current transaction commits; (export, queued). A save
    already queued or running is left alone (double clicks)."""
    export, queued = PlaylistExport.request(mix, name=name, description=description, public=public)
    if queued:
        # Once committed: a broker that cannot be reached fails the save at once with words for the user
        # (this instance too, which the view renders), rather than leaving it queued with no message sent.
        transaction.on_commit(lambda: publish(export, save_playlist_task, export.pk))
    return export, queued


def enqueue_taste_rebuild(user, *, batch: bool = False) -> bool:
    """Rebuild the person's taste model once the current transaction commits (after `FEEDBACK_BATCH_S` for a
    batch of Screen 2 feedback); False when a rebuild is already pending, which will read this evidence too."""
    if not TasteProfile.request(user):
        return False
    user_id = user.pk
    countdown = FEEDBACK_BATCH_S if batch else 0
    transaction.on_commit(lambda: rebuild_taste_task.apply_async((user_id,), countdown=countdown))
    return True


@shared_task(acks_late=True, time_limit=5 * 60)
def rebuild_taste_task(user_id: int) -> None:
    """Fit one person's taste model to their evidence (mixes.taste)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        rebuild_taste(user)


@shared_task(time_limit=15 * 60)
def reseed_master_lists() -> None:
    """Nightly: global lists from rules, then each active user's own lists."""
    reseed_global()
    for user_id in get_user_model().objects.filter(is_active=True).values_list("pk", flat=True):
        reseed_user_master_lists.delay(user_id)


@shared_task(time_limit=5 * 60)
def reseed_user_master_lists(user_id: int) -> None:
    reseed_for_user(get_user_model().objects.get(pk=user_id))


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=9 * 60,
    time_limit=10 * 60,
)
def save_playlist_task(self, export_id: int) -> None:
    """Save a mix to Spotify. A rate limit reschedules the task with Spotify's Retry-After; any failure ends
    the save as FAILED with words for the user, so it never stays "saving" forever.

    A save still RUNNING and heard from lately may belong to a run whose process was just killed (this
    message is its redelivery): the task comes back once that run's heartbeat would have moved, and
    takes the save over if it has not (PlaylistExport.claim)."""
    export = PlaylistExport.objects.select_related("mix__owner").filter(pk=export_id).first()
    if export is None:
        return  # the mix was deleted meanwhile
    delivered = not (self.request.is_eager or self.request.called_directly)  # a message from the broker
    if delivered and export.status == PlaylistExport.Status.RUNNING and not export.is_stale:
        raise self.retry(countdown=round(export.stale_in) + 1)
    try:
        with export.heartbeat() if delivered else _nothing():
            save_playlist(export)
    except RateLimited as error:
        if error.quota_exceeded:
            export.fail(str(error))
            return
        export.retry(self, error.retry_after, "Spotify is rate-limiting us", eager_reason="Spotify is busy")
    except SpotifyUnavailable:
        export.retry(self, min(60, 5 * 2**self.request.retries), "Spotify is not answering")
    except SpotifyError as error:
        export.fail(str(error))
    except Exception:
        log.exception("Saving export %s to Spotify failed", export_id)
        export.fail("Something went wrong saving to Spotify; try again.")
        if not self.request.is_eager:
            raise  # a worker's failure shows in Celery's own records; inside a web request it would be a 500


# A queued save silent this long lost its message (a broker restarted without persistence): no retry waits
# longer (MAX_WAIT_S), so the save is sent again; claim() keeps a second message from making a second run.
STRANDED_AFTER = timedelta(seconds=PlaylistExport.MAX_WAIT_S + 60)


@shared_task
def requeue_stranded_saves() -> int:
    """Beat: send again every save still queued but silent for STRANDED_AFTER; return how many were sent."""
    stranded = PlaylistExport.objects.filter(
        status=PlaylistExport.Status.QUEUED, updated_at__lt=timezone.now() - STRANDED_AFTER
    ).order_by("pk")
    sent = 0
    for export in stranded:
        # Moves updated_at, so a stranded save is sent again at most once a window.
        export.report(None, export.message, PlaylistExport.Status.QUEUED)
        sent += publish(export, save_playlist_task, export.pk)
    return sent
