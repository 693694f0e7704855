"""JSON log lines with a request id (web, tasks, management commands), tracebacks inside, no secret in any line."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialToken
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.crypto import decrypt
from accounts.spotify import SpotifyClient
from config import logging as log_context
from config.celery import add_request_id, bind_request_id, log_task_finished
from config.logging import REDACTED, handler, redact
from tests.factories import UserFactory

LOOPBACK = {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000"}


class Captured:
    """Every log line written through the app's JSON handler during the test."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]

    def finished(self) -> dict:
        return next(line for line in self.lines() if line["message"] == "request finished")


@pytest.fixture
def logs():
    """All log output, at DEBUG, through the handler settings.LOGGING uses (JSON, context, redaction)."""
    captured = Captured()
    root = logging.getLogger()
    out = handler(json=True, stream=captured.stream)
    level = root.level
    root.addHandler(out)
    root.setLevel(logging.DEBUG)
    yield captured
    root.removeHandler(out)
    root.setLevel(level)


# --- the request id ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_lines_are_json_with_the_request_id(client, logs):
    """Every line of a request is one JSON object carrying the id the response returns."""
    response = client.get("/accounts/login/")
    request_id = response["X-Request-ID"]
    lines = logs.lines()
    assert lines and all(line["request_id"] == request_id for line in lines)


@pytest.mark.django_db
def test_request_finished_line_has_method_path_status_duration(user_client, user, logs):
    """The request's last line says who, what and how long, and the path has no query string."""
    user_client.get("/music/?code=secret-code&state=secret-state")
    line = logs.finished()
    assert {k: line[k] for k in ("level", "logger", "method", "path", "user_id")} == {
        "level": "INFO",
        "logger": "config.request",
        "method": "GET",
        "path": "/music/",
        "user_id": user.pk,
    }
    assert line["status"] == 200 and line["duration_ms"] >= 0 and "timestamp" in line


@pytest.mark.django_db
def test_djangos_not_found_line_carries_the_request_id(client, logs):
    """django.request's "Not Found" line, written after the middleware returns, has the request's id."""
    response = client.get("/no-such-page/")
    (line,) = [line for line in logs.lines() if line["logger"] == "django.request"]
    assert line["message"] == "Not Found: /no-such-page/" and line["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_incoming_request_id_is_kept(client, logs):
    """A safe X-Request-ID from the proxy is used for the lines and returned."""
    response = client.get("/accounts/login/", headers={"X-Request-ID": "edge-7f3a.1"})
    assert response["X-Request-ID"] == "edge-7f3a.1" and logs.finished()["request_id"] == "edge-7f3a.1"


@pytest.mark.django_db
def test_unsafe_incoming_request_id_is_replaced(client):
    """An X-Request-ID with unsafe characters or too long is replaced by one of ours."""
    for unsafe in ("a b<script>", "x" * 65):
        response = client.get("/accounts/login/", headers={"X-Request-ID": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


# --- tasks ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_by_a_request_logs_its_request_id(connected_user, client, logs):
    """Refresh my music queues a sync; the task's lines carry the request's id (eagerly, in the request)."""
    client.force_login(connected_user)
    response = client.post("/music/sync/")
    task_lines = [line for line in logs.lines() if line.get("task") == "music.tasks.sync_history_task"]
    assert [line["message"] for line in task_lines if line["logger"] == "config.celery"] == [
        "task started",
        "task finished",
    ]
    assert {line["request_id"] for line in task_lines} == {response["X-Request-ID"]}


def _noop() -> None:
    """A task body that does nothing."""


def _seen_request_id() -> str | None:
    """A task body: the request id its lines carry."""
    return log_context.current("request_id")


def test_publishing_a_task_adds_the_request_id_header():
    """A task sent during a request carries the request id in its message headers."""
    headers: dict = {}
    token = log_context.bind(request_id="req-1")
    try:
        add_request_id(headers=headers)
    finally:
        log_context.unbind(token)
    assert headers == {"request_id": "req-1"}


def test_worker_binds_the_request_id_it_was_sent_with(logs):
    """In a worker, a task's lines carry the request id of its message, then the context is restored."""
    app = Celery("logtest", broker="memory://", fixups=[])
    task = app.task(name="logtest.noop")(_noop)
    task.push_request(id="t-1", is_eager=False, request_id="req-2")
    try:
        bind_request_id(task_id="t-1", task=task)
        logging.getLogger("tests").info("inside the task")
        log_task_finished(task_id="t-1", task=task, state="SUCCESS")
    finally:
        task.pop_request()
    assert [line["request_id"] for line in logs.lines()] == ["req-2", "req-2", "req-2"]
    assert log_context.current("request_id") is None


def test_request_id_travels_through_a_real_broker_and_worker():
    """Sent with a request id bound, a task run by a worker thread (memory broker) sees that id."""
    app = Celery("logtest", broker="memory://", backend="cache+memory://", fixups=[])
    app.conf.task_always_eager = False
    seen = app.task(name="logtest.seen")(_seen_request_id)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        token = log_context.bind(request_id="req-3")
        try:
            result = seen.delay()
        finally:
            log_context.unbind(token)
        assert result.get(timeout=10) == "req-3"


# --- tracebacks and formats -------------------------------------------------------------------------


def test_traceback_is_inside_one_json_line(logs):
    """A logged exception is one JSON line with the traceback in its `exception` field."""
    try:
        raise ZeroDivisionError("the divisor")
    except ZeroDivisionError:
        logging.getLogger("tests").exception("it broke")
    (line,) = logs.lines()
    assert line["message"] == "it broke" and line["level"] == "ERROR"
    assert line["exception"].startswith("Traceback") and "ZeroDivisionError: the divisor" in line["exception"]


@pytest.mark.django_db
def test_server_error_traceback_is_one_json_line_with_the_request_id(client, logs, monkeypatch):
    """django.request's "Internal Server Error" is one JSON line with the traceback and the request id."""
    from music import views

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "_status_response", broken)
    client.raise_request_exception = False
    client.force_login(UserFactory())
    response = client.get("/music/sync/status/", headers={"HX-Request": "true"})
    (error,) = [line for line in logs.lines() if line["logger"] == "django.request"]
    assert response.status_code == 500 and "RuntimeError: boom" in error["exception"]
    assert error["request_id"] == response["X-Request-ID"]


def test_production_logs_json_by_default_in_management_commands():
    """With DEBUG off and no LOG_FORMAT, a management command's log line is JSON on stderr."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "a-production-secret-key-for-this-test-only-0123456789",
        "DATABASE_URL": "sqlite:///:memory:",
        "EMAIL_URL": "smtp://127.0.0.1:2525",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DEFAULT_FROM_EMAIL": "Session Mix <mix@example.com>",
    }
    env.pop("LOG_FORMAT", None)
    code = "import logging; logging.getLogger('ops').warning('from a command')"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "from a command" and line["logger"] == "ops" and line["level"] == "WARNING"


def test_djangos_loggers_write_through_our_handler():
    """runserver's access log (django.server) and django.request have no handler of their own."""
    assert logging.getLogger("django.server").handlers == [] and logging.getLogger("django").handlers == []


# --- no secrets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('"GET /accounts/spotify/login/callback/?code=AQDx9&state=Zk3p HTTP/1.1" 200', "AQDx9"),
        ('"GET /accounts/spotify/login/callback/?code=AQDx9&state=Zk3p HTTP/1.1" 200', "Zk3p"),
        ("GET /accounts/password/reset/key/4-cb9q2d-8f1e0a/ 302", "cb9q2d-8f1e0a"),
        ("headers: {'Authorization': 'Bearer BQD7tok'}", "BQD7tok"),
        ('{"access_token": "BQD7tok", "refresh_token": "AQBrefresh", "expires_in": 3600}', "AQBrefresh"),
        ("grant_type=refresh_token&refresh_token=AQBrefresh&client_secret=s3cr3t-value", "s3cr3t-value"),
    ],
)
def test_redact_scrubs_known_shapes(text, secret):
    """OAuth codes and states, reset keys, bearer tokens, tokens in JSON or forms, client secrets are scrubbed."""
    assert secret not in redact(text) and REDACTED in redact(text)


def test_redact_scrubs_the_configured_client_secret(settings):
    """The Spotify client secret's value is scrubbed wherever it appears."""
    settings.SPOTIFY_CLIENT_SECRET = "the-client-secret-42"
    assert "the-client-secret-42" not in redact("Basic auth with the-client-secret-42 failed")


def test_runserver_access_line_loses_its_query_string(logs):
    """django.server's request line (with its socket as an extra) is written without the code and state."""
    logging.getLogger("django.server").warning(
        '"%s" %s %s',
        "GET /accounts/spotify/login/callback/?code=AQDx9code&state=Zk3pstate HTTP/1.1",
        "400",
        "12",
        extra={"request": object(), "server_time": "01/Dec/2026 13:30:00"},
    )
    (line,) = logs.lines()
    assert "AQDx9code" not in logs.text and "Zk3pstate" not in logs.text and "request" not in line


@pytest.mark.django_db(transaction=True)
def test_no_secret_reaches_the_logs(client, spotify_sandbox, logs):
    """Spotify sign-in, a token refresh and a password reset, at DEBUG: no code, token, key or secret is logged."""
    secrets = [settings.SPOTIFY_CLIENT_SECRET]

    # The OAuth round trip: the authorization code and state arrive in the callback's query string.
    to_spotify = client.post("/accounts/spotify/login/?process=login", **LOOPBACK)
    query = {name: values[0] for name, values in parse_qs(urlsplit(to_spotify["Location"]).query).items()}
    agreed = requests.post(
        f"{spotify_sandbox.url}/authorize",
        data={**query, "account": "sandbox-demo", "action": "agree"},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(agreed.headers["Location"])
    callback = parse_qs(back.query)
    secrets += [callback["code"][0], callback["state"][0]]
    assert client.get(f"{back.path}?{back.query}", **LOOPBACK).status_code == 302
    token = SocialToken.objects.get()
    secrets += [decrypt(token.token), decrypt(token.token_secret)]

    # A token refresh: the new access (and refresh) token.
    SocialToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    SpotifyClient(token.account.user).me()
    token.refresh_from_db()
    secrets += [decrypt(token.token), decrypt(token.token_secret)]

    # A password reset: the link sent by mail, then following it.
    user = UserFactory(email="runner@example.com")
    client.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"https?://\S+/password/reset/key/(\S+?)/", mail.outbox[-1].body)
    assert link is not None
    secrets += [link.group(1)]
    client.get(urlsplit(link.group(0)).path)

    assert logs.lines(), "nothing was logged"
    leaked = [secret for secret in secrets if secret in logs.text]
    assert leaked == []
