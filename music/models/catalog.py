"""The catalog: tracks, their credited artists and audio features, where each value came from, and the
providers that closed their doors to us."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import F, Q, Value
from django.db.models.functions import Floor, Left, StrIndex
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
        return _SOURCE_RANKS.get(value, -1)  # type: ignore[arg-type]


_SOURCE_RANKS = {value: rank for rank, value in enumerate(Source.values)}


class TrackQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The catalog, and the tracks this user's own upload added (no one else's); the catalog alone for None."""
        catalog = Q(added_by__isnull=True)
        return self.filter(catalog | Q(added_by=user) if user is not None and user.pk else catalog)

    def genres(self) -> list[str]:
        """The genres tracks have (as stored, not empty), in order: read from the genre index one genre at a time
        (a skip scan), so it costs the same however many tracks there are."""
        table, column = self.model._meta.db_table, self.model._meta.get_field("genre").column
        sql = (
            f"WITH RECURSIVE g(genre) AS (SELECT MIN({column}) FROM {table} WHERE {column} > '' "
            f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > g.genre) FROM g "
            f"WHERE g.genre IS NOT NULL) SELECT genre FROM g WHERE genre IS NOT NULL"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql)
            return [genre for (genre,) in cursor.fetchall()]

    def vouch(self) -> int:
        """Staff vouch for these tracks: they join the catalog, for everyone. How many changed."""
        return self.filter(added_by__isnull=False).update(added_by=None)


class Track(models.Model):
    # Unique (Meta), NULL when unknown: many tracks may lack one, and NULLs never collide.
    spotify_id = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    isrc = models.CharField(max_length=12, blank=True)
    title = models.CharField(max_length=500)
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")
    artist_names = models.CharField(max_length=1000, help_text="Display form, in credit order.")
    album = models.CharField(max_length=500, blank=True)
    release_year = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    explicit = models.BooleanField(default=False)
    genre = models.CharField(max_length=60, blank=True)
    image_url = models.URLField(
        max_length=500, blank=True, help_text="The album's smallest cover image, as Spotify gives it; blank: none."
    )
    song_key = models.CharField(
        max_length=SONG_KEY_MAX_LENGTH,
        help_text="Normalized title and main artist: the same song under another id.",
    )
    # The title part of song_key (normalize.fold leaves no "|" in a title): a play finds its song by
    # title, then by any credited artist (music.streaming_history).
    song_title = models.GeneratedField(
        expression=Left("song_key", StrIndex("song_key", Value("|")) - 1),
        output_field=models.CharField(max_length=SONG_KEY_MAX_LENGTH),
        db_persist=True,
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
            models.UniqueConstraint(fields=["spotify_id"], name="unique_track_spotify_id"),
            models.UniqueConstraint(
                fields=["song_key"], condition=Q(spotify_id__isnull=True), name="unique_song_without_spotify_id"
            ),
        ]
        # Declared here rather than with db_index, which on PostgreSQL adds a second, LIKE-pattern index to each
        # text column: nothing here searches these by pattern, and every import would keep them up to date.
        indexes = [
            models.Index(fields=["isrc"], name="track_isrc"),
            models.Index(fields=["genre"], name="track_genre"),
            models.Index(fields=["song_key"], name="track_song_key"),
            models.Index(fields=["song_title"], name="track_song_title"),
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
    # Found by track through the index below, which also hands a pool its credits in order without the table.
    track = models.ForeignKey(Track, on_delete=models.CASCADE, db_index=False)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["track", "artist"], name="unique_track_artist")]
        indexes = [models.Index(fields=["track", "position"], include=["artist"], name="credits_in_order")]


# Steps of energy the search index is cut into (AudioFeatures.energy_cell).
ENERGY_CELLS = 100
# What Generate's search reads besides the energy step and tempo (the index carries them).
SEARCH_COLUMNS = (
    "track",
    "energy",
    "valence",
    "danceability",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "loudness",
    "track_genre",
    "track_release_year",
    "track_duration_ms",
    "track_explicit",
    "track_song",
    "track_artists",
)
# How much of a track's song key and credits AudioFeatures carries for the search (an index entry is at most about
# 2.7 kB): a song key's first SONG_COPIED characters (a key is title and main artist: far fewer), the first
# ARTISTS_COPIED artists credited.
SONG_COPIED = 200
ARTISTS_COPIED = 20


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
    # Columns the database keeps for Generate's search (below): no feature of the track's sound.
    SEARCH_FIELDS = (
        "track_genre",
        "track_release_year",
        "track_duration_ms",
        "track_explicit",
        "track_song",
        "track_artists",
        "in_catalog",
        "energy_cell",
    )

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
    # The track's own columns Generate's search ranks by, copied here by the database (music.search_copies' triggers)
    # whenever the track or this row is written, so that the search reads one index and no table: never set here.
    track_genre = models.CharField(max_length=60, blank=True, db_default="", editable=False)
    track_release_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    track_duration_ms = models.PositiveIntegerField(null=True, blank=True, editable=False)
    track_explicit = models.BooleanField(db_default=False, editable=False)
    in_catalog = models.BooleanField(db_default=False, editable=False, help_text="The track is the catalog's.")
    # What the engine tells songs and artists apart by, so that Generate reads no track's text for its candidates:
    # the track's song key (the first SONG_COPIED characters) and its credited artists' ids, in credit order,
    # comma-separated (the first ARTISTS_COPIED).
    track_song = models.CharField(max_length=SONG_COPIED, blank=True, db_default="", editable=False)
    track_artists = models.CharField(max_length=20 * ARTISTS_COPIED, blank=True, db_default="", editable=False)
    # Energy in steps of 1 / ENERGY_CELLS: the search index leads with it, so that a box of tempo and energy is a
    # few short index ranges (one per step, tempo within it) rather than every energy at those tempos.
    energy_cell = models.GeneratedField(
        expression=Floor(F("energy") * ENERGY_CELLS), output_field=models.SmallIntegerField(), db_persist=True
    )

    class Meta:
        verbose_name_plural = "audio features"
        # Generate's search (mixes.nearby) ranks the catalog's tracks in tempo and energy ranges from this index
        # alone (index-only scans): it carries every column the search reads.
        indexes = [
            models.Index(
                fields=["energy_cell", "tempo"],
                include=[*SEARCH_COLUMNS],
                condition=Q(in_catalog=True),
                name="features_search",
            )
        ]

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
