"""Album art: the smallest cover Spotify gives a track is kept on the catalog row, from a sync and from a search."""

import pytest

from music.history import sync_history
from music.models import Track
from music.resolve import resolve_spotify_ids
from music.spotify_tracks import save_spotify_tracks, smallest_image_url
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db


def smallest_cover(sandbox, song: dict) -> str:
    """The URL of the 64 px cover the sandbox gives the song's album (Spotify's sizes: 640, 300, 64)."""
    return f"{sandbox.url}/covers/{song['album_id']}/64"


def track_object(image_sizes: list[int | None]) -> dict:
    """A minimal Spotify track object whose album has images of these widths, in this order."""
    images = [{"url": f"https://i.scdn.co/image/{width}", "width": width, "height": width} for width in image_sizes]
    return {
        "id": "4iV5W9uYEdYUVa79Axb7Rh",
        "type": "track",
        "name": "Cover Song",
        "duration_ms": 200_000,
        "artists": [{"name": "Cover Band", "id": "0TnOYISbd1XYRBk9myaseg"}],
        "album": {"name": "Covers", "images": images},
    }


def test_smallest_image_is_the_narrowest_whatever_the_order():
    """Of 300, 64 and 640 px images (and one without a width) the 64 px one is picked."""
    images = track_object([300, None, 64, 640])["album"]["images"]
    assert smallest_image_url(images) == "https://i.scdn.co/image/64"


def test_no_images_means_no_url():
    """An album without images (or with unusable ones) gives no URL."""
    assert smallest_image_url([]) == smallest_image_url(None) == smallest_image_url([{"url": "data:x"}]) == ""


def test_saved_track_object_keeps_the_smallest_image():
    """A track object made a catalog row stores its album's smallest image URL."""
    save_spotify_tracks([track_object([640, 300, 64])])
    assert Track.objects.get().image_url == "https://i.scdn.co/image/64"


def test_a_later_answer_without_images_keeps_the_cover():
    """A track object without images does not wipe a cover stored before."""
    save_spotify_tracks([track_object([640, 64])])
    save_spotify_tracks([track_object([])])
    assert Track.objects.get().image_url == "https://i.scdn.co/image/64"


def test_a_sync_stores_the_smallest_cover_of_each_track(connected_user, spotify_sandbox):
    """Every track a history sync brings in carries its album's smallest cover from the sandbox."""
    sync_history(connected_user)

    songs = {song["id"]: song for song in spotify_sandbox.catalog}
    tracks = list(Track.objects.exclude(spotify_id=None))
    assert tracks
    assert all(track.image_url == smallest_cover(spotify_sandbox, songs[track.spotify_id]) for track in tracks)


def test_resolve_stores_the_matchs_smallest_cover(connected_user, spotify_sandbox):
    """A catalog track found by search gets the match's smallest cover along with its id."""
    song = spotify_sandbox.catalog[0]
    track = TrackFactory(spotify_id=None, title=song["name"], artist=ArtistFactory(name=song["artists"][0]))

    resolve_spotify_ids(connected_user, [track])

    track.refresh_from_db()
    assert (track.spotify_id, track.image_url) == (song["id"], smallest_cover(spotify_sandbox, song))
