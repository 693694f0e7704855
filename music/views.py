from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from music.models import Artist


@login_required
@require_GET
def artist_options(request: HttpRequest) -> HttpResponse:
    """Autocomplete for seed artists: the catalog's artists whose name contains what was typed."""
    query = request.GET.get("q", "").split(",")[-1].strip()
    artists = Artist.objects.filter(name__icontains=query).order_by("name")[:20] if len(query) >= 2 else []
    return render(request, "music/_artist_options.html", {"artists": artists})
