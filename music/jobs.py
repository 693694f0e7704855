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
for it. It is plain model code: no Celery import (the task is passed in; `publish` knows only kombu's and
redis's connection errors).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import connections, models
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

QUEUE_DOWN_MESSAGE = "Couldn't reach the job queue; try again."
# What sending a task raises when the broker cannot be reached (Celery wraps most in kombu's OperationalError).
BROKER_DOWN = (BrokerError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def publish(job: BackgroundJob, task, *args) -> bool:
    """Send `task(*args)` for this queued job; if the broker cannot be reached, fail the job saying to try
    again (so no QUEUED row is left waiting for a message that was never sent) and answer False.

    Called from `transaction.on_commit` by the enqueue functions, so it runs after the QUEUED state is
    committed and never inside the request's transaction.
    """
    if task.app.conf.task_always_eager:  # no broker: the task runs here, its own errors are its own
        task.delay(*args)
        return True
    try:
        task.delay(*args)
    except BROKER_DOWN:
        log.warning("Could not send %s for %s %s: the broker is unreachable", task.name, type(job).__name__, job.pk)
        job.fail(QUEUE_DOWN_MESSAGE)
        return False
    return True


class BackgroundJob(models.Model):
    """A job the user watches while it runs in the background: state, progress, a message.

    Each subclass declares `status` with its own `Status` choices (including FAILED) and names its
    active states in ACTIVE. Every write of progress moves `updated_at`, and so does the heartbeat of a
    running task (`heartbeat()`, every JOB_HEARTBEAT_S). A RUNNING job silent for RUNNING_STALE_AFTER
    (JOB_RUNNING_STALE_S, 2 min) is presumed dead: its worker or pool process was killed. A job in another
    active state (queued, waiting for a retry) is presumed lost after STALE_AFTER. Either way the UI stops
    polling, says the last run did not finish, and the user may start it again.
    """

    ACTIVE: tuple[str, ...] = ()
    RETRY_STATUS = "queued"  # the state a job waits in for its retry
    STALE_AFTER = timedelta(minutes=15)
    RUNNING_STALE_AFTER = timedelta(seconds=getattr(settings, "JOB_RUNNING_STALE_S", 120))
    HEARTBEAT_S = getattr(settings, "JOB_HEARTBEAT_S", 20)
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
        return self.status in self.ACTIVE and not self.is_stale

    @property
    def is_stale(self) -> bool:
        """Not heard from for longer than its state allows: a RUNNING job beats, so it goes stale soon."""
        limit = self.RUNNING_STALE_AFTER if self.status == "running" else self.STALE_AFTER
        return self.updated_at is None or self.updated_at <= timezone.now() - limit

    @property
    def stale_in(self) -> float:
        """Seconds until this job, as last heard from, counts as stale (0 if it already does)."""
        limit = self.RUNNING_STALE_AFTER if self.status == "running" else self.STALE_AFTER
        if self.updated_at is None:
            return 0.0
        return max(0.0, (self.updated_at + limit - timezone.now()).total_seconds())

    @contextlib.contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Move `updated_at` every HEARTBEAT_S while the block runs (a worker's task): the job stays alive
        while its process does, and goes stale within RUNNING_STALE_AFTER once the process is gone.

        A thread with its own database connection; it writes only the job's own row (`_own_row`), so a run
        that lost its lease stops beating for it.
        """
        stop = threading.Event()

        def beat() -> None:
            try:
                while not stop.wait(self.HEARTBEAT_S):
                    self._own_row().filter(status="running").update(updated_at=timezone.now())
            except Exception:  # a heartbeat never takes the task down with it
                log.warning("Heartbeat of %s %s stopped", type(self).__name__, self.pk, exc_info=True)
            finally:
                connections.close_all()

        thread = threading.Thread(target=beat, name=f"heartbeat-{type(self).__name__}-{self.pk}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)

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
