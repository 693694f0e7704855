from allauth.socialaccount.providers.spotify.provider import SpotifyOAuth2Provider
from django.conf import settings

from accounts.spotify_oauth.views import SpotifyAdapter


class SpotifyProvider(SpotifyOAuth2Provider):
    oauth2_adapter_class = SpotifyAdapter
    package = "accounts.spotify_oauth"  # allauth finds our urls.py and views.py here

    def get_default_scope(self) -> list[str]:
        return list(settings.SPOTIFY_SCOPES)
