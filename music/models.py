"""The catalog, Master Lists, preferences and listening history."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Left, StrIndex
from django.utils import timezone

from music.catalog_csv import ALL_FEATURE_FIELDS, EXTRA_FEATURE_FIELDS, FEATURE_FIELDS, FEATURE_RANGES
from music.jobs import BackgroundJob
from music.normalize import SONG_KEY_MAX_LENGTH
from music.phases import PHASE_KIND_LABELS, TEMPO_RANGE


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
PhaseKind = models.TextChoices(
    "PhaseKind", [(kind.upper(), (kind, label)) for kind, label in PHASE_KIND_LABELS.items()], module=__name__
)


class MasterListQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The global lists, and the user's own (none for no user)."""
        if user is None:
            return self.filter(owner__isnull=True)
        return self.filter(Q(owner__isnull=True) | Q(owner=user))


class MasterList(models.Model):
    """A pool of good candidates for one phase kind: global (staff) or a user's own."""

    name = models.CharField(max_length=200)
    phase_kind = models.CharField(max_length=20, choices=PhaseKind.choices, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="master_lists"
    )
    rules = models.JSONField(
        default=dict,
        blank=True,
        help_text='For reseeding: {"tempo": [low, high], "energy": [low, high], "genres": [...]}.',
    )
    tracks = models.ManyToManyField(Track, through="MasterListEntry", related_name="master_lists")
    updated_at = models.DateTimeField(auto_now=True)

    objects = MasterListQuerySet.as_manager()

    class Meta:
        ordering = ["phase_kind", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "phase_kind", "name"], name="unique_master_list")]

    def __str__(self) -> str:
        return f"{self.name} ({'global' if self.owner_id is None else self.owner})"

    def clean(self) -> None:
        """Rules staff edit in the admin must be usable by the reseed (empty rules mean the defaults)."""
        if not self.rules:
            return
        errors = []
        for name, low_bound, high_bound in (("tempo", *TEMPO_RANGE), ("energy", 0, 1)):
            pair = self.rules.get(name)
            numbers = isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, (int, float)) for v in pair)
            if not numbers or not low_bound <= pair[0] <= pair[1] <= high_bound:
                errors.append(f'"{name}" must be [low, high] with {low_bound} ≤ low ≤ high ≤ {high_bound}.')
        genres = self.rules.get("genres", [])
        if not isinstance(genres, list) or not all(isinstance(g, str) for g in genres):
            errors.append('"genres" must be a list of genre names.')
        if unknown := set(self.rules) - {"tempo", "energy", "genres"}:
            errors.append(f"Unknown rule: {', '.join(sorted(unknown))}.")
        if errors:
            raise ValidationError({"rules": errors})


class MasterListEntry(models.Model):
    master_list = models.ForeignKey(MasterList, on_delete=models.CASCADE, related_name="entries")
    track = models.ForeignKey(Track, on_delete=models.CASCADE)
    score = models.FloatField(default=0)

    class Meta:
        ordering = ["-score"]
        verbose_name_plural = "master list entries"
        constraints = [models.UniqueConstraint(fields=["master_list", "track"], name="unique_master_list_entry")]


class MusicPreferences(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="music_preferences")
    seed_artists = models.ManyToManyField(Artist, blank=True, related_name="+")
    seed_genres = models.JSONField(default=list, blank=True)
    excluded_artists = models.ManyToManyField(Artist, blank=True, related_name="+")
    explicit_allowed = models.BooleanField(default=True)
    familiarity = models.FloatField(default=0.5, help_text="0 = discover new music, 1 = only what I know.")

    class Meta:
        verbose_name_plural = "music preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    @classmethod
    def of(cls, user) -> "MusicPreferences":
        """The user's preferences, made on first use."""
        prefs, _ = cls.objects.get_or_create(user=user)
        return prefs


class Play(models.Model):
    """One play from the listening history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plays")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="plays")
    played_at = models.DateTimeField()
    ms_played = models.PositiveIntegerField(null=True, blank=True)
    skipped = models.BooleanField(null=True)
    source = models.CharField(max_length=30, default="demo")

    class Meta:
        ordering = ["-played_at"]
        constraints = [models.UniqueConstraint(fields=["user", "track", "played_at"], name="unique_play")]


class TrackAffinityQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def known(self):
        """Music the person knows: played to the end, saved, a top track, in their own playlists, or liked here
        (the same as mixes.engine.pool.Pool.known)."""
        return self.filter(
            Q(play_count__gt=0) | Q(saved=True) | Q(in_playlists=True) | Q(top_rank__isnull=False) | Q(liked=True)
        )


class TrackAffinity(models.Model):
    """What a user's history and feedback say about one track; derived, rebuilt from plays."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affinities")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    play_count = models.PositiveIntegerField(default=0, help_text="Plays not skipped.")
    skip_count = models.PositiveIntegerField(default=0)
    liked = models.BooleanField(default=False)
    last_played_at = models.DateTimeField(null=True, blank=True)
    saved = models.BooleanField(default=False, help_text="In the user's Liked Songs on Spotify.")
    top_rank = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Best position (1 = first) among the user's Spotify top tracks."
    )
    top_ranges = models.JSONField(default=list, blank=True, help_text="short_term, medium_term, long_term.")
    in_playlists = models.BooleanField(default=False, help_text="In one of the user's own Spotify playlists.")
    tempo_override = models.FloatField(
        null=True, blank=True, help_text="Their tempo for the track (a ×2 / ÷2 fix); wins over every source."
    )

    objects = TrackAffinityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "track affinities"
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="unique_affinity")]

    @classmethod
    def rebuild_play_counts(cls, user) -> int:
        """Recount plays and skips per track from the user's Play rows; a skip is never also a play.

        A play not decided yet (skipped None: the newest recently-played play, until the next one
        shows how far it got) counts as a play, as most plays are; when a later sync decides it was
        a skip, the rebuild then moves it to the skips. `last_played_at` is the latest of either.
        """
        counts = (
            Play.objects.filter(user=user)
            .values("track")
            .annotate(
                plays=models.Count("id", filter=Q(skipped=False) | Q(skipped__isnull=True)),
                skips=models.Count("id", filter=Q(skipped=True)),
                last=models.Max("played_at"),
            )
        )
        rows = [
            cls(user=user, track_id=c["track"], play_count=c["plays"], skip_count=c["skips"], last_played_at=c["last"])
            for c in counts
        ]
        cls.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["user", "track"],
            update_fields=["play_count", "skip_count", "last_played_at"],
        )
        return len(rows)


class SpotifySync(BackgroundJob):
    """Where a user's listening-history sync from Spotify stands (the UI polls it) and where it resumes."""

    class Status(models.TextChoices):
        IDLE = "idle", "Not synced yet"
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Syncing"
        WAITING = "waiting", "Waiting to retry"
        DONE = "done", "Synced"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.WAITING)
    RETRY_STATUS = Status.WAITING
    WAITING_MESSAGE = "{reason}, retrying in {countdown} s"
    CANNOT_WAIT_MESSAGE = "{reason}; try again in {when}."
    # An unfinished run older than this starts over instead of resuming.
    RESUME_WITHIN = timedelta(days=1)
    COUNTS = ["plays_added", "top_tracks", "saved_tracks", "playlist_tracks", "tracks_added"]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spotify_sync")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IDLE)
    include_playlists = models.BooleanField(
        default=False, help_text="Also learn from the tracks of the user's own playlists."
    )
    recent_cursor = models.BigIntegerField(
        null=True, blank=True, help_text="Recently played is read from here (ms since the epoch) next time."
    )
    steps_done = models.JSONField(default=list, blank=True, help_text="Steps of the unfinished run already done.")
    plays_added = models.PositiveIntegerField(default=0)
    top_tracks = models.PositiveIntegerField(default=0)
    saved_tracks = models.PositiveIntegerField(default=0)
    playlist_tracks = models.PositiveIntegerField(default=0)
    tracks_added = models.PositiveIntegerField(default=0, help_text="Catalog tracks created by the run.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Spotify sync"

    def __str__(self) -> str:
        return f"Spotify sync of {self.user}: {self.get_status_display()}"

    @classmethod
    def of(cls, user) -> "SpotifySync":
        """The user's sync state, made on first use."""
        sync, _ = cls.objects.get_or_create(user=user)
        return sync

    @classmethod
    def request(cls, user) -> bool:
        """Mark a sync as queued; False when one is already under way, so a double click queues one."""
        with transaction.atomic():
            sync, _ = cls.objects.select_for_update().get_or_create(user=user)
            if sync.is_active:
                return False
            sync.status, sync.progress, sync.message = cls.Status.QUEUED, 0, "Waiting to start…"
            sync.save(update_fields=["status", "progress", "message", "updated_at"])
        return True

    def begin(self) -> bool:
        """Start a run, or resume the unfinished one (its finished steps are skipped); True when resuming.

        Writes only the run's own fields: a settings change saved meanwhile (include_playlists) stays.
        """
        resume = (
            self.status in (*self.ACTIVE, self.Status.FAILED)
            and bool(self.steps_done)
            and self.started_at is not None
            and self.started_at > timezone.now() - self.RESUME_WITHIN
        )
        if not resume:
            self.steps_done = []
            self.plays_added = self.top_tracks = self.saved_tracks = self.playlist_tracks = self.tracks_added = 0
            self.started_at = timezone.now()
        self.status, self.finished_at = self.Status.RUNNING, None
        self.save(update_fields=["status", "finished_at", "steps_done", "started_at", *self.COUNTS, "updated_at"])
        return resume

    def finish(self) -> None:
        """The run is done: its summary becomes the message. Writes only the run's own fields."""
        self.status, self.progress, self.finished_at, self.steps_done = self.Status.DONE, 100, timezone.now(), []
        self.message = self.summary
        self.save(
            update_fields=["status", "progress", "finished_at", "steps_done", "message", *self.COUNTS, "updated_at"]
        )

    def fail(self, message: str) -> bool:
        """Stop here; what earlier steps wrote stays, and the next run resumes after them."""
        self.status, self.finished_at, self.message = self.Status.FAILED, timezone.now(), message[:300]
        self.save(update_fields=["status", "finished_at", "message", "updated_at"])
        return True

    @property
    def summary(self) -> str:
        """What the history holds after the last finished run, and what that run brought in, in words."""
        total = self.user.plays.count()
        plays = f"{total} play{'s' if total != 1 else ''} ({self.plays_added} new)"
        parts = [plays]
        parts.append(f"{self.top_tracks} top track{'s' if self.top_tracks != 1 else ''}")
        parts.append(f"{self.saved_tracks} saved track{'s' if self.saved_tracks != 1 else ''}")
        if self.include_playlists:
            parts.append(f"{self.playlist_tracks} track{'s' if self.playlist_tracks != 1 else ''} from your playlists")
        return "Synced " + ", ".join(parts[:-1]) + " and " + parts[-1] + "."


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
