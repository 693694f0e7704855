"""Celery tasks: thin adapters over the domain functions."""

from celery import shared_task
from django.contrib.auth import get_user_model

from mixes.master_lists import reseed_for_user, reseed_global


@shared_task(time_limit=15 * 60)
def reseed_master_lists() -> None:
    """Nightly: global lists from rules, then each active user's own lists."""
    reseed_global()
    for user_id in get_user_model().objects.filter(is_active=True).values_list("pk", flat=True):
        reseed_user_master_lists.delay(user_id)


@shared_task(time_limit=5 * 60)
def reseed_user_master_lists(user_id: int) -> None:
    reseed_for_user(get_user_model().objects.get(pk=user_id))
