from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.spotify.views import SpotifyOAuth2Adapter
from django.conf import settings


class SpotifyAdapter(SpotifyOAuth2Adapter):
    @property
    def access_token_url(self) -> str:
        return f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token"

    @property
    def authorize_url(self) -> str:
        return f"{settings.SPOTIFY_ACCOUNTS_URL}/authorize"

    @property
    def profile_url(self) -> str:
        return f"{settings.SPOTIFY_API_URL}/me"

    def complete_login(self, request, app, token, **kwargs):
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers={"Authorization": f"Bearer {token.token}"}, timeout=10)
            response.raise_for_status()
        return self.get_provider().sociallogin_from_response(request, response.json())


oauth_login = OAuth2LoginView.adapter_view(SpotifyAdapter)
oauth_callback = OAuth2CallbackView.adapter_view(SpotifyAdapter)
