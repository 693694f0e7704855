"""The user's settings: the Spotify connection (connect, reconnect, disconnect)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.spotify import is_connected, spotify_account


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    account = spotify_account(request.user)
    return render(
        request,
        "accounts/settings.html",
        {
            "account": account,
            "connected": is_connected(request.user),
            "reconnect": account and not is_connected(request.user),
            "can_disconnect": request.user.has_usable_password(),
        },
    )


@login_required
@require_POST
def disconnect_spotify(request: HttpRequest) -> HttpResponse:
    """Forget the Spotify link and its tokens. Mixes, plans and history stay.

    Someone who signed up with Spotify has no password: without the link they could never sign in
    again, so they set a password first.
    """
    account = spotify_account(request.user)
    if account is not None and not request.user.has_usable_password():
        messages.error(
            request,
            format_html(
                'You sign in with Spotify, so disconnecting it would lock you out. <a href="{}">Set a password</a> '
                "first, then disconnect.",
                reverse("account_set_password"),
            ),
        )
    elif account is not None:
        account.delete()
        messages.success(request, "Spotify is disconnected. Your mixes and history are still here.")
    return redirect("accounts:settings")
