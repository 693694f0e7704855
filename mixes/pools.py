"""What the engine reads from the database: tracks as a Pool, with what one person's history, feedback, Master
Lists and taste model say about each track; their preferences. Generate and a swap read the tracks that can matter
near the plan or the slot (mixes.nearby) and the person's own, never the whole catalog (load_pool without `only`
reads that: the benchmark's yardstick). Reads only; everything that writes is in mixes.services and mixes.taste.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from django.db.models import Count, Q
from django.db.models.functions import Substr

from mixes import nearby
from mixes.engine.candidates import Piece, pieces, slot_piece
from mixes.engine.plan import PlanSpec
from mixes.engine.pool import TASTE_ARRAYS, Pool, list_bit
from mixes.engine.scorer import Preferences, Weights
from mixes.engine.taste import Taste
from mixes.models import Feedback, SessionMix, TasteProfile
from music.bulk import id_list
from music.models import Artist, MasterList, MasterListEntry, MusicPreferences, Track, TrackAffinity, TrackArtist
from music.models.catalog import SONG_COPIED

# The columns of the Pool arrays only the taste model reads (TASTE_ARRAYS): the track's year, the rest its features'.
TASTE_COLUMNS = tuple(name if name == "release_year" else f"features__{name}" for name in TASTE_ARRAYS)
# Feedback that counts against a track: taken out of a mix by hand.
REJECTIONS = (Feedback.Kind.REMOVED, Feedback.Kind.SWAPPED)
# Tracks Generate reads for each section near its targets: as many as the engine keeps of a section
# (mixes.engine.candidates.CANDIDATES). Measured with bench_scale's comparison: 600 lost taste, 1,500 gained nothing.
NEAR_PER_SECTION = 1000
# The artists a person's taste model likes most whose every track Generate reads (those of the one search ranks).
LIKED_ARTISTS = 50
# Tracks a swap reads near its slot's target: the best of them by the search's estimate, for one slot.
SWAP_CANDIDATES = 300


def load_pool(
    user=None,
    *,
    only: Q | None = None,
    near: dict[int, tuple] | None = None,
    taste: bool | dict | None = True,
    taste_features: bool = False,
) -> Pool:
    """Catalog tracks as candidates, with what the user's history and feedback say about them, and their taste model.

    Every track the user may see without `only` (the whole catalog: the benchmark's yardstick, small tools); `only`
    narrows it (a mix's own tracks, the person's own); `near` adds tracks already read from the search index
    (mixes.nearby.search: nothing of them is read again but the names of their artists; a title when asked for). A
    handful of queries, whatever the catalog's size; rows go into arrays without model instances. `taste`: True
    reads the person's stored taste model, False applies none, a stored model (or None: they have none) saves
    reading it again. The features only the taste model reads are loaded when there is a model to apply (or
    `taste_features`: the evidence the model is fitted to).
    """
    tracks = Track.objects.visible_to(user)
    if only is not None:
        tracks = tracks.filter(only)
    model = taste_model(user) if taste is True else taste or None
    extra_columns = TASTE_COLUMNS if model or taste_features else ()
    own = tracks.order_by().values_list(
        "pk",
        "title",
        "artist_names",
        Substr("song_key", 1, SONG_COPIED),  # as the search reads it
        "features__track_artists",
        "genre",
        "duration_ms",
        "explicit",
        "features__tempo",
        "features__energy",
        "features__valence",
        "features__danceability",
        *extra_columns,
    )  # fmt: skip
    columns = _columns(list(own), near or {}, len(extra_columns))
    # In the tracks' order (a pool's order decides between equals: the same tracks, the same mix).
    order = np.argsort(columns.ids, kind="stable")
    ids = columns.ids[order].tolist()
    position = {pk: i for i, pk in enumerate(ids)}
    n = len(ids)
    songs, credited, genres = (np.array(values, dtype=object)[order] for values in columns.texts)
    titles, artist_names = ([values[i] for i in order.tolist()] for values in (columns.titles, columns.artist_names))
    numbers = columns.numbers[:, order]
    # Credits are artist ids, comma-separated (music.search_copies); a track without any is its artist names'.
    names = _artist_names(credited)
    artists = [
        [names[a] for a in c.split(",")] if c else [shown] for c, shown in zip(credited, artist_names, strict=True)
    ]
    listed = np.zeros(n, dtype=np.int64)
    # Every entry of the lists the person may use (bounded by the lists' sizes, not the catalog's).
    entries = MasterListEntry.objects.filter(master_list__in=MasterList.objects.visible_to(user))
    for track_id, kind in entries.values_list("track_id", "master_list__phase_kind"):
        i = position.get(track_id)
        if i is not None:
            listed[i] |= list_bit(kind)
    tempo = numbers[2]
    person = _person(user, position, tempo)
    pool = Pool.from_columns(
        keys=[str(pk) for pk in ids],
        titles=Titles(ids, titles),
        artists=artists,
        songs=songs.tolist(),
        genres=genres.tolist(),
        duration_s=numbers[0] / 1000,
        explicit=numbers[1] > 0,
        tempo=tempo,
        energy=numbers[3],
        valence=numbers[4],
        danceability=numbers[5],
        listed=listed,
        **person,
    )
    if extra_columns:
        # Nothing but the taste model reads these.
        pool.add_features(**{name: numbers[6 + i] for i, name in enumerate(TASTE_ARRAYS)})
    if model:
        pool.taste = Taste.from_dict(model).bind(pool)
    return pool


@dataclass
class _Columns:
    """The tracks read, column by column, in no order: ids; song keys, credits and genres (`texts`); titles and
    artist names (None and "" for most of the search's: never needed); `numbers`, one row per column."""

    ids: np.ndarray
    texts: tuple[tuple, tuple, tuple]
    titles: list[str | None]
    artist_names: list[str]
    numbers: np.ndarray


def _columns(own: list[tuple], near: dict[int, tuple], extra: int) -> _Columns:
    """The tracks read from the tracks table (`own`, in load_pool's columns) and those of the search not among them
    (as the search hands them back: mixes.nearby.COLUMNS, the same columns but the title and artist names), with
    the title and artist names of the few that have no song key or credits (made outside the catalog's writers),
    which stand in for them."""
    width = 6 + extra  # the numbers: length, explicit, tempo, energy, valence, danceability, then the taste's
    mine = list(zip(*own, strict=True)) or [()] * (6 + width)
    read = set(mine[0])
    found = [row for pk, row in near.items() if pk not in read]
    theirs = list(zip(*found, strict=True)) or [()] * len(nearby.COLUMNS)
    bare = [row[0] for row in found if not (row[1] and row[2])]
    texts = {}
    if bare:
        texts = {
            pk: (title, shown)
            for pk, title, shown in Track.objects.filter(pk__in=id_list(bare)).values_list(
                "pk", "title", "artist_names"
            )
        }
    stand_ins = [texts.get(pk, (None, "")) for pk in theirs[0]]
    numbers = np.array(mine[6 : 6 + width], dtype=np.float64).reshape(width, len(own))  # None: nan
    found_numbers = np.array(theirs[4 : 4 + width], dtype=np.float64).reshape(width, len(found))
    return _Columns(
        ids=np.array(mine[0] + theirs[0], dtype=np.int64),
        texts=(mine[3] + theirs[1], mine[4] + theirs[2], mine[5] + theirs[3]),
        titles=[*mine[1], *(title for title, _ in stand_ins)],
        artist_names=[*mine[2], *(shown for _, shown in stand_ins)],
        numbers=np.concatenate([numbers, found_numbers], axis=1),
    )


def _artist_names(credited) -> dict[str, str]:
    """The names of the artists credited (ids, comma-separated), by id as written there."""
    wanted = {int(pk) for pk in ",".join(c for c in credited if c).split(",") if pk}
    if not wanted:
        return {}
    return {str(pk): name for pk, name in Artist.objects.filter(pk__in=id_list(wanted)).values_list("pk", "name")}


class Titles(Sequence[str]):
    """A pool's titles, by index: those of the tracks the search found (which it does not hand back) read from the
    tracks when one is asked for (a seed's note, a command's listing), one at a time: few ever are."""

    def __init__(self, ids: list[int], titles: list[str | None]):
        self._ids = ids
        self._titles = titles

    def __len__(self) -> int:
        return len(self._titles)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        title = self._titles[index]
        if title is None:
            title = self._titles[index] = Track.objects.filter(pk=self._ids[index]).values_list("title", flat=True)[0]
        return title


def _person(user, position: dict[int, int], tempo: np.ndarray) -> dict[str, np.ndarray]:
    """What the user's history and feedback say about the tracks at these positions, as Pool arrays; their own
    tempo fixes are written into `tempo`."""
    n = len(position)
    plays, skips, removed = np.zeros(n), np.zeros(n), np.zeros(n)
    liked, saved, top = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if user is not None:
        rows = TrackAffinity.objects.for_user(user).values_list(
            "track_id", "play_count", "skip_count", "liked", "saved", "in_playlists", "top_rank", "tempo_override"
        )
        for track_id, play_count, skip_count, like, save, in_playlists, top_rank, tempo_override in rows:
            i = position.get(track_id)
            if i is None:
                continue
            plays[i], skips[i], liked[i] = play_count, skip_count, like
            saved[i], top[i] = save or in_playlists, top_rank is not None
            if tempo_override is not None:
                tempo[i] = tempo_override
        rejections = (
            Feedback.objects.filter(user=user, kind__in=REJECTIONS)
            .values("track_id")
            .annotate(n=Count("id"))
            .values_list("track_id", "n")
        )
        for track_id, count in rejections:
            i = position.get(track_id)
            if i is not None:
                removed[i] = count
    return {"plays": plays, "skips": skips, "removed": removed, "liked": liked, "saved": saved, "top": top}


def plan_pool(
    user,
    plan: PlanSpec,
    prefs: Preferences,
    weights: Weights,
    keep: Iterable[int] = (),
    per_section: int = NEAR_PER_SECTION,
) -> Pool:
    """The pool Generate hands the engine: the tracks that can matter near each section's targets (mixes.nearby),
    and every track the person knows or has feedback on, the Master Lists of the plan's phase kinds, the tracks of
    the seed artists and of the artists their taste likes most, and `keep` (a regeneration's locked tracks). Its
    size follows the plan and the person, never the catalog."""
    return pool_near(user, pieces(plan, per_section), prefs, weights, keep)


def slot_pool(
    user,
    plan: PlanSpec,
    section: int,
    start_s: float,
    duration_s: float,
    prefs: Preferences,
    weights: Weights,
    keep: Iterable[int],
) -> Pool:
    """A swap's pool: the tracks that can matter at one slot (its target over [start_s, start_s + duration_s]),
    the person's own as for a plan, and `keep` (the mix's tracks)."""
    piece = slot_piece(plan, section, start_s, duration_s, SWAP_CANDIDATES)
    return pool_near(user, [piece], prefs, weights, keep)


def pool_near(user, near: list[Piece], prefs: Preferences, weights: Weights, keep: Iterable[int] = ()) -> Pool:
    """The tracks that can matter near these pieces (mixes.nearby), the person's own, the Master Lists of the
    pieces' kinds, the seed artists' tracks and `keep`; the last ones through one subquery (a UNION of each kind)."""
    model = taste_model(user)
    taste = Taste.from_dict(model) if model and weights.taste else None
    found = nearby.search(near, weights, prefs, taste)
    lists = MasterList.objects.visible_to(user).filter(phase_kind__in={piece.kind for piece in near})
    theirs = MasterListEntry.objects.filter(master_list__in=lists).values("track_id")
    if user is not None:
        theirs = theirs.union(
            TrackAffinity.objects.for_user(user).values("track_id"),
            Feedback.objects.filter(user=user).values("track_id"),
        )
    # The artists' part of taste is the one the search cannot rank by: the tracks of the artists liked most come in.
    if artists := set(prefs.seed_artists) | (liked_artists(taste) if taste is not None else set()):
        theirs = theirs.union(TrackArtist.objects.filter(artist__name__in=artists).values("track_id"))
    if keep := list(keep):
        theirs = theirs.union(Track.objects.filter(pk__in=keep).values("pk"))
    return load_pool(user, only=Q(pk__in=theirs), near=found, taste=model)


def liked_artists(taste: Taste, most: int = LIKED_ARTISTS) -> set[str]:
    """The names of the artists the taste model likes most (a clear liking: mixes.engine.taste.Taste.learned)."""
    liked = [item for item in taste.learned() if item.kind == "artist" and item.liked]
    return {item.name for item in liked[:most]}


def taste_model(user) -> dict | None:
    """The person's stored taste model (JSON), if any."""
    if user is None:
        return None
    return TasteProfile.objects.filter(user=user).values_list("model", flat=True).first()


def preferences_for(user, mix: SessionMix | None = None) -> Preferences:
    """The engine's view of a user's preferences, with a mix's own seeds where given."""
    prefs = MusicPreferences.of(user)
    excluded = frozenset(prefs.excluded_artists.values_list("name", flat=True))
    if mix is None:
        return Preferences(
            seed_artists=frozenset(prefs.seed_artists.values_list("name", flat=True)),
            seed_genres=frozenset(prefs.seed_genres),
            excluded_artists=excluded,
            familiarity=prefs.familiarity,
            explicit_allowed=prefs.explicit_allowed,
        )
    return Preferences(
        seed_artists=frozenset(mix.seed_artists),
        seed_genres=frozenset(mix.seed_genres),
        excluded_artists=excluded,
        familiarity=mix.familiarity,
        explicit_allowed=mix.explicit_allowed,
    )


def rejected_keys(mix: SessionMix) -> frozenset[str]:
    """Tracks the person took out of this mix: they do not come back into it."""
    return frozenset(str(pk) for pk in mix.feedback.filter(kind__in=REJECTIONS).values_list("track_id", flat=True))
