import itertools

import pytest

from mixes import services
from tests.factories import ArtistFactory, TrackFactory, WorkoutPlanFactory


@pytest.fixture
def catalog(db):
    """Ninety tracks by thirty artists, tempos 80–180 BPM, energies 0.3–0.95, lengths 2:30–4:30."""
    artists = ArtistFactory.create_batch(30)
    tracks = []
    for n, artist in zip(range(90), itertools.cycle(artists)):
        tracks.append(
            TrackFactory(
                artist=artist,
                duration_ms=150_000 + (n * 7919) % 120_000,
                features__tempo=80 + (n * 37) % 101,
                features__energy=round(0.3 + ((n * 13) % 66) / 100, 2),
                genre=("pop", "rock", "edm")[n % 3],
            )
        )
    return tracks


@pytest.fixture
def plan(user):
    return WorkoutPlanFactory(owner=user, is_active=True)


@pytest.fixture
def mix(user, plan, catalog):
    return services.create_mix(user, plan, seed=7)
