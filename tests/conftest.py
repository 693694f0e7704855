import os

import pytest
from celery._state import _set_task_join_will_block
from django.test import Client

from config.celery import app as celery_app
from tests.factories import UserFactory

# The Spotify sandbox fixtures (`spotify_sandbox`, `connected_user`), for every test directory.
pytest_plugins = ["tests.fixtures.spotify"]

# Playwright runs an event loop in the test thread; the ORM is used there only by the tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in the test, whatever broker the environment names.

    Celery marks "inside a task" with one process-wide flag that each eager run sets and restores; two eager
    runs interleaved in different threads (a live server's and the test's) can leave it set, and every later
    `result.get()` would then refuse. Each test starts with it clear.
    """
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    _set_task_join_will_block(False)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def htmx(client):
    """A client whose every request carries `HX-Request: true`; it shares `client`'s session (sign in through that)."""
    htmx_client = Client(headers={"HX-Request": "true"})
    htmx_client.cookies = client.cookies  # one cookie jar, so one session for both clients
    return htmx_client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """A real password hash costs about a second; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
