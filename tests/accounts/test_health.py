"""/healthz answers 200 when the database and the broker answer, 503 naming the part that did not."""

import json

import pytest
import redis
from django.db import connection

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/1"
NOTHING_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_reachable():
    """Skip unless the Redis of the CI's first pass answers."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")


def test_without_a_broker_the_broker_is_eager(client, settings):
    """With REDIS_URL unset tasks run in the web process: 200, broker "eager"."""
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"database": "ok", "broker": "eager"})


def test_database_and_redis_answering_is_200(client, settings, redis_reachable):
    """The database answers a query and Redis a PING: 200, both "ok"."""
    settings.REDIS_URL = REDIS_URL
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"database": "ok", "broker": "ok"})


def test_a_broker_that_does_not_answer_is_503(client, settings):
    """Redis refusing the connection: 503 and the broker named as unavailable."""
    settings.REDIS_URL = NOTHING_LISTENS
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (503, {"database": "ok", "broker": "unavailable"})


def test_a_database_that_does_not_answer_is_503(client, settings, monkeypatch):
    """The database failing the query: 503 and the database named as unavailable."""
    settings.REDIS_URL = ""

    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("the server closed the connection")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert (response.status_code, json.loads(response.content)) == (503, {"database": "unavailable", "broker": "eager"})


def test_healthz_needs_no_login_and_sets_no_cookie(client, settings):
    """An anonymous probe gets its answer, and no session or CSRF cookie with it."""
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200 and not response.cookies


def test_healthz_is_not_cached(client, settings):
    """A cache between the probe and the app must not answer for it."""
    settings.REDIS_URL = ""
    assert "no-cache" in client.get("/healthz").headers["Cache-Control"]
