"""Playlists Session Mix saved, seen by the sync: never the user's library; what the user deleted is feedback."""

import pytest
import spotipy
from django.conf import settings

from accounts.sandbox.library import DEMO
from accounts.spotify import SpotifyClient
from mixes.export import marker
from mixes.models import Feedback, MixTrack, PlaylistExport, SessionMix
from music.history import sync_history
from music.models import SpotifySync, TrackAffinity
from tests.factories import ArtistFactory, SessionMixFactory, TrackFactory

pytestmark = pytest.mark.django_db

ITEMS = "/v1/playlists/*/items"


def songs_in_no_playlist(sandbox, count: int) -> list[dict]:
    """Sandbox songs in none of the demo account's own playlists."""
    listed = {uri for playlist in sandbox.world.playlists.values() for uri, _, _ in playlist.items}
    return [song for song in sandbox.catalog if f"spotify:track:{song['id']}" not in listed][:count]


def mix_of(owner, songs: list[dict]) -> SessionMix:
    """A mix of catalog tracks for these sandbox songs, in order."""
    mix = SessionMixFactory(owner=owner)
    artist = ArtistFactory()
    MixTrack.objects.bulk_create(
        MixTrack(
            mix=mix, track=TrackFactory(spotify_id=song["id"], title=song["name"], artist=artist), section=0, position=n
        )
        for n, song in enumerate(songs)
    )
    return mix


def exported(owner, sandbox, songs: list[dict], description: str | None = None, **fields) -> PlaylistExport:
    """A mix saved to Spotify as Save to Spotify leaves it: the playlist in the sandbox, the export row done."""
    mix = mix_of(owner, songs)
    uris = [f"spotify:track:{song['id']}" for song in songs]
    client = SpotifyClient.for_user(owner)
    playlist = client.create_playlist("Tempo Tuesday", marker(mix) if description is None else description, False)
    client.add_items(playlist["id"], uris)
    values = {"name": "Tempo Tuesday", "status": "done", "playlist_id": playlist["id"], "saved_uris": uris, **fields}
    return PlaylistExport.objects.create(mix=mix, **values)


def delete_in_spotify(sandbox, playlist_id: str, uri: str) -> None:
    """The user deletes a track from the playlist in Spotify's own app: DELETE /playlists/{id}/items."""
    users_app = spotipy.Spotify(auth=sandbox.issue_token(DEMO)["access_token"])
    users_app.prefix = f"{settings.SPOTIFY_API_URL}/"
    users_app.playlist_remove_all_occurrences_of_items(playlist_id, [uri])


def removals(user) -> list[tuple[int, str]]:
    return list(Feedback.objects.filter(user=user, kind="removed").values_list("mix_id", "track__spotify_id"))


# Not the user's library ----------------------------------------------------------------------------------


def test_own_playlists_leave_out_a_playlist_with_the_session_mix_marker(connected_user, spotify_sandbox):
    """A playlist whose description ends with "[Session Mix #<id>]" is not read, even with no export row for it."""
    SpotifySync.objects.create(user=connected_user, include_playlists=True)
    songs = songs_in_no_playlist(spotify_sandbox, 3)
    mix = mix_of(connected_user, songs)
    client = SpotifyClient.for_user(connected_user)
    playlist = client.create_playlist("Leg day", f"Made for leg day {marker(mix)}", False)
    client.add_items(playlist["id"], [f"spotify:track:{song['id']}" for song in songs])

    sync_history(connected_user)

    assert spotify_sandbox.count("GET", f"/v1/playlists/{playlist['id']}/items") == 0
    flagged = TrackAffinity.objects.filter(user=connected_user, in_playlists=True)
    assert flagged.exists()
    assert not flagged.filter(track__spotify_id__in=[song["id"] for song in songs]).exists()


def test_own_playlists_leave_out_a_playlist_recorded_as_exported(connected_user, spotify_sandbox):
    """A playlist id a PlaylistExport holds is not read, whatever its description says now."""
    SpotifySync.objects.create(user=connected_user, include_playlists=True)
    songs = songs_in_no_playlist(spotify_sandbox, 3)
    export = exported(connected_user, spotify_sandbox, songs, description="Renamed by me", status="failed")

    sync_history(connected_user)

    assert spotify_sandbox.count("GET", f"/v1/playlists/{export.playlist_id}/items") == 0
    flagged = TrackAffinity.objects.filter(user=connected_user, in_playlists=True)
    assert flagged.exists()
    assert not flagged.filter(track__spotify_id__in=[song["id"] for song in songs]).exists()
