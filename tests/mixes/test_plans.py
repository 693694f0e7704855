"""The plan editor: rename, add, edit, reorder and remove phases; activate; templates."""

import pytest

from mixes.models import WorkoutPlan

pytestmark = pytest.mark.django_db


def phase_data(phase, **overrides):
    data = {
        "name": phase.name,
        "kind": phase.kind,
        "duration_min": phase.duration_s / 60,
        "tempo_start": phase.tempo_start,
        "tempo_end": phase.tempo_end,
        "energy_start": phase.energy_start,
        "energy_end": phase.energy_end,
        **overrides,
    }
    return {f"phase-{phase.pk}-{key}": value for key, value in data.items()}


def test_plan_list_shows_plans_and_templates(user_client, plan):
    """The plan list shows the user's plans and offers the templates."""
    response = user_client.get("/plans/")
    assert plan.name in response.text and "HIIT 8×1 min" in response.text


def test_new_plan_from_template(user_client, user, plan):
    """Creating from a template copies its phases."""
    response = user_client.post("/plans/", {"template": "hiit", "name": ""})
    new = WorkoutPlan.objects.get(owner=user, template_key="hiit")
    assert response["Location"] == new.get_absolute_url()
    assert new.phases.count() == 18


def test_new_blank_plan_has_one_phase(user_client, user, plan):
    """A blank plan starts with one phase to edit."""
    user_client.post("/plans/", {"template": "", "name": "Hills"})
    assert WorkoutPlan.objects.get(owner=user, name="Hills").phases.count() == 1


def test_edit_phase_htmx_answers_with_that_phase_and_the_summary(user_client, plan, htmx):
    """Saving a phase answers with its own card, then the timeline and total out of band."""
    phase = plan.phases.first()
    response = htmx.post(f"/plans/{plan.pk}/phases/{phase.pk}/", phase_data(phase, duration_min=7.5, tempo_end=155))
    assert response.text.lstrip().startswith(f'<div class="card phase-card" id="phase-{phase.pk}">')
    assert '<div id="plan-summary" hx-swap-oob="true">' in response.text
    phase.refresh_from_db()
    assert phase.duration_s == 450 and phase.tempo_end == 155


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration_min", 0, "greater than or equal to 0.25"),
        ("duration_min", -5, "greater than or equal to 0.25"),
        ("duration_min", 400, "at most 6 hours"),
        ("tempo_start", 20, "at least 30"),
        ("tempo_end", 300, "at most 250"),
        ("energy_start", 1.5, "at most 1"),
        ("energy_end", -0.1, "at least 0"),
        ("kind", "nap", "Select a valid choice"),
    ],
)
def test_bad_phase_values_are_refused_next_to_the_field(user_client, plan, field, value, message, htmx):
    """Absurd durations, tempos and energies get a message by the field; the phase is unchanged."""
    phase = plan.phases.first()
    response = htmx.post(f"/plans/{plan.pk}/phases/{phase.pk}/", phase_data(phase, **{field: value}))
    assert response.status_code == 422
    assert message in response.text
    before = phase.duration_s, phase.tempo_start, phase.energy_start
    phase.refresh_from_db()
    assert (phase.duration_s, phase.tempo_start, phase.energy_start) == before


def test_whole_plan_over_six_hours_is_refused(user_client, plan):
    """A phase that would make the plan longer than 6 hours is refused."""
    phase = plan.phases.first()
    response = user_client.post(f"/plans/{plan.pk}/phases/{phase.pk}/", phase_data(phase, duration_min=350))
    assert response.status_code == 422
    assert "whole plan can last at most 6 hours" in response.text


def test_add_move_and_remove_phases(user_client, plan, htmx):
    """Phases can be added, moved up and removed; positions stay in order."""
    htmx.post(f"/plans/{plan.pk}/phases/")
    added = plan.phases.last()
    htmx.post(f"/plans/{plan.pk}/phases/{added.pk}/move/", {"direction": "up"})
    assert [p.pk for p in plan.phases.all()][2] == added.pk
    user_client.post(f"/plans/{plan.pk}/phases/{added.pk}/remove/")
    assert list(plan.phases.values_list("position", flat=True)) == [0, 1, 2]


@pytest.mark.parametrize("direction", ["", "sideways"])
def test_moving_a_phase_needs_up_or_down(user_client, plan, htmx, direction):
    """A move that is neither up nor down says so in the phase list (422) and moves nothing."""
    order = list(plan.phases.values_list("pk", flat=True))
    response = htmx.post(f"/plans/{plan.pk}/phases/{order[1]}/move/", {"direction": direction})
    assert response.status_code == 422 and "up or down" in response.text
    assert list(plan.phases.values_list("pk", flat=True)) == order


def test_moving_a_phase_sideways_without_htmx_says_why(user_client, plan):
    """Without htmx, a bad move goes back to the plan with the message."""
    phase = plan.phases.first()
    response = user_client.post(f"/plans/{plan.pk}/phases/{phase.pk}/move/", {"direction": "sideways"}, follow=True)
    assert "A phase moves up or down" in response.text


def test_rename_plan_blank_is_refused(user_client, plan, htmx):
    """A blank plan name is an error; the old name stays."""
    response = htmx.post(f"/plans/{plan.pk}/", {"name": ""})
    assert response.status_code == 422
    plan.refresh_from_db()
    assert plan.name


def test_activate_makes_only_one_plan_active(user_client, user, plan):
    """Activating a plan deactivates the one that was active."""
    other = WorkoutPlan.objects.create(owner=user, name="Other")
    user_client.post(f"/plans/{other.pk}/activate/")
    assert list(WorkoutPlan.objects.filter(owner=user, is_active=True)) == [other]


def test_activate_goes_back_to_next_on_this_site_only(user_client, user, plan):
    """A plain "Make active" goes back to `next` if it is on this site, else to the plan list."""
    other = WorkoutPlan.objects.create(owner=user, name="Other")
    back = user_client.post(f"/plans/{other.pk}/activate/", {"next": "/mixes/"})
    away = user_client.post(f"/plans/{plan.pk}/activate/", {"next": "https://evil.example/"})
    assert back["Location"] == "/mixes/" and away["Location"] == "/plans/"


def test_delete_plan_keeps_its_mixes(user_client, mix, plan):
    """Deleting a plan keeps the mixes made from it, with their snapshot."""
    user_client.post(f"/plans/{plan.pk}/delete/")
    mix.refresh_from_db()
    assert mix.plan is None and mix.tracks.exists()
    assert user_client.get(mix.get_absolute_url()).status_code == 200


def test_adding_a_phase_past_six_hours_is_refused(user_client, plan, htmx):
    """ "Add a phase" on a plan of nearly 6 hours says why and adds nothing."""
    plan.phases.filter(position=1).update(duration_s=6 * 3600 - 700)
    response = htmx.post(f"/plans/{plan.pk}/phases/")
    assert response.status_code == 422 and "at most 6 hours" in response.text
    assert plan.phases.count() == 3
