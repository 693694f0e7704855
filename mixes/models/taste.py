"""A person's taste model as stored, and what they asked it to forget."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import OnePerUser
from music.jobs import BackgroundJob


class TasteProfile(OnePerUser, models.Model):
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
