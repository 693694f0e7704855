from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from music.models import Artist


@login_required
@require_GET
def artist_options(request: HttpRequest) -> HttpResponse:
    """Autocomplete for the comma-separated seed-artist field: catalog artists matching the last name typed."""
    typed = request.GET.get("seed_artists", request.GET.get("q", ""))
    *before, last = typed.split(",")
    query = last.strip()
    prefix = "".join(f"{name.strip()}, " for name in before if name.strip())
    artists = Artist.objects.filter(name__icontains=query).order_by("name")[:20] if len(query) >= 2 else []
    return render(request, "music/_artist_options.html", {"artists": artists, "prefix": prefix})
