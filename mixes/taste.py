"""The edge of the taste model: every signal a person gives, read from the database; the model rebuilt and stored.

    rebuild_taste(user)     # read the evidence, fit (mixes.engine.taste), store it on TasteProfile
    taste_for(user)         # the stored model, neutral if none
    forget(user, feature)   # a learned dislike forgotten, and the model rebuilt without it
    start_over(user)        # the learned taste reset; the history itself is kept

Where each signal comes from (the strengths are mixes.engine.taste.STRENGTHS):
- plays and skips: `Play` (Spotify's recently played, with skips inferred; the account-data export, with its own
  skips) — a skip is never also a play. Read per track and day (aged by the day's last play), so a history of a
  million plays is read as tens of thousands of rows.
- the Spotify library: `TrackAffinity.saved`, `top_rank`, `in_playlists` (these carry no time: they count as now).
- Screen 2: `Feedback` — likes (while still liked), locks, removals, swaps, and tracks deleted from a playlist
  Session Mix saved (recorded as removals by mixes.feedback).
- never-play artists: `MusicPreferences.excluded_artists`.

"Start over" leaves out everything older than the reset, and the library flags, which carry no time, from then
on: what the person plays, skips and does in mixes after it teaches the model again.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from mixes.engine.taste import Evidence, Forget, Taste, fit
from mixes.models import Feedback, TasteProfile
from mixes.pools import load_pool
from music.models import MusicPreferences, Play, TrackAffinity

FEEDBACK_KINDS = {
    Feedback.Kind.REMOVED: "remove",
    Feedback.Kind.SWAPPED: "swap",
    Feedback.Kind.LOCKED: "lock",
    Feedback.Kind.LIKED: "like",
}
DAY_S = 86400


def rebuild_taste(user) -> TasteProfile:
    """Fit the person's taste model to all their evidence now, and store it."""
    profile = TasteProfile.of(user)
    started = timezone.now()
    evidence = collect_evidence(user, profile, started)
    forgotten = [
        Forget(item["feature"], _days(started, datetime.fromisoformat(item["at"]))) for item in profile.forgotten
    ]
    profile.model = fit(evidence, forgotten).to_dict()
    profile.built_at = started
    profile.save(update_fields=["model", "built_at"])
    return profile


def taste_for(user) -> Taste:
    """The person's stored taste model; neutral when none was built yet."""
    profile = TasteProfile.objects.filter(user=user).only("model").first()
    return Taste.from_dict(profile.model if profile else None)


def forget(user, feature: str) -> bool:
    """Forget what the model learned against an artist or genre ("genre:metal"); False if it had learned nothing."""
    profile = TasteProfile.of(user)
    attribute = Taste.from_dict(profile.model).attributes.get(feature)
    if attribute is None:
        return False
    entry = {"feature": feature, "name": attribute.name, "at": timezone.now().isoformat()}
    profile.forgotten = [item for item in profile.forgotten if item["feature"] != feature] + [entry]
    profile.save(update_fields=["forgotten"])
    rebuild_taste(user)
    return True


def start_over(user) -> None:
    """Reset the learned taste: evidence until now is no longer learned from. Plays and mixes stay."""
    profile = TasteProfile.of(user)
    profile.reset_at, profile.forgotten = timezone.now(), []
    profile.save(update_fields=["reset_at", "forgotten"])
    rebuild_taste(user)


def collect_evidence(user, profile: TasteProfile, now: datetime) -> Evidence:
    """Every signal the person has given since their last start over, as the engine's Evidence."""
    since = profile.reset_at
    signals: list[tuple[int, str, float, int]] = []  # (track id, kind, age in days, count)
    plays = Play.objects.filter(user=user)
    if since is not None:
        plays = plays.filter(played_at__gte=since)
    by_day = (
        plays.annotate(day=TruncDate("played_at"))
        .values("track_id", "skipped", "day")
        .annotate(n=Count("pk"), last=Max("played_at"))
    )
    for row in by_day:
        signals.append((row["track_id"], "skip" if row["skipped"] else "play", _days(now, row["last"]), row["n"]))
    if since is None:
        library = TrackAffinity.objects.for_user(user).filter(
            Q(saved=True) | Q(top_rank__isnull=False) | Q(in_playlists=True)
        )
        for track_id, saved, top_rank, in_playlists in library.values_list(
            "track_id", "saved", "top_rank", "in_playlists"
        ):
            for kind, present in (("saved", saved), ("top", top_rank is not None), ("playlist", in_playlists)):
                if present:
                    signals.append((track_id, kind, 0.0, 1))
    liked_now = set(TrackAffinity.objects.for_user(user).filter(liked=True).values_list("track_id", flat=True))
    feedback = Feedback.objects.filter(user=user, kind__in=FEEDBACK_KINDS)
    if since is not None:
        feedback = feedback.filter(created_at__gte=since)
    for track_id, kind, created_at in feedback.values_list("track_id", "kind", "created_at"):
        if kind != Feedback.Kind.LIKED or track_id in liked_now:
            signals.append((track_id, FEEDBACK_KINDS[kind], _days(now, created_at), 1))
    avoided = tuple(MusicPreferences.of(user).excluded_artists.values_list("name", flat=True))
    track_ids = sorted({signal[0] for signal in signals})
    pool = load_pool(user, only=Q(pk__in=track_ids), taste=False, taste_features=True)
    kept = [signal for signal in signals if pool.has(str(signal[0]))]
    return Evidence(
        pool=pool,
        track=np.array([pool.index_of(str(s[0])) for s in kept], dtype=np.int64),
        kind=[s[1] for s in kept],
        age_days=np.array([s[2] for s in kept], dtype=np.float64),
        count=np.array([s[3] for s in kept], dtype=np.float64),
        avoided_artists=avoided,
    )


def _days(now: datetime, then: datetime) -> float:
    return max((now - then).total_seconds() / DAY_S, 0.0)
