"""Playlists Session Mix saved, seen by the sync: never the user's library; what the user deleted is feedback."""

from datetime import timedelta

import pytest
import spotipy
from django.conf import settings
from django.utils import timezone

from accounts.sandbox.library import DEMO
from accounts.spotify import SpotifyClient
from mixes.export import marker
from mixes.models import Feedback, MixTrack, PlaylistExport, SessionMix
from mixes.pools import load_pool
from music.history import sync_history
from music.models import SpotifySync, Track, TrackAffinity
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


def exported(owner, sandbox, songs: list[dict], description: str = "", **fields) -> PlaylistExport:
    """A mix saved to Spotify as Save to Spotify leaves it: the playlist in the sandbox, the export row done."""
    mix = mix_of(owner, songs)
    uris = [f"spotify:track:{song['id']}" for song in songs]
    client = SpotifyClient(owner)
    playlist = client.create_playlist("Tempo Tuesday", description, False)
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


def assert_left_out(user, sandbox, playlist_id: str, songs: list[dict]) -> None:
    """The playlist's items were never read, and its songs are not flagged as in the user's playlists."""
    assert sandbox.count("GET", f"/v1/playlists/{playlist_id}/items") == 0
    flagged = TrackAffinity.objects.filter(user=user, in_playlists=True)
    assert flagged.exists()
    assert not flagged.filter(track__spotify_id__in=[song["id"] for song in songs]).exists()


# Not the user's library ----------------------------------------------------------------------------------


def test_own_playlists_leave_out_a_playlist_with_the_session_mix_marker(connected_user, spotify_sandbox):
    """A playlist an older save marked "[Session Mix #<id>]" is not read, even with no export row for it."""
    SpotifySync.objects.create(user=connected_user, include_playlists=True)
    songs = songs_in_no_playlist(spotify_sandbox, 3)
    mix = mix_of(connected_user, songs)
    client = SpotifyClient(connected_user)
    playlist = client.create_playlist("Leg day", f"Made for leg day {marker(mix)}", False)
    client.add_items(playlist["id"], [f"spotify:track:{song['id']}" for song in songs])

    sync_history(connected_user)

    assert_left_out(connected_user, spotify_sandbox, playlist["id"], songs)


def test_own_playlists_leave_out_a_playlist_recorded_as_exported(connected_user, spotify_sandbox):
    """A playlist id a PlaylistExport holds is not read, whatever its description says now."""
    SpotifySync.objects.create(user=connected_user, include_playlists=True)
    songs = songs_in_no_playlist(spotify_sandbox, 3)
    export = exported(connected_user, spotify_sandbox, songs, description="Renamed by me", status="failed")

    sync_history(connected_user)

    assert_left_out(connected_user, spotify_sandbox, export.playlist_id, songs)


def test_own_playlists_read_the_users_playlist_named_like_an_export(connected_user, spotify_sandbox):
    """Without a stored id or an old marker, a playlist is the user's, even named like a save: its tracks count."""
    SpotifySync.objects.create(user=connected_user, include_playlists=True)
    songs = songs_in_no_playlist(spotify_sandbox, 3)
    exported(connected_user, spotify_sandbox, songs[:1])
    client = SpotifyClient(connected_user)
    theirs = client.create_playlist("Tempo Tuesday", "", False)
    client.add_items(theirs["id"], [f"spotify:track:{song['id']}" for song in songs[1:]])

    sync_history(connected_user)

    assert spotify_sandbox.count("GET", f"/v1/playlists/{theirs['id']}/items") == 1
    flagged = TrackAffinity.objects.filter(user=connected_user, in_playlists=True)
    assert flagged.filter(track__spotify_id__in=[song["id"] for song in songs[1:]]).count() == 2


# Deleted from the exported playlist -----------------------------------------------------------------------


def test_a_track_deleted_from_an_exported_playlist_is_recorded_once(connected_user, spotify_sandbox):
    """The user deletes a track in Spotify: one REMOVED feedback on that mix, and a second sync adds none."""
    songs = spotify_sandbox.catalog[:5]
    export = exported(connected_user, spotify_sandbox, songs)
    delete_in_spotify(spotify_sandbox, export.playlist_id, f"spotify:track:{songs[2]['id']}")

    first = sync_history(connected_user)
    sync_history(connected_user)

    assert first.step_counts["exports"] == 1
    assert removals(connected_user) == [(export.mix_id, songs[2]["id"])]


def test_the_scorer_counts_a_track_deleted_from_an_exported_playlist(connected_user, spotify_sandbox):
    """The removal reaches the scorer's pool like a removal in the app."""
    songs = spotify_sandbox.catalog[:4]
    export = exported(connected_user, spotify_sandbox, songs)
    delete_in_spotify(spotify_sandbox, export.playlist_id, f"spotify:track:{songs[0]['id']}")

    sync_history(connected_user)

    pool = load_pool(connected_user)
    deleted, kept = (Track.objects.get(spotify_id=songs[n]["id"]) for n in (0, 1))
    assert pool.track_at(pool.keys.index(str(deleted.pk))).removed == 1
    assert pool.track_at(pool.keys.index(str(kept.pk))).removed == 0


def test_an_exported_playlist_the_user_deleted_is_passed_over(connected_user, spotify_sandbox):
    """A playlist gone from Spotify (404) teaches nothing and does not fail the sync."""
    export = exported(connected_user, spotify_sandbox, spotify_sandbox.catalog[:3])
    spotify_sandbox.delete_playlist(export.playlist_id)

    report = sync_history(connected_user)

    assert report.step_counts["exports"] == 0
    assert not Feedback.objects.exists()
    assert SpotifySync.objects.get(user=connected_user).status == "done"


def test_each_recent_export_costs_one_items_read_and_older_ones_none(connected_user, spotify_sandbox):
    """Two playlists saved this month are read once each; one saved 31 days ago is not read."""
    catalog = spotify_sandbox.catalog
    recent = [exported(connected_user, spotify_sandbox, catalog[n : n + 3]) for n in (0, 3)]
    old = exported(connected_user, spotify_sandbox, catalog[6:9])
    PlaylistExport.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))

    sync_history(connected_user)

    assert spotify_sandbox.count("GET", ITEMS) == 2
    assert {spotify_sandbox.count("GET", f"/v1/playlists/{e.playlist_id}/items") for e in recent} == {1}
