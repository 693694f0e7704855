"""The taste profile: what Session Mix believes about the signed-in person's music, and the two ways to correct it.

My music (the music app) loads it after the page, from here: the music app cannot import the taste model. Without
JavaScript the same profile is the page /taste/. Every POST redirects a plain request back to /taste/ and answers
an htmx one with the "what I've learned" section in its new state.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from mixes.forms import ForgetForm, form_errors
from mixes.profile import forget_dislike, learned_of, profile_of
from mixes.taste import start_over

TASTE = "mixes/taste.html"
NOTHING_TO_FORGET = "Session Mix had learned nothing against that, so there was nothing to forget."


@login_required
@require_GET
def taste(request: HttpRequest) -> HttpResponse:
    """The profile: the whole page, the section My music loads, or (while a rebuild runs) just what was learned."""
    if request.htmx and request.htmx.target == "taste-learned":
        return render(request, f"{TASTE}#learned", {"learned": learned_of(request.user)})
    context = {"profile": profile_of(request.user)}
    return render(request, f"{TASTE}#profile" if request.htmx else TASTE, context)


@login_required
@require_POST
def taste_forget(request: HttpRequest) -> HttpResponse:
    """Forget one learned dislike: the model is rebuilt without what it learned against that artist or genre."""
    form = ForgetForm(request.POST)
    if not form.is_valid():
        return _respond(request, error=" ".join(form_errors(form)))
    name = forget_dislike(request.user, form.cleaned_data["feature"])
    if name is None:
        return _respond(request, error=NOTHING_TO_FORGET)
    return _respond(request, notice=f"Forgotten: {name}. Your past skips and removals no longer count against it.")


@login_required
@require_POST
def taste_start_over(request: HttpRequest) -> HttpResponse:
    """Reset what Session Mix has learned; the listening history and the mixes stay."""
    start_over(request.user)
    return _respond(request, notice="Started over. Session Mix learns again from what you play, skip and like next.")


def _respond(request: HttpRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    """The learned section with its message (422 on an error), or, for a plain request, back to the page."""
    if not request.htmx:
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, error or notice)
        return redirect("mixes:taste")
    context = {"learned": learned_of(request.user), "notice": notice, "error": error}
    return render(request, f"{TASTE}#learned", context, status=422 if error else 200)
