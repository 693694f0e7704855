"""The loose title a play tries when its exact title is not in the catalog."""

import pytest

from music.normalize import loose_title, song_title


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
