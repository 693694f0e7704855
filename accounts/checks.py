"""System checks: running against real Spotify; mail in production."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.checks.mail import NON_PRODUCTION_EMAIL_BACKENDS


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


@register(Tags.mail)
def production_mail_leaves_the_machine(app_configs, **kwargs) -> list[Error]:
    """With DEBUG off, mail must go to a real backend: the console one would print reset links into the log.

    config/settings.py refuses such a start-up already; this catches a backend set after it (by a settings
    override), and runs on every `manage.py` command, `check --deploy` included.
    """
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in NON_PRODUCTION_EMAIL_BACKENDS:
        return []
    return [
        Error(
            f"DEBUG is off but mail goes to {backend}: password-reset links would land in a log or nowhere.",
            hint="Set EMAIL_URL (smtp://user:password@host:587/?tls=true) or EMAIL_BACKEND to a real backend.",
            id="accounts.E001",
        )
    ]
