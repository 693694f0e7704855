"""A Spotify connection starts a history sync: on connecting, on signing up or in with Spotify, on reconnecting."""

from allauth.account.signals import user_logged_in, user_signed_up
from allauth.socialaccount.signals import social_account_added, social_account_updated
from django.dispatch import receiver

from music.tasks import enqueue_sync


def _via_spotify(sociallogin) -> bool:
    return sociallogin is not None and sociallogin.account.provider == "spotify"


@receiver(social_account_added)
@receiver(social_account_updated)
def sync_on_connect(sender, request, sociallogin, **kwargs) -> None:
    """Connecting (or reconnecting) Spotify to an account."""
    if _via_spotify(sociallogin):
        enqueue_sync(sociallogin.user)


@receiver(user_signed_up)
@receiver(user_logged_in)
def sync_on_spotify_login(sender, request, user, **kwargs) -> None:
    """Signing up or in through Spotify; a second signal in the same request finds the sync already queued."""
    if _via_spotify(kwargs.get("sociallogin")):
        enqueue_sync(user)
