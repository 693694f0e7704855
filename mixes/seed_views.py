"""Seeds say what happened: "place the closest one anyway" from a seed note on Screen 2.

A plain POST redirects to the placed track's row; htmx gets the mix body. A refused placement is said in the
seed's note itself (the whole page without JavaScript, the mix body with it), never a 500. The mix is looked up
through its owner: anyone else's is a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from mixes import services
from mixes.models import SessionMix
from mixes.views import PREVIEW, _preview_context, _reload, _respond_body, _save_context


class PlaceSeedForm(forms.Form):
    track = forms.IntegerField(min_value=1, error_messages={"required": "Say which track to place."})


@login_required
@require_POST
def seed_place(request: HttpRequest, mix_id: int) -> HttpResponse:
    mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
    form = PlaceSeedForm(request.POST)
    if not form.is_valid():
        return _refused(request, mix, "That is not a track this mix's seeds offer.", str(form["track"].value() or ""))
    track_id = form.cleaned_data["track"]
    try:
        item = services.place_seed_track(mix, track_id)
    except ValueError as error:
        return _refused(request, mix, str(error), str(track_id))
    return _respond_body(request, mix, anchor=f"t{item.pk}")


def _refused(request: HttpRequest, mix: SessionMix, error: str, track: str) -> HttpResponse:
    """The refusal, shown in the note that offered the track (or above the notes for a track none offered)."""
    offered = {str(n.get("track")) for n in mix.notes if isinstance(n, dict) and n.get("kind") == "seed"}
    if track in offered:
        context = _preview_context(_reload(mix), seed_error=error, seed_error_track=track)
    else:
        context = _preview_context(_reload(mix), seed_error_general=error)
    if request.htmx:
        return render(request, f"{PREVIEW}#mix-body", context, status=422)
    return render(request, PREVIEW, {**context, **_save_context(request, mix)}, status=422)
