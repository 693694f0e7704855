"""A Spotify connection starts a history sync: on connecting, on signing up or in with Spotify, on reconnecting."""

from allauth.account.signals import user_logged_in, user_signed_up
from allauth.socialaccount.signals import social_account_added, social_account_updated
from django.dispatch import receiver

from music.tasks import enqueue_sync


def _via_spotify(sociallogin) -> bool:
    return sociallogin is not None and sociallogin.account.provider == "spotify"


def _sync_once(request, user) -> None:
    """One sign-in fires several of these signals (signed up, logged in, account updated): sync once.

    Without a worker a sync runs at once, so a second one in the same request would find nothing
    new and report just that.
    """
    if request is not None:
        if getattr(request, "_spotify_sync_started", False):
            return
        request._spotify_sync_started = True
    enqueue_sync(user)


@receiver(social_account_added)
@receiver(social_account_updated)
def sync_on_connect(sender, request, sociallogin, **kwargs) -> None:
    """Connecting (or reconnecting) Spotify to an account."""
    if _via_spotify(sociallogin):
        _sync_once(request, sociallogin.user)


@receiver(user_signed_up)
@receiver(user_logged_in)
def sync_on_spotify_login(sender, request, user, **kwargs) -> None:
    """Signing up or in through Spotify."""
    if _via_spotify(kwargs.get("sociallogin")):
        _sync_once(request, user)
