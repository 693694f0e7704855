"""Logging: one JSON object per line, a request id on every line, no secret in any line.

- `handler(json=...)` is the one handler the web process, the Celery worker, management commands
  and gunicorn log through (settings.LOGGING, config/gunicorn.conf.py): JSON, or a readable line in
  development; with `RedactSecrets` and `AddContext` on it.
- `RequestIdMiddleware` takes a valid incoming `X-Request-ID` or makes one, binds it (with the
  user id once the request has looked at its user), answers with it, and logs the request's
  finished line (method, path without query string, status, duration).
- `bind(...)`/`current(...)` are the log context; config/celery.py carries the request id from
  the request that enqueues a task into the worker that runs it.

This module imports no Django settings at import time: gunicorn's master loads it before Django.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and made of safe characters; otherwise we make one.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)


def current(name: str) -> Any:
    """A value of the log context (`request_id`, `task_id`, …), or None."""
    return (_context.get() or {}).get(name)


def bind(**values: Any) -> contextvars.Token:
    """Add values to the log context; pass the token to `unbind` to restore the previous context."""
    return _context.set({**(_context.get() or {}), **values})


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> str | None:
    """The incoming request id if it is safe to log and pass on, else None."""
    return value if value and VALID_REQUEST_ID.fullmatch(value) else None


def handler(json: bool = True, stream: Any = None) -> logging.Handler:
    """The log handler: a stream (stderr) with the context and the redaction on it, JSON or readable."""
    out = logging.StreamHandler(stream or sys.stderr)
    out.addFilter(AddContext())
    out.addFilter(RedactSecrets())
    out.setFormatter(json_formatter() if json else console_formatter())
    return out


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception", "stack_info": "stack"},
        timestamp=True,
    )


def console_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


class RequestIdMiddleware:
    """First in MIDDLEWARE: every line of the request carries its id; the response says it; one line when done.

    The id is bound from `request_started` to `request_finished`, so the lines Django's handler writes
    around the middleware (django.request's "Not Found: …", "Unauthorized: …") carry it too.
    """

    log = logging.getLogger("config.request")

    def __init__(self, get_response: Callable) -> None:
        from django.core.signals import request_finished, request_started

        self.get_response = get_response
        request_started.connect(_request_started, dispatch_uid="config.logging.request_started")
        request_finished.connect(_request_finished, dispatch_uid="config.logging.request_finished")

    def __call__(self, request):
        request_id = current("request_id") or _incoming_request_id(request.META)
        request.request_id = request_id
        bind(request_id=request_id, request=request)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        self.log.info(
            "request finished",
            extra={
                "method": request.method,
                "path": request.path,  # never the query string
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


def _incoming_request_id(environ: dict) -> str:
    return valid_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()


def _request_started(sender, environ: dict | None = None, **kwargs) -> None:
    """A new request: a new log context with its id (each request starts from an empty context)."""
    _context.set({"request_id": _incoming_request_id(environ or {})})


def _request_finished(sender, **kwargs) -> None:
    _context.set(None)


class AddContext(logging.Filter):
    """Puts the log context on each record: request id, user id (once the request has loaded its user), task."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        record.request_id = getattr(record, "request_id", None) or context.get("request_id") or "-"
        user_id = _user_id(context.get("request"))
        if user_id is not None:
            record.user_id = user_id
        for name in ("task_id", "task"):
            if context.get(name):
                setattr(record, name, context[name])
        return True


def _user_id(request) -> int | None:
    """The signed-in user's id if the request has already loaded its user: logging never runs a query."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)  # request.user is a lazy object until something reads it
    if wrapped is None or type(wrapped).__name__ == "object":  # django.utils.functional.empty
        return None
    return getattr(wrapped, "pk", None)


# --- redaction -------------------------------------------------------------------------------------

REDACTED = "[redacted]"
# Names whose values are secrets wherever they appear: a query string, a form, JSON, a header, an extra.
SECRET_NAMES = (
    "code|state|access_token|refresh_token|id_token|token|client_secret|secret|password|password1|password2"
    "|key|api_key|authorization|sessionid|csrftoken|csrfmiddlewaretoken"
)
_PATTERNS = [
    # name=value in a query string, a form body or a log message (?code=…&state=…)
    (re.compile(rf"(?i)(?<![\w-])((?:{SECRET_NAMES})=)[^&\s\"'#;,]+"), rf"\1{REDACTED}"),
    # "name": "value" / 'name': 'value' (JSON, a dict's repr)
    (
        re.compile(rf"(?i)([\"'](?:{SECRET_NAMES})[\"']\s*:\s*[\"'])[^\"']*"),
        rf"\1{REDACTED}",
    ),
    # Authorization: Bearer … / Basic …
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # allauth's password-reset link: /accounts/password/reset/key/<uid>-<key>/
    (re.compile(r"(?i)(/password/reset/key/)[^/\s\"'?]+"), rf"\1{REDACTED}"),
]
_SECRET_KEYS = re.compile(rf"(?i)^(?:{SECRET_NAMES}|.*_(?:token|secret|password))$")
# Extras that are objects whose text holds a whole URL (the request line, the socket): dropped.
_DROPPED = ("request",)
_PRIMITIVE = (int, float, bool, type(None))
# Settings whose values are secrets: redacted verbatim wherever they appear.
_SECRET_SETTINGS = ("SECRET_KEY", "SPOTIFY_CLIENT_SECRET", "EMAIL_HOST_PASSWORD", "TOKEN_ENCRYPTION_KEYS")
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id", "user_id"}


def redact(text: str) -> str:
    """The text with every secret we know the shape or the value of replaced by "[redacted]"."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for secret in _known_secrets():
        text = text.replace(secret, REDACTED)
    return text


class RedactSecrets(logging.Filter):
    """Scrubs the message, the extra fields and the traceback of a record before any handler writes it.

    The record is changed in place (message formatted, args dropped, traceback formatted into
    `exc_text`), so every handler after this one sees the scrubbed record too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name in _RESERVED:
                continue
            if name in _DROPPED:
                del record.__dict__[name]
            else:
                setattr(record, name, _scrub(name, value))
        return True


def _scrub(name: str, value: Any) -> Any:
    """An extra field's value, scrubbed: a secret's name hides its value; text, dicts and lists are redacted."""
    if _SECRET_KEYS.match(name) and value not in ("", None):
        return REDACTED
    if isinstance(value, _PRIMITIVE):
        return value
    if isinstance(value, dict):
        return {str(key): _scrub(str(key), item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub("", item) for item in value]
    return redact(value if isinstance(value, str) else str(value))


_secrets_cache: list[str] | None = None


def _known_secrets() -> list[str]:
    """The configured secrets' values (long enough not to match ordinary words), read once per settings change."""
    global _secrets_cache
    if _secrets_cache is not None:
        return _secrets_cache
    values = [os.environ.get(name, "") for name in _SECRET_SETTINGS]
    configured = False
    try:
        from django.conf import settings
        from django.core.signals import setting_changed

        if configured := settings.configured:
            values += [str(getattr(settings, name, "") or "") for name in _SECRET_SETTINGS]
            setting_changed.connect(_forget_secrets, dispatch_uid="config.logging.forget_secrets")
    except Exception:  # logging must never fail because settings cannot be read
        pass
    secrets = sorted({part for value in values for part in value.split(",") if len(part) >= 8}, key=len, reverse=True)
    if configured:  # before Django is set up (gunicorn's master) read again next time
        _secrets_cache = secrets
    return secrets


def _forget_secrets(setting: str = "", **kwargs) -> None:
    global _secrets_cache
    if setting in _SECRET_SETTINGS:
        _secrets_cache = None
