"""The whole demo (`load_demo`): music's part plus the plan templates and the scorer."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command

from mixes.engine.plan import TEMPLATES
from mixes.models import Phase, ScorerConfig, WorkoutPlan
from music import demo
from music.models import Artist, AudioFeatures, MusicPreferences, Play, Track, TrackAffinity, TrackArtist
from tests.factories import WorkoutPlanFactory

COUNTED = [
    Track,
    Artist,
    TrackArtist,
    AudioFeatures,
    Play,
    TrackAffinity,
    MusicPreferences,
    WorkoutPlan,
    Phase,
    ScorerConfig,
    EmailAddress,
    get_user_model(),
]


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def demo_user(db):
    load_demo()
    return get_user_model().objects.get(username=demo.USERNAME)


def test_load_demo_twice_keeps_the_same_rows(db):
    """A second load_demo adds, duplicates and changes nothing."""
    load_demo()
    first = counts()

    out = load_demo()

    assert counts() == first
    assert "0 created, 0 updated" in out


def test_demo_user_has_template_plans_with_easy_run_active(demo_user):
    """The demo user has one plan per template and only the easy run is active."""
    plans = WorkoutPlan.objects.for_user(demo_user)

    assert sorted(plans.values_list("template_key", flat=True)) == sorted(TEMPLATES)
    assert list(plans.filter(is_active=True).values_list("template_key", flat=True)) == ["easy-run"]


def test_demo_user_has_preferences_and_scorer(demo_user):
    """The demo user has seed genres and a familiarity of 0.6, and a scorer config is active."""
    prefs = MusicPreferences.objects.get(user=demo_user)

    assert prefs.seed_genres and prefs.familiarity == 0.6
    assert ScorerConfig.objects.filter(is_active=True).count() == 1


def test_ensure_template_plans_gives_a_new_user_every_template(user):
    """A new user gets a copy of every template, the easy run active."""
    created = WorkoutPlan.ensure_templates(user)

    assert len(created) == len(TEMPLATES)
    assert WorkoutPlan.objects.for_user(user).get(is_active=True).template_key == "easy-run"


def test_ensure_template_plans_adds_only_the_missing_ones(user):
    """Templates the user already has are not copied again."""
    WorkoutPlan.ensure_templates(user)
    WorkoutPlan.objects.for_user(user).get(template_key="yoga").delete()

    created = WorkoutPlan.ensure_templates(user)

    assert [plan.template_key for plan in created] == ["yoga"]
    assert WorkoutPlan.objects.for_user(user).count() == len(TEMPLATES)


def test_ensure_template_plans_keeps_the_users_active_plan(user):
    """A user whose own plan is active keeps it active."""
    own = WorkoutPlanFactory(owner=user, is_active=True)

    WorkoutPlan.ensure_templates(user)

    assert WorkoutPlan.objects.for_user(user).get(is_active=True) == own
