"""What the engine reads from the database: the catalog as a Pool, with what one person's history, feedback,
Master Lists and taste model say about each track; their preferences; the candidates a swap chooses from.
Reads only; everything that writes is in mixes.services and mixes.taste.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import numpy as np
from django.db.models import Count, F, Q
from django.db.models.functions import Abs

from mixes.engine.plan import PlanSpec
from mixes.engine.pool import TASTE_ARRAYS, Pool, TrackRecord
from mixes.engine.scorer import Preferences
from mixes.engine.taste import Taste
from mixes.models import Feedback, MixTrack, SessionMix, TasteProfile
from music.models import MasterList, MasterListEntry, MusicPreferences, Track, TrackAffinity, TrackArtist


class Affinity(NamedTuple):
    """What a person's TrackAffinity row says about a track, as the Pool needs it."""

    plays: int = 0
    skips: int = 0
    liked: bool = False
    saved: bool = False  # in Liked Songs or in one of their own playlists
    top: bool = False
    tempo: float | None = None  # their own tempo for it (a ×2 / ÷2 fix)


NO_AFFINITY = Affinity()
# The Pool arrays only the taste model reads, and their columns.
TASTE_FIELDS = TASTE_ARRAYS
TASTE_COLUMNS = ("release_year", *(f"features__{name}" for name in TASTE_FIELDS[1:]))
# Feedback that counts against a track: taken out of a mix by hand.
REJECTIONS = (Feedback.Kind.REMOVED, Feedback.Kind.SWAPPED)
# Where a swap looks for candidates: this far from the section's targets, this many per tempo reading.
SWAP_TEMPO_MARGIN = 10
SWAP_ENERGY_MARGIN = 0.25
SWAP_CANDIDATES = 1500


def load_pool(user=None, *, only: Q | None = None, with_taste: bool = True, taste_features: bool = False) -> Pool:
    """Catalog tracks as candidates, with what the user's history and feedback say about them, and their taste model.

    Every track by default (generating a mix); `only` narrows it for row actions. Eight queries at most,
    whatever the catalog's size. The features only the taste model reads are loaded when there is a model to
    apply (or `taste_features`: the evidence the model is fitted to).
    """
    narrowed = only is not None
    tracks = Track.objects.visible_to(user).filter(only) if narrowed else Track.objects.visible_to(user)
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
            track_id: Affinity(plays, skips, liked, saved or in_playlists, top_rank is not None, tempo)
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
        known = affinity.get(pk, NO_AFFINITY)
        records.append(
            TrackRecord(
                key=str(pk),
                title=title,
                artists=tuple(credits.get(pk) or [artist_names]),
                duration_ms=duration_ms,
                tempo=tempo if known.tempo is None else known.tempo,
                energy=energy,
                valence=valence,
                danceability=danceability,
                genre=genre,
                explicit=explicit,
                plays=known.plays,
                skips=known.skips,
                liked=known.liked,
                saved=known.saved,
                top=known.top,
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


def swap_candidates(user, spec: PlanSpec, section: int, items: list[MixTrack]) -> Q:
    """The tracks a swap chooses from: the mix's own, the person's (history, likes, corrections),
    and the SWAP_CANDIDATES closest to the section's tempo in each reading (straight, double, half
    time) within its energy range — enough for every good fit, however big the catalog.
    """
    part = spec.sections()[section]
    targets = [spec.target_at(part.start_s + part.duration_s * i / 8) for i in range(9)]
    low = min(t for t, _ in targets) - SWAP_TEMPO_MARGIN
    high = max(t for t, _ in targets) + SWAP_TEMPO_MARGIN
    energy = (min(e for _, e in targets) - SWAP_ENERGY_MARGIN, max(e for _, e in targets) + SWAP_ENERGY_MARGIN)
    ids = {item.track_id for item in items}
    for factor in (1, 2, 0.5):
        middle = (low + high) / 2 * factor
        near = Track.objects.filter(
            features__tempo__range=(low * factor, high * factor), features__energy__range=energy
        ).order_by(Abs(F("features__tempo") - middle))
        ids.update(near.values_list("pk", flat=True)[:SWAP_CANDIDATES])
    # A plain list (at most a few thousand ids) and one simple subquery: both fast on SQLite and PostgreSQL.
    return Q(pk__in=sorted(ids)) | Q(pk__in=TrackAffinity.objects.for_user(user).values("track_id"))


def rejected_keys(mix: SessionMix) -> frozenset[str]:
    """Tracks the person took out of this mix: they do not come back into it."""
    return frozenset(str(pk) for pk in mix.feedback.filter(kind__in=REJECTIONS).values_list("track_id", flat=True))
