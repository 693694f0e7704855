"""The catalog, Master Lists, preferences and listening history: one module per part, every model importable
from here (`from music.models import Track`)."""

from music.models.catalog import Artist, AudioFeatures, ProviderState, Source, Track, TrackArtist
from music.models.curation import MasterList, MasterListEntry, MasterListQuerySet, PhaseKind
from music.models.listening import MusicPreferences, Play, SpotifySync, TrackAffinity, TrackAffinityQuerySet

__all__ = [
    "Artist",
    "AudioFeatures",
    "MasterList",
    "MasterListEntry",
    "MasterListQuerySet",
    "MusicPreferences",
    "PhaseKind",
    "Play",
    "ProviderState",
    "Source",
    "SpotifySync",
    "Track",
    "TrackAffinity",
    "TrackAffinityQuerySet",
    "TrackArtist",
]
