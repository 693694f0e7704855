import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """A real password hash costs about a second; these tests create many users (admin_client, demo)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
