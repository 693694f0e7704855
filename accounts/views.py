"""The user's settings: the Spotify connection (connect, reconnect, disconnect)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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
        },
    )


@login_required
@require_POST
def disconnect_spotify(request: HttpRequest) -> HttpResponse:
    """Forget the Spotify link and its tokens. Mixes, plans and history stay."""
    account = spotify_account(request.user)
    if account is not None:
        account.delete()
        messages.success(request, "Spotify is disconnected. Your mixes and history are still here.")
    return redirect("accounts:settings")
