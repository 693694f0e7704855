"""Celery tasks: thin adapters over the domain functions; retries and time limits live here."""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.spotify import RateLimited, SpotifyError, SpotifyUnavailable
from mixes.export import save_playlist
from mixes.master_lists import reseed_for_user, reseed_global
from mixes.models import PlaylistExport, TasteProfile
from mixes.taste import rebuild_taste

log = logging.getLogger(__name__)

Status = PlaylistExport.Status
MAX_RETRIES = 10
# Screen 2 feedback comes in bursts (remove, remove, swap): the taste model is rebuilt once, this long after the first.
FEEDBACK_BATCH_S = 60


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


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, soft_time_limit=9 * 60, time_limit=10 * 60)
def save_playlist_task(self, export_id: int) -> None:
    """Save a mix to Spotify. A rate limit reschedules the task with Spotify's Retry-After; any failure ends
    the save as FAILED with words for the user, so it never stays "saving" forever."""
    export = PlaylistExport.objects.select_related("mix__owner").filter(pk=export_id).first()
    if export is None:
        return  # the mix was deleted meanwhile
    try:
        save_playlist(export)
    except RateLimited as error:
        if error.quota_exceeded:
            export.report(None, str(error), Status.FAILED)
            return
        _retry(self, export, error.retry_after, "Spotify is busy", "Spotify is rate-limiting us")
    except SpotifyUnavailable:
        countdown = min(60, 5 * 2**self.request.retries)
        _retry(self, export, countdown, "Spotify is not answering", "Spotify is not answering")
    except SpotifyError as error:
        export.report(None, str(error), Status.FAILED)
    except Exception:
        log.exception("Saving export %s to Spotify failed", export_id)
        export.report(None, "Something went wrong saving to Spotify; try again.", Status.FAILED)
        if not self.request.is_eager:
            raise  # a worker's failure shows in Celery's own records; inside a web request it would be a 500


def _retry(task, export: PlaylistExport, countdown: int, eager_reason: str, reason: str) -> None:
    """Put the save back in the queue to run again in `countdown` seconds, saying so.

    Eager (no broker: the task runs inside the web request) nothing could wait for the countdown, so
    the save fails with when to try again. After MAX_RETRIES the save fails too.
    """
    if task.request.is_eager:
        export.report(None, f"{eager_reason}, try again in {countdown} s.", Status.FAILED)
        return
    if task.request.retries >= task.max_retries:
        export.report(None, f"{reason}; gave up for now. Try again in a few minutes.", Status.FAILED)
        return
    # QUEUED, so the rescheduled run can claim the save; only if this run still holds it.
    if export.report(None, f"{reason}, retrying in {countdown} s.", Status.QUEUED):
        raise task.retry(countdown=countdown)
