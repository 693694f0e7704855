"""Text normalization that decides when two tracks are the same song."""

import re
import unicodedata

# Bracketed asides: "(feat. X)", "[Remastered 2011]", "(with Justin Bieber)", "(Radio Edit)".
_BRACKETS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
# Everything after " - " is an edition of the same song: "- Remastered 2009", "- Live", "- X Remix".
_EDITION = re.compile(r"\s+[-–—]\s+.*$")
_FEAT = re.compile(r"\s+(feat\.?|ft\.?|featuring)\s+.*$")
_NON_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse white space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _NON_WORD.sub(" ", text).strip()


def song_title(title: str) -> str:
    """The bare song title: no featured artists, no edition, no bracketed asides."""
    bare = _EDITION.sub("", _BRACKETS.sub("", title))
    bare = _FEAT.sub("", bare)
    return fold(bare) or fold(title)


def song_key(title: str, artist: str) -> str:
    """A key equal for the same song by the same main artist, whatever the edition."""
    return f"{song_title(title)}|{fold(artist)}"
