"""The Celery app: `celery -A config worker` and `celery -A config beat`.

Logging: the worker logs through Django's LOGGING (JSON, redacted; config/logging.py), not Celery's
own setup; a task carries the request id of the request that enqueued it (a `request_id` message
header), and its lines, with its start and finish lines, carry that id.
"""

import contextlib
import logging
import os
import time

from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from config import logging as log_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger("config.celery")
REQUEST_ID = "request_id"  # the message header that carries the request id


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """With a receiver here Celery leaves logging alone: Django's LOGGING (applied by django.setup()) is used."""


@before_task_publish.connect
def add_request_id(headers: dict | None = None, **kwargs) -> None:
    """A task sent during a request (or a task) carries its request id."""
    request_id = log_context.current(REQUEST_ID)
    if headers is not None and request_id and not headers.get(REQUEST_ID):
        headers[REQUEST_ID] = request_id


@task_prerun.connect
def bind_request_id(task_id: str, task, **kwargs) -> None:
    """In the worker, the task's lines carry the id it was sent with; eagerly, in the caller, they keep the caller's."""
    request = task.request
    values = {"task_id": task_id, "task": task.name}
    if not request.is_eager:
        values[REQUEST_ID] = getattr(request, REQUEST_ID, None) or (request.headers or {}).get(REQUEST_ID)
    request._log_token = log_context.bind(**values)
    request._log_started = time.perf_counter()
    log.info("task started")


@task_postrun.connect
def log_task_finished(task_id: str, task, state: str | None = None, **kwargs) -> None:
    """One line per task run, with its state and duration, then the context is restored."""
    request = task.request
    started = getattr(request, "_log_started", None)
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    log.info("task finished", extra={"task_state": state, "duration_ms": duration_ms})
    token = getattr(request, "_log_token", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # bound in another context (a thread pool): nothing to restore
            log_context.unbind(token)
