"""/admin/login/ is rate-limited as the site's sign-in is: allauth's login_failed limit, shared by both forms."""

import time

import pytest
from django.core.cache import cache

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests/factories.py
LIMIT = 5  # allauth's default ACCOUNT_LOGIN_ATTEMPTS_LIMIT, per username
WINDOW = 5 * 60  # allauth's default ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT, seconds


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Every test starts with no failed attempts counted (the cache may be a Redis shared by the tests)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


def admin_login(client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def fail(client, username: str, times: int = LIMIT) -> None:
    """`times` wrong passwords in a row, each refused as a wrong password (not yet as too many)."""
    for _ in range(times):
        assert admin_login(client, username, "wrong-password").status_code == 200


def test_the_right_password_signs_in(client, staff):
    """The admin's form still signs a staff member in."""
    response = admin_login(client, staff.username, PASSWORD)
    assert response.status_code == 302 and response.url == "/admin/"


def test_too_many_wrong_passwords_answer_429(client, staff):
    """After 5 wrong passwords in a row the next attempt is refused with 429 Too Many Requests."""
    fail(client, staff.username)
    response = admin_login(client, staff.username, "wrong-again")
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.text


def test_even_the_right_password_is_refused_inside_the_window(client, staff):
    """Once limited, the right password is refused too, and nobody is signed in."""
    fail(client, staff.username)
    response = admin_login(client, staff.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in_after_the_window(client, staff, monkeypatch):
    """When the window has passed the right password signs in again."""
    fail(client, staff.username)
    later = time.time() + WINDOW + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert admin_login(client, staff.username, PASSWORD).status_code == 302


def test_wrong_admin_passwords_count_for_the_site_login(client, staff):
    """The admin and the site count one username's failures together: no second budget of guesses."""
    fail(client, staff.username)
    response = client.post("/accounts/login/", {"login": staff.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.text
