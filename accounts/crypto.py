"""Spotify tokens are encrypted at rest with Fernet (the `cryptography` package).

Keys come from TOKEN_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first, so keys
can be rotated), or are derived from SECRET_KEY when none is set.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> tuple[str, ...]:
    configured = tuple(k.strip() for k in getattr(settings, "TOKEN_ENCRYPTION_KEYS", "").split(",") if k.strip())
    if configured:
        return configured
    derived = hashlib.sha256(f"session-mix-tokens:{settings.SECRET_KEY}".encode()).digest()
    return (base64.urlsafe_b64encode(derived).decode(),)


def encrypt(value: str) -> str:
    """Encrypt a secret for storage; empty and already-encrypted values pass through."""
    if not value or value.startswith(PREFIX):
        return value
    return PREFIX + _fernet(_keys()).encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    """The plain secret from a stored value."""
    if not value.startswith(PREFIX):
        return value
    return _fernet(_keys()).decrypt(value.removeprefix(PREFIX).encode()).decode()
