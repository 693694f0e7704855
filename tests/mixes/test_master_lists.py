"""Reseeding Master Lists from rules (global) and from the scorer (per user)."""

import pytest
from django.core.management import call_command

from mixes.master_lists import reseed_for_user, reseed_global
from music.models import MasterList
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


def test_global_list_follows_its_rules(catalog):
    """A global cool-down list holds only tracks whose tempo (or half/double) and energy fit its rules."""
    reseed_global()
    cool = MasterList.objects.get(owner=None, phase_kind="cool_down")
    low, high = cool.rules["tempo"]
    for entry in cool.entries.select_related("track__features"):
        tempo, energy = entry.track.features.tempo, entry.track.features.energy
        assert any(low <= tempo * f <= high for f in (1, 2, 0.5))
        assert cool.rules["energy"][0] <= energy <= cool.rules["energy"][1]


def test_staff_edited_rules_are_kept(db):
    """A list whose rules staff changed is reseeded with those rules."""
    fast = TrackFactory(features__tempo=180, features__energy=0.9)
    TrackFactory(features__tempo=120, features__energy=0.9)
    MasterList.objects.create(
        owner=None, phase_kind="peak", name="Peak (global)", rules={"tempo": [175, 185], "energy": [0.8, 1]}
    )
    reseed_global()
    assert list(MasterList.objects.get(owner=None, phase_kind="peak").tracks.all()) == [fast]


def test_reseed_is_idempotent(catalog):
    """Running it twice leaves the same lists and entry counts."""
    reseed_global()
    first = {m.pk: m.entries.count() for m in MasterList.objects.all()}
    reseed_global()
    assert {m.pk: m.entries.count() for m in MasterList.objects.all()} == first


def test_user_lists_come_from_the_scorer(user, catalog):
    """Each phase kind gets a per-user list, best scores first."""
    reseed_for_user(user)
    lists = MasterList.objects.filter(owner=user)
    assert lists.count() == 7
    scores = list(lists.get(phase_kind="peak").entries.values_list("score", flat=True))
    assert scores == sorted(scores, reverse=True) and scores


def test_command_reseeds_global_and_user_lists(user, catalog):
    """The management command rebuilds both kinds of list."""
    call_command("reseed_master_lists")
    assert MasterList.objects.filter(owner=None).count() == 7
    assert MasterList.objects.filter(owner=user).count() == 7


def test_generator_favours_tracks_on_the_phase_list(user, catalog):
    """A track on the phase kind's Master List scores higher and says so."""
    from mixes import pools
    from mixes.engine.scorer import Preferences, Weights, explain, score
    from music.models import MasterListEntry

    listed, other = catalog[0], catalog[3]
    steady = MasterList.objects.create(owner=None, phase_kind="steady", name="Steady picks", rules={})
    MasterListEntry.objects.create(master_list=steady, track=listed, score=1)
    pool = pools.load_pool(user)
    a, b = pool.index_of(str(listed.pk)), pool.index_of(str(other.pk))
    result = score(pool, [a, b], 160, 0.7, "steady", Preferences(), Weights())
    assert result.parts["master_list"][0] > 0 and result.parts["master_list"][1] == 0
    assert "on the steady list" in explain(pool, a, listed.features.tempo, 0.7, "steady", Preferences(), Weights())


def test_other_users_lists_do_not_count(user, other_user, catalog):
    """Someone else's per-user list gives this user's tracks no bonus."""
    from mixes import pools
    from music.models import MasterListEntry

    theirs = MasterList.objects.create(owner=other_user, phase_kind="steady", name="Theirs", rules={})
    MasterListEntry.objects.create(master_list=theirs, track=catalog[0], score=1)
    assert pools.load_pool(user).track_at(0).lists == frozenset()


@pytest.mark.parametrize(
    "rules",
    [
        {"tempo": [150], "energy": [0.5, 0.9]},
        {"tempo": [190, 150], "energy": [0.5, 0.9]},
        {"tempo": [150, 190], "energy": [0.5, 1.4]},
        {"tempo": [150, 190], "energy": [0.5, 0.9], "genres": "rock"},
        {"tempo": [150, 190], "energy": [0.5, 0.9], "decade": 1980},
    ],
)
def test_master_list_rules_are_validated_in_the_admin(admin_client, rules):
    """Rules the reseed couldn't use are refused next to the field, and nothing is saved."""
    import json

    response = admin_client.post(
        "/admin/music/masterlist/add/",
        {
            "name": "Bad",
            "phase_kind": "steady",
            "rules": json.dumps(rules),
            "entries-TOTAL_FORMS": 0,
            "entries-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not MasterList.objects.filter(name="Bad").exists()
