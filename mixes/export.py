"""Save to Spotify, exactly once.

One PlaylistExport per mix remembers the playlist. The rules that keep it to one playlist
with each track once, in order:
- a save already queued or running is not queued again (double clicks);
- the playlist is created under a row lock and its id stored in the same transaction, so a
  second worker waits and then finds it instead of creating another;
- items are written as "replace the first 100, append the rest": repeating the whole write
  (a retried task, a worker that died half-way) gives the same playlist, never duplicates;
- a retry after a crash that lost the new id finds the playlist by its marker before creating;
- a playlist the user deleted in Spotify is made again.
A new playlist costs one create plus ceil(N/100) add-items calls.
"""

from __future__ import annotations

from django.db import transaction

from accounts.spotify import ITEMS_PER_REQUEST, SpotifyClient
from mixes.models import PlaylistExport, SessionMix
from music.resolve import resolve_spotify_ids

Status = PlaylistExport.Status


def marker(mix: SessionMix) -> str:
    """Ends the playlist description; lets a retry recognise a playlist it created but lost track of."""
    return f"[Session Mix #{mix.pk}]"


def request_save(mix: SessionMix, *, name: str, description: str, public: bool) -> tuple[PlaylistExport, bool]:
    """Queue a save of the mix; (export, queued). A save already queued or running is left alone."""
    from mixes.tasks import save_playlist_task

    with transaction.atomic():
        export, _ = PlaylistExport.objects.select_for_update().get_or_create(mix=mix, defaults={"name": name})
        if export.active:
            return export, False
        export.name, export.description, export.public = name, description, public
        export.status, export.progress, export.message = Status.QUEUED, 0, "Waiting for Spotify…"
        export.attempts = 0
        export.save()
        transaction.on_commit(lambda: save_playlist_task.delay(export.pk))
    return export, True


def save_playlist(export: PlaylistExport) -> PlaylistExport:
    """Write the mix to its Spotify playlist. Safe to run again at any point; raises SpotifyError."""
    mix = export.mix
    PlaylistExport.objects.filter(pk=export.pk).update(attempts=export.attempts + 1)
    export.attempts += 1
    export.report(Status.RUNNING, "Finding your tracks on Spotify…", progress=5)
    client = SpotifyClient.for_user(mix.owner)

    items = list(mix.tracks.select_related("track").order_by("position"))
    report = resolve_spotify_ids(mix.owner, [item.track for item in items if not item.track.spotify_id])
    resolved = {track.pk: track for track in report.resolved}
    uris = []
    for item in items:
        track = resolved.get(item.track_id, item.track)
        if track.spotify_id:
            uris.append(f"spotify:track:{track.spotify_id}")
    export.unresolved = [f"{track.title} — {track.artist_names}" for track in report.unresolved]
    export.report(Status.RUNNING, "Making the playlist…", progress=20)

    playlist_id, created = _ensure_playlist(client, export)
    chunks = [uris[i : i + ITEMS_PER_REQUEST] for i in range(0, len(uris), ITEMS_PER_REQUEST)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        if number == 1 and not created:
            client.replace_items(playlist_id, chunk)
        elif chunk:
            client.add_items(playlist_id, chunk)
        done = min(number * ITEMS_PER_REQUEST, len(uris))
        export.report(Status.RUNNING, f"Adding tracks ({done} of {len(uris)})…", 20 + 80 * number // len(chunks))

    export.saved_uris = uris
    export.status, export.progress = Status.DONE, 100
    export.message = f"Saved {len(uris)} tracks to Spotify."
    export.save(update_fields=["saved_uris", "unresolved", "status", "progress", "message", "updated_at"])
    SessionMix.objects.filter(pk=mix.pk).update(status=SessionMix.Status.SAVED)
    return export


def _ensure_playlist(client: SpotifyClient, export: PlaylistExport) -> tuple[str, bool]:
    """(id, created) of the mix's playlist, made now if there is none or the user deleted it."""
    description = f"{export.description} {marker(export.mix)}".strip()
    with transaction.atomic():
        playlist_id = PlaylistExport.objects.select_for_update().get(pk=export.pk).playlist_id
        playlist = client.playlist(playlist_id) if playlist_id else None
        if playlist is None and export.attempts > 1:
            playlist = _find_by_marker(client, export.mix)
        created = playlist is None
        if created:
            playlist = client.create_playlist(export.name, description, export.public)
        elif (playlist.get("name"), playlist.get("public"), playlist.get("description")) != (
            export.name,
            export.public,
            description,
        ):
            client.change_playlist(playlist["id"], export.name, description, export.public)
        export.playlist_id = playlist["id"]
        export.playlist_url = (playlist.get("external_urls") or {}).get("spotify", "")
        PlaylistExport.objects.filter(pk=export.pk).update(
            playlist_id=export.playlist_id, playlist_url=export.playlist_url
        )
    return export.playlist_id, created


def _find_by_marker(client: SpotifyClient, mix: SessionMix) -> dict | None:
    """The user's playlist whose description ends with this mix's marker, if a lost attempt made one."""
    return next(
        (p for p in client.my_playlists() if (p.get("description") or "").endswith(marker(mix))),
        None,
    )
