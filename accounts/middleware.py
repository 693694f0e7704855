"""In development, `localhost` becomes `127.0.0.1`: Spotify accepts a loopback redirect URI only as an IP address."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

LOOPBACK_NAME = "localhost"
LOOPBACK_IP = "127.0.0.1"


class LoopbackHostMiddleware:
    """With DEBUG on, a request to `localhost` is sent to the same URL on `127.0.0.1`.

    Spotify refuses `http://localhost/...` as a redirect URI ("INVALID_CLIENT: Insecure redirect URI"), so
    "Continue with Spotify" could never come back to a page opened on localhost. The first page opened moves
    the browser, so every form is shown (and its CSRF cookie set) on 127.0.0.1; the 307 keeps any POST a POST.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG:
            host, _, port = request.get_host().partition(":")
            if host.lower() == LOOPBACK_NAME:
                netloc = f"{LOOPBACK_IP}:{port}" if port else LOOPBACK_IP
                return HttpResponseRedirect(
                    f"{request.scheme}://{netloc}{request.get_full_path()}", preserve_request=True
                )
        return self.get_response(request)
