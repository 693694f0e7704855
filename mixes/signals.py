"""What mixes does when the lower apps say something changed."""

from django.dispatch import receiver

from mixes.tasks import enqueue_taste_rebuild
from music.hooks import history_changed


@receiver(history_changed)
def rebuild_taste_on_history(sender, user, **kwargs) -> None:
    """A sync or an upload brought new evidence: rebuild the taste model."""
    enqueue_taste_rebuild(user)
