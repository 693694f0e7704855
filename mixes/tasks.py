"""Celery tasks: thin adapters over the domain functions."""

from celery import shared_task
from django.contrib.auth import get_user_model

from accounts.spotify import RateLimited, SpotifyError, SpotifyUnavailable
from mixes.export import save_playlist
from mixes.master_lists import reseed_for_user, reseed_global
from mixes.models import PlaylistExport

Status = PlaylistExport.Status


@shared_task(time_limit=15 * 60)
def reseed_master_lists() -> None:
    """Nightly: global lists from rules, then each active user's own lists."""
    reseed_global()
    for user_id in get_user_model().objects.filter(is_active=True).values_list("pk", flat=True):
        reseed_user_master_lists.delay(user_id)


@shared_task(time_limit=5 * 60)
def reseed_user_master_lists(user_id: int) -> None:
    reseed_for_user(get_user_model().objects.get(pk=user_id))


@shared_task(bind=True, acks_late=True, max_retries=10, time_limit=10 * 60)
def save_playlist_task(self, export_id: int) -> None:
    """Save a mix to Spotify; rate limits reschedule the task with Spotify's Retry-After."""
    export = PlaylistExport.objects.select_related("mix__owner").get(pk=export_id)
    try:
        save_playlist(export)
    except RateLimited as error:
        if error.quota_exceeded:
            export.report(Status.FAILED, str(error))
            return
        export.report(Status.QUEUED, f"Spotify is rate-limiting us, retrying in {error.retry_after} s.")
        raise self.retry(countdown=error.retry_after) from error
    except SpotifyUnavailable as error:
        countdown = min(60, 5 * 2**self.request.retries)
        export.report(Status.QUEUED, f"Spotify is not answering; retrying in {countdown} s.")
        raise self.retry(countdown=countdown) from error
    except SpotifyError as error:
        export.report(Status.FAILED, str(error))
