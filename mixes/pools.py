"""The database's tracks as the engine's Pool: the catalog, with what one person's history, feedback, Master Lists
and taste model say about each track. Reads only; everything that writes is in mixes.services and mixes.taste.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.db.models import Count, Q

from mixes.engine.pool import TASTE_ARRAYS, Pool, TrackRecord
from mixes.engine.taste import Taste
from mixes.models import Feedback, TasteProfile
from music.models import MasterList, MasterListEntry, Track, TrackAffinity, TrackArtist

NO_AFFINITY = (0, 0, False, False, False, None)
# The Pool arrays only the taste model reads, and their columns.
TASTE_FIELDS = TASTE_ARRAYS
TASTE_COLUMNS = ("release_year", *(f"features__{name}" for name in TASTE_FIELDS[1:]))
# Feedback that counts against a track: taken out of a mix by hand.
REJECTIONS = (Feedback.Kind.REMOVED, Feedback.Kind.SWAPPED)


def load_pool(user=None, *, only: Q | None = None, with_taste: bool = True, taste_features: bool = False) -> Pool:
    """Catalog tracks as candidates, with what the user's history and feedback say about them, and their taste model.

    Every track by default (generating a mix); `only` narrows it for row actions. Eight queries at most,
    whatever the catalog's size. The features only the taste model reads are loaded when there is a model to
    apply (or `taste_features`: the evidence the model is fitted to).
    """
    narrowed = only is not None
    tracks = Track.objects.filter(only) if narrowed else Track.objects.all()
    credits: dict[int, list[str]] = defaultdict(list)
    artists = TrackArtist.objects.filter(track__in=tracks) if narrowed else TrackArtist.objects.all()
    for track_id, name in artists.order_by("track_id", "position").values_list("track_id", "artist__name"):
        credits[track_id].append(name)
    lists: dict[int, set[str]] = defaultdict(set)
    entries = MasterListEntry.objects.filter(master_list__in=MasterList.objects.visible_to(user))
    if narrowed:
        entries = entries.filter(track__in=tracks)
    for track_id, kind in entries.values_list("track_id", "master_list__phase_kind"):
        lists[track_id].add(kind)
    affinity, removed = {}, {}
    if user is not None:
        affinity = {
            track_id: (plays, skips, liked, saved or in_playlists, top_rank is not None, tempo)
            for track_id, plays, skips, liked, saved, in_playlists, top_rank, tempo in TrackAffinity.objects.for_user(
                user
            ).values_list(
                "track_id", "play_count", "skip_count", "liked", "saved", "in_playlists", "top_rank", "tempo_override"
            )
        }
        removed = dict(
            Feedback.objects.filter(user=user, kind__in=REJECTIONS)
            .values("track_id")
            .annotate(n=Count("id"))
            .values_list("track_id", "n")
        )
    model = None
    if user is not None and with_taste:
        model = TasteProfile.objects.filter(user=user).values_list("model", flat=True).first()
    extra_columns = TASTE_COLUMNS if model or taste_features else ()
    rows = tracks.order_by("pk").values_list(  # the catalog's own ordering (by name) costs a sort for nothing
        "pk",
        "title",
        "artist_names",
        "duration_ms",
        "explicit",
        "genre",
        "features__tempo",
        "features__energy",
        "features__valence",
        "features__danceability",
        "song_key",
        *extra_columns,
    )
    records, extras = [], []
    for (
        pk,
        title,
        artist_names,
        duration_ms,
        explicit,
        genre,
        tempo,
        energy,
        valence,
        danceability,
        song,
        *extra,
    ) in rows:
        plays, skips, liked, saved, top, own_tempo = affinity.get(pk, NO_AFFINITY)
        records.append(
            TrackRecord(
                key=str(pk),
                title=title,
                artists=tuple(credits.get(pk) or [artist_names]),
                duration_ms=duration_ms,
                tempo=tempo if own_tempo is None else own_tempo,
                energy=energy,
                valence=valence,
                danceability=danceability,
                genre=genre,
                explicit=explicit,
                plays=plays,
                skips=skips,
                liked=liked,
                saved=saved,
                top=top,
                removed=removed.get(pk, 0),
                lists=frozenset(lists.get(pk, ())),
                song=song,
            )
        )
        extras.append(extra)
    pool = Pool.from_records(records, taste_features=False)
    if extra_columns:
        # Straight into arrays (None reads as nan): nothing but the taste model reads them.
        values = np.array(extras, dtype=np.float64).reshape(-1, len(TASTE_FIELDS))
        pool.add_features(**{name: values[:, i] for i, name in enumerate(TASTE_FIELDS)})
    if model:
        pool.taste = Taste.from_dict(model).bind(pool)
    return pool
