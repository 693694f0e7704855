"""The catalog: tracks, their credited artists and audio features, where each value came from, and the
providers that closed their doors to us."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Left, StrIndex
from django.utils import timezone

from music.catalog_csv import ALL_FEATURE_FIELDS, EXTRA_FEATURE_FIELDS, FEATURE_FIELDS, FEATURE_RANGES
from music.normalize import SONG_KEY_MAX_LENGTH


class Artist(models.Model):
    name = models.CharField(max_length=300, unique=True)
    spotify_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    genres = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Source(models.TextChoices):
    """Where a value came from, in rising trust: a value never gives way to one from a lower source.

    The person's own correction wins over everything; an imported catalog (Spotify's audio
    features as published) over the providers asked one by one; our demo estimates last.
    The provider chain (music/features.py) asks in that same order and only fills gaps.
    """

    DEMO = "demo", "Demo catalog"
    DEEZER = "deezer", "Deezer"
    RECCOBEATS = "reccobeats", "ReccoBeats"
    SPOTIFY = "spotify", "Spotify"
    CATALOG = "catalog", "Catalog import"
    USER = "user", "User correction"

    @classmethod
    def rank(cls, value: str | None) -> int:
        """Higher is more trusted; an unknown or missing source ranks lowest."""
        order = list(cls.values)
        return order.index(value) if value in order else -1


class TrackQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The catalog, and the tracks this user's own upload added (no one else's); the catalog alone for None."""
        catalog = Q(added_by__isnull=True)
        return self.filter(catalog | Q(added_by=user) if user is not None and user.pk else catalog)

    def vouch(self) -> int:
        """Staff vouch for these tracks: they join the catalog, for everyone. How many changed."""
        return self.filter(added_by__isnull=False).update(added_by=None)


class Track(models.Model):
    spotify_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    isrc = models.CharField(max_length=12, blank=True, db_index=True)
    title = models.CharField(max_length=500)
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")
    artist_names = models.CharField(max_length=1000, help_text="Display form, in credit order.")
    album = models.CharField(max_length=500, blank=True)
    release_year = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    explicit = models.BooleanField(default=False)
    genre = models.CharField(max_length=60, blank=True, db_index=True)
    image_url = models.URLField(
        max_length=500, blank=True, help_text="The album's smallest cover image, as Spotify gives it; blank: none."
    )
    song_key = models.CharField(
        max_length=SONG_KEY_MAX_LENGTH,
        db_index=True,
        help_text="Normalized title and main artist: the same song under another id.",
    )
    # The title part of song_key (normalize.fold leaves no "|" in a title): a play finds its song by
    # title, then by any credited artist (music.streaming_history).
    song_title = models.GeneratedField(
        expression=Left("song_key", StrIndex("song_key", Value("|")) - 1),
        output_field=models.CharField(max_length=SONG_KEY_MAX_LENGTH),
        db_persist=True,
        db_index=True,
    )
    spotify_search_failed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a Spotify search found no match; not searched again unless asked."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="added_tracks",
        help_text="Whose upload added it: only they see it until staff vouch for it. Blank: the catalog's.",
    )

    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["artist_names", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["song_key"], condition=Q(spotify_id__isnull=True), name="unique_song_without_spotify_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.artist_names}"

    @property
    def duration_s(self) -> float:
        return self.duration_ms / 1000

    @property
    def spotify_url(self) -> str:
        return f"https://open.spotify.com/track/{self.spotify_id}" if self.spotify_id else ""


class TrackArtist(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["track", "artist"], name="unique_track_artist")]


def _feature_range(name: str) -> list:
    """The bounds a catalog file or a provider may give this feature (music.catalog_csv), for the admin's form."""
    low, high = FEATURE_RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


class AudioFeatures(models.Model):
    """A track's audio features; `sources` maps each field to the Source it came from.

    FIELDS are the core the generator needs: the provider chain asks for a track until they are
    filled. EXTRA_FIELDS are kept whenever a catalog or a provider asked anyway has them, but a
    track lacking only those is never asked about again.
    """

    # Named once, in the catalog reader that the generator shares (plain Python).
    FIELDS = FEATURE_FIELDS
    EXTRA_FIELDS = EXTRA_FEATURE_FIELDS
    ALL_FIELDS = ALL_FEATURE_FIELDS

    class Mode(models.IntegerChoices):
        MINOR = 0, "Minor"
        MAJOR = 1, "Major"

    track = models.OneToOneField(Track, on_delete=models.CASCADE, related_name="features", primary_key=True)
    tempo = models.FloatField(null=True, blank=True)
    energy = models.FloatField(null=True, blank=True)
    valence = models.FloatField(null=True, blank=True)
    danceability = models.FloatField(null=True, blank=True)
    acousticness = models.FloatField(null=True, blank=True, validators=_feature_range("acousticness"))
    instrumentalness = models.FloatField(null=True, blank=True, validators=_feature_range("instrumentalness"))
    speechiness = models.FloatField(null=True, blank=True, validators=_feature_range("speechiness"))
    liveness = models.FloatField(null=True, blank=True, validators=_feature_range("liveness"))
    loudness = models.FloatField(null=True, blank=True, validators=_feature_range("loudness"), help_text="In dB.")
    key = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_feature_range("key"), help_text="Pitch class: 0 = C, 1 = C♯/D♭, … 11 = B."
    )
    mode = models.PositiveSmallIntegerField(null=True, blank=True, choices=Mode.choices)
    time_signature = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_feature_range("time_signature"), help_text="Beats in a bar (3 = 3/4)."
    )
    sources = models.JSONField(default=dict, blank=True)
    asked = models.JSONField(
        default=list, blank=True, help_text="Providers already asked for this track: each is asked once, ever."
    )

    class Meta:
        verbose_name_plural = "audio features"
        indexes = [models.Index(fields=["tempo"]), models.Index(fields=["energy"])]

    def __str__(self) -> str:
        return f"{self.tempo or '?'} BPM, energy {self.energy or '?'}"

    def correct_tempo(self, factor: float) -> None:
        """A person's ×2 / ÷2 fix: it wins over every provider."""
        if self.tempo is None:
            raise ValueError("This track has no tempo to correct.")
        self.tempo = round(self.tempo * factor, 2)
        self.sources = {**self.sources, "tempo": Source.USER}
        self.save(update_fields=["tempo", "sources"])


# The kinds and labels of music.phases, where they are defined: PhaseKind.WARM_UP is "warm_up", "Warm-up", ...
class ProviderState(models.Model):
    """A provider or endpoint that told us it is closed to this app (Spotify's audio-features answers 403)."""

    name = models.CharField(max_length=60, unique=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {'closed' if self.closed_at else 'open'}"

    @classmethod
    def is_closed(cls, name: str) -> bool:
        return cls.objects.filter(name=name, closed_at__isnull=False).exists()

    @classmethod
    def close(cls, name: str, reason: str) -> None:
        cls.objects.update_or_create(name=name, defaults={"closed_at": timezone.now(), "reason": reason[:300]})
