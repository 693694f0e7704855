"""What every app's per-person rows share. Accounts themselves are Django's users and allauth's social accounts."""

from typing import Self


class OnePerUser:
    """A model with one row per user, in a OneToOneField named `user` (preferences, sync state, taste profile)."""

    @classmethod
    def of(cls, user) -> Self:
        """The user's row, made with its defaults on first use."""
        row, _ = cls._default_manager.get_or_create(user=user)  # type: ignore[attr-defined]
        return row
