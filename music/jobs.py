"""The one shape of a background job the user watches: a sync, a save, an upload.

A job is a row the UI polls. Adding one takes four small pieces, as SpotifySync (music) and
PlaylistExport (mixes) do:
- a model that subclasses BackgroundJob, with its own `Status` choices, the ACTIVE states and the
  state a retry waits in (RETRY_STATUS);
- a verb on that model that requests it (`SpotifySync.request(user)`, `PlaylistExport.request(mix, …)`):
  it marks the row QUEUED and answers False when a run is already under way (double clicks);
- one `enqueue_*` function in the app's tasks.py that calls the verb and sends the task with
  `transaction.on_commit`;
- a thin Celery task that loads the row, calls one domain function, and maps Spotify's faults onto
  `job.fail(...)` or `job.retry(task, ...)`.

It lives here, in the lowest app that has a job, so mixes reaches it without importing music's models
for it. It is plain model code: no Celery import (the task is passed in).
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.db import models
from django.utils import timezone


class BackgroundJob(models.Model):
    """A job the user watches while it runs in the background: state, progress, a message.

    Each subclass declares `status` with its own `Status` choices (including FAILED) and names its
    active states in ACTIVE. Every write of progress moves `updated_at`; a job in an active state that
    has not moved for STALE_AFTER (longer than any task's time limit) is presumed dead: a killed worker,
    a lost retry. The UI stops polling it and the user may start it again.
    """

    ACTIVE: tuple[str, ...] = ()
    RETRY_STATUS = "queued"  # the state a job waits in for its retry
    STALE_AFTER = timedelta(minutes=15)
    # The longest a job waits to retry: shorter than STALE_AFTER, so a waiting job never looks dead.
    MAX_WAIT_S = 10 * 60
    # How the job words a wait, and a wait it cannot make ({reason}, {countdown}, {when}).
    WAITING_MESSAGE = "{reason}, retrying in {countdown} s."
    CANNOT_WAIT_MESSAGE = "{reason}, try again in {when}."
    GAVE_UP_MESSAGE = "{reason}; gave up for now. Try again in a few minutes."

    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    message = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        """Under way and heard from lately: the UI keeps polling, and a second start is refused."""
        fresh = self.updated_at is not None and self.updated_at > timezone.now() - self.STALE_AFTER
        return self.status in self.ACTIVE and fresh

    def report(self, progress: int | None, message: str, status: str | None = None) -> bool:
        """Progress the UI can poll, written at once (progress None: unchanged); False if the row wasn't ours."""
        if progress is not None:
            self.progress = max(0, min(100, progress))
        self.message, self.status = message[:300], status or self.status
        self.updated_at = timezone.now()
        written = self._own_row().update(
            progress=self.progress, message=self.message, status=self.status, updated_at=self.updated_at
        )
        return written > 0

    def fail(self, message: str) -> bool:
        """End the job as FAILED with words for the user; False if the row wasn't ours."""
        return self.report(None, message, self.Status.FAILED)

    def retry(self, task, countdown: int, reason: str, *, eager_reason: str | None = None) -> None:
        """Run `task` again in `countdown` seconds, saying so (raises Celery's Retry); or fail with when to try
        again when nothing can wait that long.

        Nothing waits when the task runs eagerly (no broker: it is inside the web request; `eager_reason`
        may word that for the user), when the wait would outlast STALE_AFTER (the job would look dead and
        a second run could start), or when the task's retries are used up.
        """
        if task.request.is_eager:
            self.fail(self.CANNOT_WAIT_MESSAGE.format(reason=eager_reason or reason, when=f"{countdown} s"))
        elif countdown > self.MAX_WAIT_S:
            self.fail(self.CANNOT_WAIT_MESSAGE.format(reason=reason, when=f"{math.ceil(countdown / 60)} min"))
        elif task.request.retries >= task.max_retries:
            self.fail(self.GAVE_UP_MESSAGE.format(reason=reason))
        elif self.report(None, self.WAITING_MESSAGE.format(reason=reason, countdown=countdown), self.RETRY_STATUS):
            raise task.retry(countdown=countdown)

    def _own_row(self) -> models.QuerySet:
        """The row this instance may write its progress to."""
        return type(self)._default_manager.filter(pk=self.pk)
