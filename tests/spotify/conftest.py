"""Fixtures for the listening-history, audio-features and resolve tests: users connected to the sandbox."""

from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.utils import timezone

from accounts.sandbox.library import DEMO
from tests.factories import UserFactory

HTMX = {"HX-Request": "true"}


def connect(user, sandbox, account_id: str = DEMO):
    """Link the user to a sandbox account with a live token, as if they had been through the OAuth dance."""
    issued = sandbox.issue_token(account_id)
    account = SocialAccount.objects.create(user=user, provider="spotify", uid=account_id, extra_data={})
    SocialToken.objects.create(
        account=account,
        token=issued["access_token"],
        token_secret=issued["refresh_token"],
        expires_at=timezone.now() + timedelta(hours=1),
    )
    return user


@pytest.fixture
def connected_user(user, spotify_sandbox):
    """The user, linked to the sandbox's demo account (150 recent plays, 120 saved tracks, 50 top tracks a range)."""
    return connect(user, spotify_sandbox)


@pytest.fixture
def connected_client(client, connected_user):
    client.force_login(connected_user)
    return client


@pytest.fixture
def make_connected_user(spotify_sandbox):
    """Another connected user, on any sandbox account."""

    def make(account_id: str = DEMO):
        return connect(UserFactory(), spotify_sandbox, account_id)

    return make
