"""The Content-Security-Policy: settings.SECURE_CSP, plus the Spotify origins the pages need, read at each request."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware


def spotify_policy() -> dict[str, list[str]]:
    """settings.SECURE_CSP with Spotify's sign-in host in `form-action` and, in sandbox mode, the sandbox in `img-src`.

    "Continue with Spotify" posts to our own URL, which redirects to the accounts host, and a browser holds a
    form's redirects to `form-action` too. The sandbox serves the covers it hands out. Both origins come from
    the settings that point the app at Spotify or at the sandbox, so a sandbox on another port (the tests') is
    allowed as the configured one is.
    """
    policy = {directive: list(values) for directive, values in settings.SECURE_CSP.items()}
    policy["form-action"] = [*policy.get("form-action", []), origin(settings.SPOTIFY_ACCOUNTS_URL)]
    if not settings.SPOTIFY_REAL:
        policy["img-src"] = [*policy.get("img-src", []), origin(settings.SPOTIFY_SANDBOX_URL)]
    return policy


def origin(url: str) -> str:
    """scheme://host[:port] of a URL, as a CSP source."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SpotifyContentSecurityPolicyMiddleware(ContentSecurityPolicyMiddleware):
    """Django's CSP middleware with spotify_policy() as the default; a view's @csp_override still wins."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not hasattr(response, "_csp_config") and settings.SECURE_CSP:
            response._csp_config = spotify_policy()  # type: ignore[attr-defined]
        return super().process_response(request, response)
