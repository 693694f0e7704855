"""Workout plans, session mixes and the feedback they produce."""

import uuid
from dataclasses import replace

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from mixes.engine.plan import (
    MAX_PHASE_S,
    MAX_PLAN_S,
    MIX_TYPE_LABELS,
    TEMPLATES,
    PlanError,
    PlanPhase,
    PlanSpec,
    template,
)
from music.jobs import BackgroundJob
from music.models import PhaseKind, Track
from music.phases import TEMPO_RANGE

NEW_PHASE_S = 300
DEFAULT_TEMPLATE = "easy-run"  # the plan a new account starts with active
TEMPO_VALIDATORS = [MinValueValidator(TEMPO_RANGE.low), MaxValueValidator(TEMPO_RANGE.high)]
ENERGY_VALIDATORS = [MinValueValidator(0), MaxValueValidator(1)]


class OwnedQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(owner=user)


class WorkoutPlanQuerySet(OwnedQuerySet):
    def with_phases(self):
        return self.prefetch_related("phases")


class WorkoutPlan(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(max_length=120)
    template_key = models.CharField(max_length=40, blank=True, help_text="The template it was copied from.")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkoutPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner"], condition=Q(is_active=True), name="one_active_plan_per_user")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mixes:plan_detail", args=[self.pk])

    @property
    def total_duration_s(self) -> int:
        return sum(phase.duration_s for phase in self.phases.all())

    def activate(self) -> None:
        with transaction.atomic():
            WorkoutPlan.objects.filter(owner=self.owner, is_active=True).exclude(pk=self.pk).update(is_active=False)
            self.is_active = True
            self.save(update_fields=["is_active"])

    def to_spec(self) -> PlanSpec:
        return PlanSpec(name=self.name, phases=tuple(phase.to_spec() for phase in self.phases.all()))

    @classmethod
    def create_for(cls, owner, *, template_key: str = "", name: str = "") -> "WorkoutPlan":
        """A new plan: a copy of a ready template, or a blank one with a phase to edit."""
        if template_key:
            spec = template(template_key)
            return cls.create_from_spec(owner, replace(spec, name=name or spec.name), template_key=template_key)
        plan = cls.objects.create(owner=owner, name=name or "My plan")
        plan.add_phase()
        return plan

    @classmethod
    def create_from_spec(cls, owner, spec: PlanSpec, template_key: str = "", activate: bool = False) -> "WorkoutPlan":
        with transaction.atomic():
            plan = cls.objects.create(owner=owner, name=spec.name, template_key=template_key)
            Phase.objects.bulk_create(Phase.from_spec(plan, i, p) for i, p in enumerate(spec.phases))
            if activate:
                plan.activate()
        return plan

    @classmethod
    def ensure_templates(cls, owner, active: str = DEFAULT_TEMPLATE) -> list["WorkoutPlan"]:
        """Give a user a copy of each plan template they lack; activate one if none is active.

        Returns the plans created. New accounts and the demo user get their plans from here.
        """
        with transaction.atomic():
            plans = cls.objects.for_user(owner)
            have = set(plans.values_list("template_key", flat=True))
            created = [
                cls.create_from_spec(owner, template(key), template_key=key) for key in TEMPLATES if key not in have
            ]
            if not plans.filter(is_active=True).exists():
                plan = plans.filter(template_key=active).first() or plans.first()
                if plan is not None:
                    plan.activate()
        return created

    def add_phase(self) -> "Phase":
        """Append a 5-minute phase that continues from the last one; PlanError if the plan would pass 6 hours."""
        phases = self.ordered_phases()
        if sum(p.duration_s for p in phases) + NEW_PHASE_S > MAX_PLAN_S:
            raise PlanError("The plan can last at most 6 hours; shorten a phase before adding another.")
        last = phases[-1] if phases else None
        tempo = last.tempo_end if last else 120
        energy = last.energy_end if last else 0.5
        return self.phases.create(
            position=(last.position + 1) if last else 0,
            name="New phase",
            kind=PhaseKind.STEADY,
            duration_s=NEW_PHASE_S,
            tempo_start=tempo,
            tempo_end=tempo,
            energy_start=energy,
            energy_end=energy,
        )

    def move_phase(self, phase: "Phase", offset: int) -> None:
        """Move a phase up (-1) or down (+1); at either end nothing moves."""
        phases = self.ordered_phases()
        index = phases.index(phase)
        target = index + offset
        if not 0 <= target < len(phases):
            return
        phases[index], phases[target] = phases[target], phases[index]
        self.renumber_phases(phases)

    def remove_phase(self, phase: "Phase") -> None:
        phase.delete()
        self.renumber_phases(self.ordered_phases())

    def ordered_phases(self) -> list["Phase"]:
        """The phases as stored now, never a prefetched copy."""
        return list(Phase.objects.filter(plan=self).order_by("position"))

    def renumber_phases(self, phases: list["Phase"]) -> None:
        for position, phase in enumerate(phases):
            phase.position = position
        Phase.objects.bulk_update(phases, ["position"])


class Phase(models.Model):
    plan = models.ForeignKey(WorkoutPlan, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=20, choices=PhaseKind.choices)
    duration_s = models.PositiveIntegerField(validators=[MinValueValidator(10), MaxValueValidator(MAX_PHASE_S)])
    tempo_start = models.FloatField(validators=TEMPO_VALIDATORS)
    tempo_end = models.FloatField(validators=TEMPO_VALIDATORS)
    energy_start = models.FloatField(validators=ENERGY_VALIDATORS)
    energy_end = models.FloatField(validators=ENERGY_VALIDATORS)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_s // 60} min)"

    def to_spec(self) -> PlanPhase:
        return PlanPhase(
            name=self.name,
            kind=self.kind,
            duration_s=self.duration_s,
            tempo=(self.tempo_start, self.tempo_end),
            energy=(self.energy_start, self.energy_end),
        )

    @classmethod
    def from_spec(cls, plan: WorkoutPlan, position: int, spec: PlanPhase) -> "Phase":
        return cls(
            plan=plan,
            position=position,
            name=spec.name,
            kind=spec.kind,
            duration_s=spec.duration_s,
            tempo_start=spec.tempo[0],
            tempo_end=spec.tempo[1],
            energy_start=spec.energy[0],
            energy_end=spec.energy[1],
        )


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
        claimable = Q(status=self.Status.QUEUED) | Q(status=self.Status.RUNNING, updated_at__lt=now - self.STALE_AFTER)
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


class TasteProfile(models.Model):
    """A person's taste model (mixes.engine.taste), rebuilt from their evidence by mixes.taste; what they asked
    it to forget; and when they last started over."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taste_profile")
    model = models.JSONField(default=dict, blank=True, help_text="Taste.to_dict(): weights, variances, evidence.")
    built_at = models.DateTimeField(null=True, blank=True, help_text="When the evidence the model holds was read.")
    requested_at = models.DateTimeField(null=True, blank=True, help_text="When a rebuild was last asked for.")
    reset_at = models.DateTimeField(null=True, blank=True, help_text="Start over: older evidence is not learned from.")
    forgotten = models.JSONField(
        default=list, blank=True, help_text='Dislikes to forget: [{"feature": "genre:metal", "name": ..., "at": ...}].'
    )

    def __str__(self) -> str:
        return f"Taste of {self.user}"

    @classmethod
    def of(cls, user) -> "TasteProfile":
        profile, _ = cls.objects.get_or_create(user=user)
        return profile

    @classmethod
    def request(cls, user) -> bool:
        """Ask for a rebuild; False when one is already pending, so a batch of feedback waits for a single one."""
        now = timezone.now()
        profile = cls.objects.filter(user=user).first()
        if profile is None:
            cls.objects.create(user=user, requested_at=now)
            return True
        cls.objects.filter(pk=profile.pk).update(requested_at=now)
        return not profile.pending

    @property
    def pending(self) -> bool:
        """A rebuild was asked for after the model's evidence was read, lately (a lost task is not waited for)."""
        if self.requested_at is None or (self.built_at is not None and self.requested_at <= self.built_at):
            return False
        return self.requested_at > timezone.now() - BackgroundJob.STALE_AFTER
