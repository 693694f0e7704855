"""Session mixes, their tracks, the feedback they produce, the scorer's weights they were built with, and
their save to Spotify."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from mixes.engine.plan import (
    MIX_TYPE_LABELS,
    PlanSpec,
)
from mixes.models.plans import OwnedQuerySet, WorkoutPlan
from music.jobs import BackgroundJob
from music.models import Track


class ScorerConfig(models.Model):
    """The scorer's weights; staff tune them in the admin. The active one is used for new mixes."""

    name = models.CharField(max_length=80, unique=True)
    is_active = models.BooleanField(default=False)
    tempo = models.FloatField(default=3.0)
    energy = models.FloatField(default=2.0)
    mood = models.FloatField(default=0.5)
    familiarity = models.FloatField(default=0.75)
    seed_artist = models.FloatField(default=1.0)
    seed_genre = models.FloatField(default=0.5)
    feedback = models.FloatField(default=1.0)
    master_list = models.FloatField(default=0.5, help_text="Bonus for tracks on a Master List of the phase's kind.")
    taste = models.FloatField(
        default=1.0, help_text="The person's taste model: decides between tracks that fit about equally."
    )
    exploration_slots = models.PositiveSmallIntegerField(
        default=2, help_text='Tracks per mix the taste model is unsure about ("something new"); none at familiar 100.'
    )
    tempo_tolerance_bpm = models.FloatField(default=6.0, help_text="How fast tempo fit falls off, in BPM.")
    energy_tolerance = models.FloatField(default=0.1, help_text="How fast energy fit falls off.")

    WEIGHT_FIELDS = (
        "tempo",
        "energy",
        "mood",
        "familiarity",
        "seed_artist",
        "seed_genre",
        "feedback",
        "master_list",
        "taste",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_scorer")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def active(cls) -> "ScorerConfig":
        config = cls.objects.filter(is_active=True).first()
        return config or cls.objects.get_or_create(name="Default", defaults={"is_active": True})[0]

    def activate(self) -> None:
        """Make this the config new mixes use; the one active before steps down."""
        with transaction.atomic():
            ScorerConfig.objects.filter(is_active=True).exclude(pk=self.pk).update(is_active=False)
            ScorerConfig.objects.filter(pk=self.pk).update(is_active=True)
        self.is_active = True

    def as_dict(self) -> dict:
        fields = (*self.WEIGHT_FIELDS, "exploration_slots", "tempo_tolerance_bpm", "energy_tolerance")
        return {name: getattr(self, name) for name in fields}


# The engine's mix types and labels (mixes.engine.plan): MixType.FULL is "full", "Full session", ...
MixType = models.TextChoices(
    "MixType", [(mix_type.upper(), (mix_type, label)) for mix_type, label in MIX_TYPE_LABELS.items()], module=__name__
)


class SessionMixQuerySet(OwnedQuerySet):
    def with_tracks(self):
        return self.prefetch_related(
            models.Prefetch("tracks", queryset=MixTrack.objects.select_related("track__features"))
        )


class SessionMix(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SAVED = "saved", "Saved to Spotify"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mixes")
    name = models.CharField(max_length=100)
    plan = models.ForeignKey(WorkoutPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="mixes")
    plan_snapshot = models.JSONField(help_text="The phases this mix was built for, as they were.")
    mix_type = models.CharField(max_length=20, choices=MixType.choices, default=MixType.FULL)
    seed = models.PositiveIntegerField(default=0)
    seed_artists = models.JSONField(default=list, blank=True)
    seed_genres = models.JSONField(default=list, blank=True)
    familiarity = models.FloatField(default=0.5)
    explicit_allowed = models.BooleanField(default=True)
    scorer_settings = models.JSONField(default=dict)
    notes = models.JSONField(default=list, blank=True, help_text="What the generator had to tell the user.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionMixQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "session mixes"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mixes:mix_detail", args=[self.pk])

    def plan_spec(self) -> PlanSpec:
        return PlanSpec.from_dict(self.plan_snapshot)


class MixTrack(models.Model):
    mix = models.ForeignKey(SessionMix, on_delete=models.CASCADE, related_name="tracks")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    section = models.PositiveSmallIntegerField(
        help_text="Index into the sections of the plan snapshot: a phase, or a run of short phases merged."
    )
    position = models.PositiveIntegerField(help_text="Order in the whole mix.")
    locked = models.BooleanField(default=False)
    liked = models.BooleanField(default=False)
    score = models.FloatField(default=0)
    tempo = models.FloatField(null=True, blank=True, help_text="The track's tempo for this person when chosen.")
    tempo_factor = models.FloatField(default=1.0, help_text="1, 2 (double time) or 0.5 (half time).")
    why = models.CharField(max_length=300, blank=True)
    explore = models.BooleanField(default=False, help_text='An exploration slot: "something new" to learn from.')

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.track}"

    @property
    def effective_bpm(self) -> float | None:
        """The tempo as the workout hears it: in double or half time where that fits the target."""
        return None if self.tempo is None else self.tempo * self.tempo_factor


class Feedback(models.Model):
    class Kind(models.TextChoices):
        REMOVED = "removed", "Removed"
        SWAPPED = "swapped", "Swapped out"
        LIKED = "liked", "Liked"
        UNLIKED = "unliked", "Unliked"
        LOCKED = "locked", "Locked"
        BPM_CORRECTED = "bpm_corrected", "BPM corrected"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    mix = models.ForeignKey(SessionMix, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.FloatField(null=True, blank=True, help_text="The new tempo, for a BPM correction.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"


class PlaylistExport(BackgroundJob):
    """A mix saved to Spotify: one playlist per mix, whatever happens (double clicks, retries, dead workers).

    A run holds a lease while it writes: `claim()` gives it a fresh `run_token`, and it stops as soon
    as the token in the row is no longer its own (see mixes/export.py for what that guarantees).
    """

    class Status(models.TextChoices):
        IDLE = "idle", "Not saved"
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Saving"
        DONE = "done", "Saved"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    mix = models.OneToOneField(SessionMix, on_delete=models.CASCADE, related_name="export")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    public = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IDLE)
    playlist_id = models.CharField(max_length=64, blank=True)
    playlist_url = models.URLField(blank=True)
    saved_uris = models.JSONField(default=list, blank=True, help_text="The items as last saved, in order.")
    unresolved = models.JSONField(default=list, blank=True, help_text="Tracks Spotify could not find.")
    attempts = models.PositiveIntegerField(default=0, help_text="Runs that have started, over every save.")
    run_token = models.UUIDField(
        null=True, blank=True, editable=False, help_text="The run holding the save; any other run stops."
    )

    def __str__(self) -> str:
        return f"{self.mix} → {self.playlist_id or 'not saved'}"

    @property
    def active(self) -> bool:
        """The templates' name for is_active."""
        return self.is_active

    @classmethod
    def request(cls, mix: SessionMix, *, name: str, description: str, public: bool) -> tuple["PlaylistExport", bool]:
        """Mark a save of the mix as queued; (export, queued). A save already queued or running is left alone."""
        with transaction.atomic():
            export, _ = cls.objects.select_for_update().get_or_create(mix=mix, defaults={"name": name})
            if export.is_active:
                return export, False
            export.name, export.description, export.public = name, description, public
            export.status, export.progress, export.message = cls.Status.QUEUED, 0, "Waiting for Spotify…"
            export.run_token = None  # a run presumed dead loses its lease now
            export.save()
        return export, True

    def claim(self) -> bool:
        """Start a run: take the lease of a queued save, or of a running one gone silent; False if another has it."""
        now = timezone.now()
        token = uuid.uuid4()
        claimable = Q(status=self.Status.QUEUED) | Q(
            status=self.Status.RUNNING, updated_at__lt=now - self.RUNNING_STALE_AFTER
        )
        won = PlaylistExport.objects.filter(claimable, pk=self.pk).update(
            status=self.Status.RUNNING, run_token=token, updated_at=now, attempts=F("attempts") + 1
        )
        if won:
            self.refresh_from_db()
        return bool(won)

    def holds_lease(self) -> bool:
        """Whether this run still holds the save (checked before every write to Spotify)."""
        return self.run_token is not None and self._own_row().exists()

    def write(self, **fields) -> bool:
        """Write these fields (and updated_at) only while this run holds the lease; False if it doesn't."""
        fields["updated_at"] = timezone.now()
        for name, value in fields.items():
            setattr(self, name, value)
        return self._own_row().update(**fields) > 0

    def _own_row(self) -> models.QuerySet:
        """A run writes to the row only while it holds the lease."""
        return super()._own_row().filter(run_token=self.run_token)
