"""Facts the sandbox holds apart from the app (it plays Spotify and trusts none of our code), pinned to the app's."""

import pytest
from django.conf import settings

from accounts import spotify
from accounts.sandbox import catalog, library, stand_ins
from accounts.sandbox.webapi import me, playlists, shared, tracks
from music import features, history, normalize

# Accents, case, punctuation, white space, "feat." and editions (fold keeps their words), other scripts.
FOLD_CASES = [
    "Beyoncé",
    "CAFÉ DEL MAR",
    "Sigur Rós",
    "Mötley Crüe",
    "Ñandú",
    "Straße",
    "İstanbul",
    "Œuvre",
    "Ø",
    "Don't Stop Me Now",
    "P!nk",
    "AC/DC",
    "Guns N' Roses",
    "…Ready for It?",
    "Starboy (feat. Daft Punk)",
    "Song ft. Someone & Another",
    "Blinding Lights - Remastered 2011",
    "Despacito – Remix",
    "Here I Go Again '87",
    "R&B",
    "hip-hop",
    "snake_case_title",
    "  leading and   inner\twhite space  ",
    "ﬁnal ﬂight",
    "Ｆｕｌｌｗｉｄｔｈ",
    "½ Full",
    "Москва",
    "Ελλάδα",
    "日本語の歌",
    "123 456",
    "!!!",
    "",
]


@pytest.mark.parametrize("text", FOLD_CASES)
def test_sandbox_fold_is_the_apps(text):
    """The sandbox's fold (what its search compares) gives what music.normalize.fold gives."""
    assert catalog.fold(text) == normalize.fold(text)


def test_sandbox_fold_is_the_apps_on_the_whole_catalog():
    """Every title, artist, album and genre of the catalog the sandbox plays folds the same both ways."""
    songs = catalog.load_catalog(settings.SPOTIFY_SANDBOX_CATALOG)
    texts = {text for song in songs for text in (song.name, song.album.name, song.genre)}
    texts |= {artist.name for song in songs for artist in song.artists}
    assert [text for text in sorted(texts) if catalog.fold(text) != normalize.fold(text)] == []


@pytest.mark.parametrize(
    ("app", "sandbox"),
    [
        pytest.param(spotify.PAGE, shared.PAGE_MAX, id="page"),
        pytest.param(spotify.SEARCH_LIMIT, tracks.SEARCH_MAX, id="search"),
        pytest.param(spotify.ITEMS_PER_REQUEST, playlists.ITEMS_PER_REQUEST, id="items-per-request"),
        pytest.param(spotify.LIBRARY_URIS, me.LIBRARY_URIS_MAX, id="library-uris"),
        pytest.param(features.RECCOBEATS_BATCH, stand_ins.RECCOBEATS_MAX_IDS, id="reccobeats-ids"),
        pytest.param(history.TOP_RANGES, library.TIME_RANGES, id="top-time-ranges"),
    ],
)
def test_the_apps_spotify_limits_are_the_sandboxs(app, sandbox):
    """Each limit the app keeps for Spotify or ReccoBeats is the one the sandbox enforces."""
    assert app == sandbox
