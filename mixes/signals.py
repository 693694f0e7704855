"""What mixes does when the lower apps say something changed, and the step it adds to every history sync."""

from django.dispatch import receiver

from mixes.feedback import learn_from_exported_playlists, saved_here
from mixes.tasks import enqueue_taste_rebuild
from music.hooks import SyncStep, add_sync_step, history_changed

add_sync_step(
    SyncStep(
        name="exports",
        message="Checking the playlists you saved from Session Mix…",
        run=learn_from_exported_playlists,
        excludes=saved_here,
    )
)


@receiver(history_changed)
def rebuild_taste_on_history(sender, user, **kwargs) -> None:
    """A sync or an upload brought new evidence: rebuild the taste model."""
    enqueue_taste_rebuild(user)
