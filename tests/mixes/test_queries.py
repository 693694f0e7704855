"""Screen 2 and a swap cost the same number of queries however long the mix is."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mixes import services
from tests.factories import TrackFactory, WorkoutPlanFactory

pytestmark = pytest.mark.django_db


def mix_of_minutes(user, minutes):
    plan = WorkoutPlanFactory(owner=user, phases=[("Steady", "steady", minutes * 60, (150, 150), (0.7, 0.7))])
    return services.create_mix(user, plan, seed=1)


def count_queries(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def test_preview_queries_do_not_grow_with_the_mix(user_client, user, catalog):
    """A 10-minute and a 40-minute mix render with the same number of queries."""
    short, long = mix_of_minutes(user, 10), mix_of_minutes(user, 40)
    assert long.tracks.count() > 2 * short.tracks.count()
    assert count_queries(lambda: user_client.get(short.get_absolute_url())) == count_queries(
        lambda: user_client.get(long.get_absolute_url())
    )


def test_swap_queries_do_not_grow_with_the_mix(user_client, user, catalog, htmx):
    """A swap in a short and in a long mix costs the same number of queries."""
    short, long = mix_of_minutes(user, 10), mix_of_minutes(user, 40)

    def swap(mix):
        item = mix.tracks.first()
        return lambda: htmx.post(f"/mixes/{mix.pk}/tracks/{item.pk}/swap/")

    assert count_queries(swap(short)) == count_queries(swap(long))


def test_swap_reads_only_tracks_near_the_slot(user_client, user, catalog, htmx, monkeypatch):
    """A swap reads the mix's tracks and the few nearest the slot's target, not the whole catalog."""
    from mixes import pools
    from mixes.engine.pool import Pool

    mix = mix_of_minutes(user, 10)
    TrackFactory.create_batch(40, features__tempo=100, features__energy=0.7)  # far from 150, 75 and 300 BPM
    monkeypatch.setattr(pools, "SWAP_CANDIDATES", 10)
    keys = []
    real = Pool.from_columns.__func__

    def spy(cls, **columns):
        keys.append(set(columns["keys"]))
        return real(cls, **columns)

    item = mix.tracks.first()
    with mock.patch.object(Pool, "from_columns", classmethod(spy)):
        htmx.post(f"/mixes/{mix.pk}/tracks/{item.pk}/swap/")
    mine = {str(pk) for pk in mix.tracks.values_list("track_id", flat=True)} | {str(item.track_id)}
    assert keys and len(keys[0] - mine) <= 10
