"""Settings that keep real Spotify safe: no tokens under a public key, a warning without a worker."""

import runpy

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

import config.settings

ENVIRONMENT = ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "DEBUG")


def load_settings(monkeypatch, **environment) -> dict:
    """The settings module as it reads this environment."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(config.settings.__file__)


def test_real_spotify_without_a_secret_key_refuses_to_start(monkeypatch):
    """SPOTIFY_CLIENT_ID without SECRET_KEY or TOKEN_ENCRYPTION_KEYS: tokens would be sealed with a public key."""
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY nor TOKEN_ENCRYPTION_KEYS"):
        load_settings(monkeypatch, SPOTIFY_CLIENT_ID="a-real-app")


@pytest.mark.parametrize("secret", ["SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"])
def test_real_spotify_with_a_secret_starts(monkeypatch, secret):
    """Either secret set explicitly is enough to start with real Spotify."""
    assert load_settings(monkeypatch, SPOTIFY_CLIENT_ID="a-real-app", **{secret: "set-by-the-operator"})["SPOTIFY_REAL"]


def test_the_sandbox_needs_no_secret(monkeypatch):
    """Without SPOTIFY_CLIENT_ID (the demo, the tests) the development key is fine."""
    assert not load_settings(monkeypatch)["SPOTIFY_REAL"]


def test_real_spotify_without_redis_warns(settings):
    """With real Spotify and no REDIS_URL, the system check says the work runs inside web requests."""
    settings.SPOTIFY_REAL, settings.REDIS_URL = True, ""
    assert "accounts.W001" in [message.id for message in run_checks(tags=["spotify"])]


@pytest.mark.parametrize(("real", "redis"), [(True, "redis://127.0.0.1:6379/0"), (False, "")])
def test_no_worker_warning_with_redis_or_the_sandbox(settings, real, redis):
    """With a worker, or against the sandbox, there is nothing to warn about."""
    settings.SPOTIFY_REAL, settings.REDIS_URL = real, redis
    assert "accounts.W001" not in [message.id for message in run_checks(tags=["spotify"])]
