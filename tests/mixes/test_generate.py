"""Screen 1: the plan timeline, the mix options and Generate."""

import pytest

from mixes.models import MixTrack, SessionMix, WorkoutPlan
from music.models import MusicPreferences
from tests.factories import ArtistFactory, WorkoutPlanFactory

pytestmark = pytest.mark.django_db


def post_generate(client, plan, /, **overrides):
    data = {"plan": plan.pk, "mix_type": "full", "familiarity": 50, "explicit_allowed": "on", **overrides}
    return client.post("/", data)


def test_screen1_shows_active_plan_timeline(user_client, plan):
    """The active plan is preselected and drawn as a timeline of its phases."""
    response = user_client.get("/")
    assert response.status_code == 200
    assert 'id="plan-timeline"' in response.text
    assert "Warm-up" in response.text and "Cool-down" in response.text
    assert f'<option value="{plan.pk}" selected' in response.text


def test_new_user_gets_template_plans(user_client, user):
    """A first visit gives the user the ready templates, one of them active."""
    user_client.get("/")
    plans = WorkoutPlan.objects.for_user(user)
    assert plans.count() == 8
    assert plans.filter(is_active=True).count() == 1


def test_deleted_template_plans_stay_deleted(user_client, user, plan):
    """A user who has plans is not given the templates again."""
    user_client.get("/")
    assert WorkoutPlan.objects.for_user(user).count() == 1


def test_choosing_a_plan_redraws_only_the_timeline(user_client, user, plan, htmx):
    """With htmx, changing the plan answers with the timeline fragment."""
    other = WorkoutPlanFactory(owner=user, name="Other", phases=[("Only", "steady", 600, (120, 120), (0.6, 0.6))])
    response = htmx.get(f"/?plan={other.pk}", headers={"HX-Target": "plan-timeline"})
    assert response.text.lstrip().startswith('<div id="plan-timeline">')
    assert "Only" in response.text and "<form" not in response.text


def test_generate_creates_mix_and_redirects_to_preview(user_client, user, plan, catalog):
    """Generate builds a mix of the catalog's tracks and opens Screen 2."""
    response = post_generate(user_client, plan)
    mix = SessionMix.objects.get(owner=user)
    assert response.status_code == 302 and response["Location"] == mix.get_absolute_url()
    assert MixTrack.objects.filter(mix=mix).count() >= 5


def test_generate_remembers_choices(user_client, user, plan, catalog):
    """Seeds and preferences chosen on Screen 1 are the defaults next time."""
    artist = catalog[0].artists.first()
    post_generate(user_client, plan, seed_artists=artist.name, seed_genres=["rock"], familiarity=80)
    prefs = MusicPreferences.of(user)
    assert list(prefs.seed_artists.all()) == [artist]
    assert prefs.seed_genres == ["rock"] and prefs.familiarity == 0.8


def test_mix_type_selects_part_of_plan(user_client, user, plan, catalog):
    """Cool-down only fills just the cool-down phase."""
    post_generate(user_client, plan, mix_type="cool_down")
    mix = SessionMix.objects.get(owner=user)
    assert [p["name"] for p in mix.plan_snapshot["phases"]] == ["Cool-down"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"mix_type": "marathon"}, "mix_type", "Select a valid choice"),
        ({"seed_artists": "Nobody Like This"}, "seed_artists", "Not in the catalog: Nobody Like This"),
        ({"seed_genres": ["polka"]}, "seed_genres", "Select a valid choice"),
        ({"familiarity": 150}, "familiarity", "less than or equal to 100"),
        ({"plan": "abc"}, "plan", "Select a valid choice"),
    ],
)
def test_bad_input_is_reported_next_to_the_field(user_client, user, plan, catalog, overrides, field, message):
    """Unknown mix types, seeds and values get a message by their field, no mix, no server error."""
    response = post_generate(user_client, plan, **overrides)
    assert response.status_code == 422
    assert message in str(response.context["form"].errors[field])
    assert not SessionMix.objects.filter(owner=user).exists()


def test_plan_without_phases_is_refused(user_client, user, catalog):
    """A plan with no phases can't be generated; the form says so."""
    empty = WorkoutPlanFactory(owner=user, phases=[])
    empty.phases.all().delete()
    response = post_generate(user_client, empty)
    assert response.status_code == 422
    assert "no phases" in str(response.context["form"].errors["plan"])


def test_mix_type_missing_from_plan_is_refused(user_client, user, catalog):
    """Warm-up only on a plan without a warm-up says so next to the mix type."""
    steady = WorkoutPlanFactory(owner=user, phases=[("Steady", "steady", 900, (160, 160), (0.7, 0.7))])
    response = post_generate(user_client, steady, mix_type="warm_up")
    assert "no warm-up phase" in str(response.context["form"].errors["mix_type"])


def test_someone_elses_plan_cannot_be_generated(user_client, other_user, catalog):
    """Another user's plan is not a valid choice."""
    theirs = WorkoutPlanFactory(owner=other_user)
    response = post_generate(user_client, theirs)
    assert response.status_code == 422
    assert not SessionMix.objects.exists()


def test_too_small_catalog_says_so(user_client, user, plan, db):
    """With too little music, the mix holds what fits and says what is missing."""
    from tests.factories import TrackFactory

    TrackFactory.create_batch(2, artist=ArtistFactory())
    post_generate(user_client, plan)
    mix = SessionMix.objects.get(owner=user)
    assert mix.notes
    assert "short" in " ".join(mix.notes).lower()


def test_artist_autocomplete_suggests_catalog_artists(user_client, catalog):
    """Typing part of a name offers matching artists, keeping names already typed."""
    name = catalog[0].artists.first().name
    response = user_client.get(
        "/music/artists/", {"field": "seed_artists", "seed_artists": f"Someone, {name[:-1]}", "list": "x-options"}
    )
    assert f'value="Someone, {name}"' in response.text
    assert '<datalist id="x-options">' in response.text


def test_plan_over_six_hours_is_refused_at_generate(user_client, user, plan, catalog):
    """A plan made longer than 6 hours elsewhere (the admin) is refused by Generate, not stored."""
    plan.phases.filter(position=1).update(duration_s=6 * 3600)
    response = post_generate(user_client, plan)
    assert response.status_code == 422
    assert "at most 6 hours" in str(response.context["form"].errors["plan"])
    assert not SessionMix.objects.exists()


def test_never_play_artists_are_left_out_and_remembered(user_client, user, plan, catalog):
    """Artists marked "never play" appear in no track of the mix, and stay in the preferences."""
    banned = catalog[0].artists.first()
    post_generate(user_client, plan, excluded_artists=banned.name)
    mix = SessionMix.objects.get(owner=user)
    assert not mix.tracks.filter(track__artists=banned).exists()
    assert list(MusicPreferences.of(user).excluded_artists.all()) == [banned]


def test_unknown_never_play_artist_is_refused(user_client, user, plan, catalog):
    """An unknown never-play artist is reported by its field; nothing is generated."""
    response = post_generate(user_client, plan, excluded_artists="Nobody Like This")
    assert "Not in the catalog: Nobody Like This" in str(response.context["form"].errors["excluded_artists"])
    assert not SessionMix.objects.exists()
