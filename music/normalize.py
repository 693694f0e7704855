"""Text normalization that decides when two tracks are the same song."""

import re
import unicodedata

# Bracketed asides: "(feat. X)", "[Remastered 2011]", "(with Justin Bieber)", "(Radio Edit)".
_BRACKETS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
# Everything after " - " is an edition of the same song: "- Remastered 2009", "- Live", "- X Remix".
_EDITION = re.compile(r"\s+[-–—]\s+.*$")
_FEAT = re.compile(r"\s+(feat\.?|ft\.?|featuring)\s+.*$")
# A remaster note, a version or a year at the end of a folded title, with no dash before it.
_LOOSE_TAIL = re.compile(r"(\s+(remaster(ed)?|(single|album|radio|mono|stereo|original)\s+version|(19|20)\d\d|\d\d))+$")
_NON_WORD = re.compile(r"[^\w]+")
# Track.song_key's max_length: a longer key is cut to this, wherever it is made.
SONG_KEY_MAX_LENGTH = 600


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse white space."""
    if not text.isascii():  # ASCII has no accents to strip: most titles and names, a million an import
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text.casefold()).strip()


def song_title(title: str) -> str:
    """The bare song title: no featured artists, no edition, no bracketed asides."""
    bare = _EDITION.sub("", _BRACKETS.sub("", title))
    bare = _FEAT.sub("", bare)
    return fold(bare) or fold(title)


def song_key(title: str, artist: str) -> str:
    """A key equal for the same song by the same main artist, whatever the edition; as long as stored at most."""
    return join_song_key(song_title(title), fold(artist))


def join_song_key(title: str, artist: str) -> str:
    """The song key of a song title (as `song_title` gives it) and a folded artist name, cut to the stored length."""
    return f"{title}|{artist}"[:SONG_KEY_MAX_LENGTH]


def loose_title(title: str) -> str:
    """A song title (as `song_title` gives it) without a trailing year, remaster note or version, for matching.

    "Here I Go Again 87 - 2018 Remaster" is "here i go again 87" to song_title and "here i go again" here;
    so are "Here I Go Again Remastered 2011" and "Here I Go Again 2009 Remaster". A year is four digits
    from 1900 or any two ("'87" folds to "87"); one digit stays ("Song 2"), and so does a title with nothing
    before the tail ("1999", "22"). This is looser than song_key on purpose and is not stored: "Summer Of 69"
    is not "Summer Of", so a play tries it only when its exact title found nothing (music.streaming_history).
    """
    return _LOOSE_TAIL.sub("", title) or title
