from allauth.socialaccount.providers.oauth.urls import default_urlpatterns

from accounts.spotify_oauth.provider import SpotifyProvider

urlpatterns = default_urlpatterns(SpotifyProvider)
