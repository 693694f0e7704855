"""Workout plans, session mixes and the feedback they produce, the save to Spotify, the taste profile: one module
per part, every model importable from here (`from mixes.models import SessionMix`)."""

from mixes.models.plans import OwnedQuerySet, Phase, WorkoutPlan, WorkoutPlanQuerySet
from mixes.models.session_mixes import (
    Feedback,
    MixTrack,
    MixType,
    PlaylistExport,
    ScorerConfig,
    SessionMix,
    SessionMixQuerySet,
)
from mixes.models.taste import TasteProfile

__all__ = [
    "Feedback",
    "MixTrack",
    "MixType",
    "OwnedQuerySet",
    "Phase",
    "PlaylistExport",
    "ScorerConfig",
    "SessionMix",
    "SessionMixQuerySet",
    "TasteProfile",
    "WorkoutPlan",
    "WorkoutPlanQuerySet",
]
