"""Fixtures for the listening-history, audio-features and resolve tests: users connected to the sandbox."""

import pytest

from accounts.sandbox.library import DEMO
from tests.factories import UserFactory
from tests.fixtures.spotify import connect


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
