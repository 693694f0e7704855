"""Song keys, and the loose title a play tries when its exact title is not in the catalog."""

import pytest

from music.normalize import SONG_KEY_MAX_LENGTH, join_song_key, loose_title, song_key, song_title


@pytest.mark.parametrize(
    ("title", "loose"),
    [
        ("Here I Go Again 87 - 2018 Remaster", "here i go again"),
        ("Here I Go Again 2009 Remaster", "here i go again"),
        ("Yesterday Remastered", "yesterday"),
        ("Hey Jude Mono Version", "hey jude"),
        ("Song 2", "song 2"),
        ("1999", "1999"),
        ("22", "22"),
        ("Radio Version", "radio version"),
    ],
)
def test_loose_title_drops_a_trailing_year_or_remaster_note_but_never_the_whole_title(title, loose):
    """A year, remaster note or version at the end goes; one digit, or a title that is only that, stays."""
    assert loose_title(song_title(title)) == loose


def test_song_key_is_cut_to_the_stored_length():
    """A title too long for Track.song_key gives a key of the stored length, the start of the whole one."""
    key = song_key("la " * 400, "Band")

    assert len(key) == SONG_KEY_MAX_LENGTH
    assert key == f"{song_title('la ' * 400)}|band"[:SONG_KEY_MAX_LENGTH]


def test_a_key_joined_from_its_parts_is_cut_like_song_key():
    """A key built from a stored song title and a folded artist matches song_key, however long."""
    title = "la " * 400

    assert join_song_key(song_title(title), "band") == song_key(title, "Band")
