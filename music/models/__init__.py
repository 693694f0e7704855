"""The catalog, Master Lists, preferences and listening history: one module per part, every model importable
from here (`from music.models import Track`)."""

from music.models.catalog import Artist, AudioFeatures, ProviderState, Source, Track, TrackArtist, TrackQuerySet
from music.models.curation import MasterList, MasterListEntry, MasterListQuerySet, PhaseKind
from music.models.listening import MusicPreferences, Play, SpotifySync, TrackAffinity, TrackAffinityQuerySet
from music.models.uploads import HistoryUpload, HistoryUploadFile, StoredFile

__all__ = [
    "Artist",
    "AudioFeatures",
    "HistoryUpload",
    "HistoryUploadFile",
    "MasterList",
    "MasterListEntry",
    "MasterListQuerySet",
    "MusicPreferences",
    "PhaseKind",
    "Play",
    "ProviderState",
    "Source",
    "SpotifySync",
    "StoredFile",
    "Track",
    "TrackAffinity",
    "TrackAffinityQuerySet",
    "TrackArtist",
    "TrackQuerySet",
]
