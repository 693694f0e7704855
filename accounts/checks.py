"""System checks for running against real Spotify."""

from django.conf import settings
from django.core.checks import Warning, register


@register("spotify")
def spotify_work_needs_a_worker(app_configs, **kwargs) -> list[Warning]:
    """With real Spotify, syncs, features and saves should run in a Celery worker, not in web requests."""
    if not settings.SPOTIFY_REAL or settings.REDIS_URL:
        return []
    return [
        Warning(
            "SPOTIFY_CLIENT_ID is set but REDIS_URL isn't: real Spotify work (sync, features, saving) runs "
            "inside web requests without a worker.",
            hint="Set REDIS_URL and run celery (-A config worker, and beat).",
            id="accounts.W001",
        )
    ]
