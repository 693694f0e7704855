"""A person's music: their preferences, plays, what their history says about each track, and their Spotify sync."""

from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import OnePerUser
from music.jobs import BackgroundJob
from music.models.catalog import Artist, Track


class MusicPreferences(OnePerUser, models.Model):
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


class SpotifySync(OnePerUser, BackgroundJob):
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
