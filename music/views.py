"""The catalog's small endpoints and "My music": the Spotify sync, its progress, the streaming-history upload.

Everything is the signed-in person's own: their sync state, their counts, their plays.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.spotify import is_connected
from music.context import sync_status_context
from music.features import tracks_without_tempo
from music.forms import ArtistOptionsForm, NextForm, StreamingHistoryForm, SyncSettingsForm
from music.history import history_track_ids, library_counts
from music.models import Artist, HistoryUpload, SpotifySync, Track
from music.tasks import enqueue_sync, enqueue_upload

LIBRARY = "music/library.html"
SYNC_STATUS = "music/_sync_status.html"
UPLOAD = "music/_history_upload.html"


@login_required
@require_GET
def artist_options(request: HttpRequest) -> HttpResponse:
    """Autocomplete for a comma-separated artist field: catalog artists matching the last name typed.

    `field` names the parameter holding what was typed (htmx sends the input under its own name);
    `list` is the id of the datalist to answer with.
    """
    typed, list_id = ArtistOptionsForm(request.GET).answer()
    *before, last = typed.split(",")
    query = last.strip()
    prefix = "".join(f"{name.strip()}, " for name in before if name.strip())
    artists = Artist.objects.filter(name__icontains=query).order_by("name")[:20] if len(query) >= 2 else []
    context = {"artists": artists, "prefix": prefix, "list_id": list_id}
    return render(request, "music/_artist_options.html", context)


# My music ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    """My music: the Spotify connection and sync, what the history holds, the streaming-history upload."""
    if request.htmx and request.htmx.target == "history-upload":  # the upload card polling its progress, each second
        card = {"upload": HistoryUpload.latest_of(request.user), "upload_form": StreamingHistoryForm()}
        return _upload_response(request, card)
    context = _library_context(request, upload_form=StreamingHistoryForm())
    if request.htmx and request.htmx.target == "library-counts":
        return render(request, f"{LIBRARY}#counts", context)
    return render(request, LIBRARY, context)


def _library_context(request: HttpRequest, **extra) -> dict:
    user = request.user
    sync = SpotifySync.objects.filter(user=user).first()
    mine = Track.objects.filter(pk__in=history_track_ids(user))
    return {
        **sync_status_context(request.user),
        "counts": library_counts(user),
        "my_without_tempo": tracks_without_tempo(mine),
        "catalog_tracks": Track.objects.visible_to(user).count(),
        "catalog_without_tempo": tracks_without_tempo(Track.objects.visible_to(user)),
        "settings_form": SyncSettingsForm(instance=sync or SpotifySync(user=user)),
        "upload": HistoryUpload.latest_of(user),
        **extra,
    }


def _upload_response(request: HttpRequest, context: dict) -> HttpResponse:
    """The upload card; a finished import tells the page (event `music-synced`) to refresh its counts."""
    response = render(request, UPLOAD, context)
    upload = context["upload"]
    if upload is not None and upload.status == HistoryUpload.Status.DONE:
        trigger_client_event(response, "music-synced")
    return response


def _status_response(request: HttpRequest) -> HttpResponse:
    """The sync-status fragment; a finished sync tells the page (event `music-synced`) to refresh its counts."""
    context = sync_status_context(request.user)
    response = render(request, SYNC_STATUS, context)
    if context["sync"] is not None and context["sync"].status == SpotifySync.Status.DONE:
        trigger_client_event(response, "music-synced")
    return response


@login_required
@require_POST
def sync(request: HttpRequest) -> HttpResponse:
    """Refresh my music: queue a sync (one at a time) and answer with the polling progress fragment."""
    queued = enqueue_sync(request.user)
    if request.htmx:
        return _status_response(request)
    if not queued and not is_connected(request.user):
        messages.error(request, "Connect Spotify first, then refresh your music.")
    return redirect(NextForm(request.POST, request=request).target("music:library"))


@login_required
@require_GET
def sync_status(request: HttpRequest) -> HttpResponse:
    """The progress fragment, polled every second while a sync is under way."""
    if not request.htmx:
        return redirect("music:library")
    return _status_response(request)


@login_required
@require_POST
def sync_settings(request: HttpRequest) -> HttpResponse:
    """Whether the user's own playlists count as history."""
    state = SpotifySync.of(request.user)
    form = SyncSettingsForm(request.POST, instance=state)
    if form.is_valid():
        state.save(update_fields=form.changed_data or ["include_playlists"])  # never a running sync's state
        messages.success(request, "Saved. The next sync uses it.")
    return redirect("music:library")


@login_required
@require_POST
def upload_history(request: HttpRequest) -> HttpResponse:
    """Store Spotify's streaming-history export and import it in the background; answer at once.

    One upload at a time: a second while one is being imported is refused by the field. With no worker
    (tasks run eagerly) the import has finished by the time the job comes back: a bad file is then
    named next to the field (422), as it was before uploads ran in the background.
    """
    form = StreamingHistoryForm(request.POST, request.FILES)
    if form.is_valid():
        job = enqueue_upload(request.user, form.cleaned_data["files"])
        if job is None:
            form.add_error("files", HistoryUpload.BUSY_MESSAGE)
        elif job.status == HistoryUpload.Status.FAILED:
            form.add_error("files", job.message)
        else:
            if job.status == HistoryUpload.Status.DONE:
                messages.success(request, job.message)
            return redirect("music:library")  # the upload card shows the progress, polling itself
    return render(request, LIBRARY, _library_context(request, upload_form=form), status=422)
