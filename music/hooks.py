"""Hooks music offers the apps above it, so that music never imports them.

- `history_changed`, a signal sent with `user=` once a sync or an account-data upload has changed a
  person's listening history (mixes rebuilds their taste model on it).
- Sync steps: an app registers a `SyncStep` (in its AppConfig.ready) and every history sync runs it
  after music's own steps, resumably like them. mixes registers one that reads back the playlists it
  saved: what the user deleted from them becomes feedback, and they are left out of the user's library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.dispatch import Signal

history_changed = Signal()


def _nothing_excluded(user) -> Callable[[dict], bool]:
    return lambda playlist: False


@dataclass(frozen=True)
class SyncStep:
    """A step another app adds to every history sync (music.history.sync_history)."""

    name: str  # kept in SpotifySync.steps_done, so a resumed run skips it when done
    message: str  # what the progress bar says while it runs
    run: Callable  # (user, SpotifyClient) -> a count, kept in SyncReport.step_counts[name]
    # (user) -> a test of a Spotify playlist object: True for a playlist this app wrote, which the
    # playlists step then leaves out of the user's library.
    excludes: Callable[..., Callable[[dict], bool]] = _nothing_excluded


_sync_steps: dict[str, SyncStep] = {}


def add_sync_step(step: SyncStep) -> None:
    """Register a step (again under the same name: replaced, so a reloaded app does not run it twice)."""
    _sync_steps[step.name] = step


def sync_steps() -> tuple[SyncStep, ...]:
    """The registered steps, in the order they were added."""
    return tuple(_sync_steps.values())
