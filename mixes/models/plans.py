"""Workout plans and their phases: what a person trains to, as the engine's PlanSpec."""

from dataclasses import replace

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

from mixes.engine.plan import (
    DEFAULT_INTERVAL_MUSIC,
    INTERVAL_MUSIC,
    MAX_PHASE_S,
    MAX_PLAN_S,
    TEMPLATES,
    PlanError,
    PlanPhase,
    PlanSpec,
    template,
)
from music.models import PhaseKind
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
    interval_music = models.CharField(
        max_length=10,
        choices=list(INTERVAL_MUSIC.items()),
        default=DEFAULT_INTERVAL_MUSIC,
        help_text="What the music of a block of intervals too short for a song each follows.",
    )
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
        return PlanSpec(
            name=self.name,
            phases=tuple(phase.to_spec() for phase in self.phases.all()),
            interval_music=self.interval_music,
        )

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
            plan = cls.objects.create(
                owner=owner, name=spec.name, template_key=template_key, interval_music=spec.interval_music
            )
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
