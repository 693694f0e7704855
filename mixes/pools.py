"""What the engine reads from the database: tracks as a Pool, with what one person's history, feedback, Master
Lists and taste model say about each track; their preferences. Generate and a swap read the tracks that can matter
near the plan or the slot (mixes.nearby) and the person's own, never the whole catalog (load_pool without `only`
reads that: the benchmark's yardstick). Reads only; everything that writes is in mixes.services and mixes.taste.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from django.db.models import Count, Q

from mixes import nearby
from mixes.engine.candidates import Piece, pieces, slot_piece
from mixes.engine.plan import PlanSpec
from mixes.engine.pool import TASTE_ARRAYS, Pool, list_bit
from mixes.engine.scorer import Preferences, Weights
from mixes.engine.taste import Taste
from mixes.models import Feedback, SessionMix, TasteProfile
from music.bulk import id_list
from music.models import MasterList, MasterListEntry, MusicPreferences, Track, TrackAffinity, TrackArtist

# The Pool arrays only the taste model reads, and their columns.
TASTE_FIELDS = TASTE_ARRAYS
TASTE_COLUMNS = ("release_year", *(f"features__{name}" for name in TASTE_FIELDS[1:]))
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
    (mixes.nearby.search: only their titles and song keys are read again). A handful of queries, whatever the
    catalog's size; rows go into arrays without model instances. `taste`: True reads the person's stored taste
    model, False applies none, a stored model (or None: they have none) saves reading it again. The features only
    the taste model reads are loaded when there is a model to apply (or `taste_features`: the evidence the model is
    fitted to).
    """
    tracks = Track.objects.visible_to(user)
    if only is not None:
        tracks = tracks.filter(only)
    model = taste_model(user) if taste is True else taste or None
    extra_columns = TASTE_COLUMNS if model or taste_features else ()
    rows = list(
        tracks.order_by("pk").values_list(  # the catalog's own ordering (by name) costs a sort for nothing
            "pk",
            "title",
            "artist_names",
            "song_key",
            "genre",
            "duration_ms",
            "explicit",
            "features__tempo",
            "features__energy",
            "features__valence",
            "features__danceability",
            *extra_columns,
        )  # fmt: skip
    )
    if near:
        rows = sorted(rows + _near_rows(near, {row[0] for row in rows}, bool(extra_columns)))
    ids = [row[0] for row in rows]
    position = {pk: i for i, pk in enumerate(ids)}
    n = len(rows)
    credits: list[list[str]] = [[] for _ in range(n)]
    # Narrowed, the credits and list entries of the tracks read (their ids as one parameter), not the query again.
    read = id_list(ids) if only is not None else None
    artists = TrackArtist.objects.filter(track_id__in=read) if read is not None else TrackArtist.objects
    for track_id, name in artists.order_by("track_id", "position").values_list("track_id", "artist__name"):
        i = position.get(track_id)
        if i is not None:
            credits[i].append(name)
    listed = np.zeros(n, dtype=np.int64)
    entries = MasterListEntry.objects.filter(master_list__in=MasterList.objects.visible_to(user))
    if read is not None:
        entries = entries.filter(track_id__in=read)
    for track_id, kind in entries.values_list("track_id", "master_list__phase_kind"):
        i = position.get(track_id)
        if i is not None:
            listed[i] |= list_bit(kind)
    numbers = np.array([row[5:] for row in rows], dtype=np.float64).reshape(n, 6 + len(extra_columns))  # None: nan
    tempo = numbers[:, 2]
    person = _person(user, position, tempo)
    pool = Pool.from_columns(
        keys=[str(pk) for pk in ids],
        titles=[row[1] for row in rows],
        artists=[names or [row[2]] for names, row in zip(credits, rows, strict=True)],
        songs=[row[3] for row in rows],
        genres=[row[4] for row in rows],
        duration_s=numbers[:, 0] / 1000,
        explicit=numbers[:, 1] > 0,
        tempo=tempo,
        energy=numbers[:, 3],
        valence=numbers[:, 4],
        danceability=numbers[:, 5],
        listed=listed,
        **person,
    )
    if extra_columns:
        # Nothing but the taste model reads these.
        pool.add_features(**{name: numbers[:, 6 + i] for i, name in enumerate(TASTE_FIELDS)})
    if model:
        pool.taste = Taste.from_dict(model).bind(pool)
    return pool


def _near_rows(near: dict[int, tuple], read: set[int], taste_columns: bool) -> list[tuple]:
    """The search's tracks not read already, as load_pool's rows: their titles and song keys from the tracks, the rest
    as the search hands it back (in load_pool's order: mixes.nearby.COLUMNS)."""
    wanted = [pk for pk in near if pk not in read]
    texts = (
        Track.objects.filter(pk__in=id_list(wanted)).order_by().values_list("pk", "title", "artist_names", "song_key")
    )
    end = len(nearby.COLUMNS) if taste_columns else nearby.COLUMNS.index("track_release_year")
    return [text + near[text[0]][1:end] for text in texts]


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
