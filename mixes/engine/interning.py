"""Names as small integers: a pool's artists, songs and genres, numbered in the order first met (mixes.engine.pool).

Artists and genres are the same when their names fold alike (music.normalize.fold: case, accents and punctuation
do not count); songs when their song keys are equal (`music.normalize.song_key` of the title and main artist).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from music.normalize import fold, song_key

# Artist names recur from pool to pool: each is folded once per process (folding is the slow part of building one).
_fold_name = lru_cache(maxsize=1 << 16)(fold)


@dataclass
class Interned:
    """Each track's artists (`artist_ids[artist_ptr[i]:artist_ptr[i + 1]]`, in credit order), song and genre as
    numbers, and the names the numbers stand for (an artist's and a genre's as first met)."""

    artist_names: list[str]
    artist_folded: list[str]
    artist_ptr: np.ndarray
    artist_ids: np.ndarray
    song_id: np.ndarray
    genre_names: list[str]
    genre_id: np.ndarray


def intern(
    keys: Sequence[str],
    titles: Sequence[str],
    artists: Sequence[Sequence[str]],
    songs: Sequence[str],
    genres: Sequence[str],
) -> Interned:
    """Number the artists, songs and genres of these tracks (parallel columns; a song key "" is worked out from the
    title and main artist: the only title read)."""
    artist_index: dict[str, int] = {}
    artist_names: list[str] = []
    song_index: dict[str, int] = {}
    genre_index: dict[str, int] = {}
    genre_names: list[str] = []
    genre_ids: list[int] = []
    ptr = [0]
    flat: list[int] = []
    song_ids: list[int] = []
    folded_genres: dict[str, str] = {}
    if len(titles) != len(keys):
        raise ValueError("intern() takes parallel columns: as many titles as keys.")
    for i, (key, names, song, genre) in enumerate(zip(keys, artists, songs, genres, strict=True)):
        for name in names:
            folded = _fold_name(name)
            if not folded:
                continue
            if folded not in artist_index:
                artist_index[folded] = len(artist_names)
                artist_names.append(name)
            flat.append(artist_index[folded])
        ptr.append(len(flat))
        if not song:
            title = titles[i]
            main = names[0] if names else ""
            # A track without a title cannot be matched with another: it is its own song.
            song = song_key(title, main) if fold(title) else f"#{key}"
        song_ids.append(song_index.setdefault(song, len(song_index)))
        folded_genre = folded_genres.get(genre)
        if folded_genre is None:
            folded_genre = folded_genres[genre] = fold(genre)
        if folded_genre not in genre_index:
            genre_index[folded_genre] = len(genre_names)
            genre_names.append(genre.strip())
        genre_ids.append(genre_index[folded_genre])
    return Interned(
        artist_names=artist_names,
        artist_folded=list(artist_index),
        artist_ptr=np.array(ptr, dtype=np.int64),
        artist_ids=np.array(flat, dtype=np.int64),
        song_id=np.array(song_ids, dtype=np.int64),
        genre_names=genre_names,
        genre_id=np.array(genre_ids, dtype=np.int64),
    )
