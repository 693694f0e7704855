import re
import time

from django.conf import settings

from accounts.sandbox.catalog import Song, load_catalog
from accounts.sandbox.library import DAY_MS, DEMO, NEWBIE, build_library


def demo_catalog() -> list[Song]:
    """The catalog the sandbox plays, as settings name it."""
    return load_catalog(settings.SPOTIFY_SANDBOX_CATALOG)


def test_ids_are_stable_and_shaped_like_spotifys():
    """Two loads give the same 22-character base62 ids, 12-character ISRCs, all distinct."""
    first, second = demo_catalog(), demo_catalog()
    assert [song.id for song in first] == [song.id for song in second]
    assert all(re.fullmatch(r"[0-9A-Za-z]{22}", song.id) for song in first)
    assert all(re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}", song.isrc) for song in first)
    assert len({song.id for song in first}) == len({song.isrc for song in first}) == len(first) == 504


def test_a_song_with_two_artists_has_both():
    """The CSV's ";"-separated artists become separate artists with their own ids."""
    starboy = next(song for song in demo_catalog() if song.name == "Starboy")
    assert [artist.name for artist in starboy.artists] == ["The Weeknd", "Daft Punk"]
    assert starboy.artists[0].id != starboy.artists[1].id


def test_demo_history_spans_the_last_30_days():
    """The demo account has ~150 plays in the last 30 days, 120 saved tracks, 50 top tracks per range."""
    now = int(time.time() * 1000)
    accounts, playlists = build_library(demo_catalog(), now)
    demo = accounts[DEMO]
    assert 140 <= len(demo.recently_played) <= 150
    assert all(now - 31 * DAY_MS < played_at < now for _, played_at in demo.recently_played)
    assert len(demo.saved_tracks) == 120 and {len(ids) for ids in demo.top_tracks.values()} == {50}
    assert len(accounts[NEWBIE].recently_played) <= 20
    assert sum(playlist.owner_id == DEMO for playlist in playlists.values()) == 2


def test_library_is_seeded():
    """The same clock gives the same history."""
    songs, now = demo_catalog(), int(time.time() * 1000)
    assert build_library(songs, now)[0][DEMO].recently_played == build_library(songs, now)[0][DEMO].recently_played
