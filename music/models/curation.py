"""Master Lists: pools of good candidates for one phase kind, global or a person's own."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from music.models.catalog import Track
from music.phases import PHASE_KIND_LABELS, TEMPO_RANGE

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
