"""The plan editor keeps work: a phase saves alone, its errors show once by their field; the interval setting; lists."""

import re

import pytest

from mixes.forms import PlanSettingsForm
from mixes.models import WorkoutPlan
from tests.factories import WorkoutPlanFactory
from tests.mixes.test_plans import phase_data

pytestmark = pytest.mark.django_db


def phase_url(plan, phase) -> str:
    return f"/plans/{plan.pk}/phases/{phase.pk}/"


def test_saving_a_phase_with_htmx_leaves_the_other_phases_out_of_the_answer(user_client, plan, htmx):
    """The answer to saving phase 1 holds no form of phase 2 or 3, so their unsaved edits stay on the page."""
    first, second, third = plan.phases.all()
    response = htmx.post(phase_url(plan, first), phase_data(first, name="Jog"))
    assert f'id="phase-{first.pk}"' in response.text
    assert f'id="phase-{second.pk}"' not in response.text and f'id="phase-{third.pk}"' not in response.text


def test_saved_phase_card_says_saved_and_keeps_its_number(user_client, plan, htmx):
    """The swapped-in card of phase 2 is still "phase 2" and says it was saved."""
    second = plan.phases.all()[1]
    response = htmx.post(phase_url(plan, second), phase_data(second, name="Tempo"))
    assert 'aria-label="Save phase 2"' in response.text and "Saved." in response.text


def test_summary_out_of_band_shows_the_new_total(user_client, plan, htmx):
    """The out-of-band summary carries the plan's new total time."""
    first = plan.phases.first()
    response = htmx.post(phase_url(plan, first), phase_data(first, duration_min=10))
    summary = response.text.split('id="plan-summary"', 1)[1]
    assert "Total 30:00" in summary


def test_bad_phase_with_htmx_answers_with_only_that_card(user_client, plan, htmx):
    """A refused phase answers 422 with its own card (the error by its field) and no summary."""
    first = plan.phases.first()
    response = htmx.post(phase_url(plan, first), phase_data(first, tempo_start=20))
    assert response.status_code == 422
    assert response.text.lstrip().startswith(f'<div class="card phase-card" id="phase-{first.pk}">')
    assert "plan-summary" not in response.text


@pytest.mark.parametrize("use_htmx", [True, False])
def test_each_error_is_shown_once_by_its_field(user_client, plan, htmx, use_htmx):
    """A refused value's message appears once, in the errorlist its input points to."""
    first = plan.phases.first()
    client = htmx if use_htmx else user_client
    response = client.post(phase_url(plan, first), phase_data(first, tempo_start=20))
    assert response.text.count("Must be at least 30.") == 1
    error_id = f"id_phase-{first.pk}-tempo_start_error"
    assert f'aria-describedby="{error_id}"' in response.text
    assert re.search(rf'<ul class="errorlist" id="{error_id}"><li>Must be at least 30.</li>', response.text)


def test_saving_a_phase_without_js_goes_back_to_that_phase(user_client, plan):
    """A plain save redirects to the plan page at the saved phase's card."""
    second = plan.phases.all()[1]
    response = user_client.post(phase_url(plan, second), phase_data(second, name="Tempo"))
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/#phase-{second.pk}"


def test_bad_phase_without_js_shows_the_whole_plan_with_the_error(user_client, plan):
    """A plain refused save shows the plan page (422) with the typed value kept in its input."""
    first = plan.phases.first()
    response = user_client.post(phase_url(plan, first), phase_data(first, tempo_start=20))
    assert response.status_code == 422
    assert f'name="phase-{first.pk}-tempo_start" value="20"' in response.text and 'id="plan-settings"' in response.text


def test_another_users_phase_is_a_404(client, other_user, plan, htmx):
    """Saving a phase of someone else's plan is a 404 and changes nothing."""
    client.force_login(other_user)
    first = plan.phases.first()
    assert htmx.post(phase_url(plan, first), phase_data(first, name="Mine")).status_code == 404


# The interval setting ------------------------------------------------------------------------------------


def test_plan_page_offers_the_interval_setting(user_client, plan):
    """The plan page has the setting with both choices, the work intervals checked by default."""
    text = user_client.get(plan.get_absolute_url()).text
    assert "Follow the work intervals" in text and "Average of work and rest" in text
    assert re.search(r'value="work"[^>]*checked', text)


def test_interval_setting_form_offers_work_and_average():
    """The setting's values are the model's: "work" (the default) and "average"."""
    form = PlanSettingsForm(plan=WorkoutPlan())
    assert [value for value, _ in form.fields["interval_music"].choices] == ["work", "average"]
    assert form.initial["interval_music"] == "work"


def test_interval_setting_refuses_anything_else(user_client, plan, htmx):
    """A value that is neither choice is refused by the field (422), in the setting's fragment."""
    response = htmx.post(f"/plans/{plan.pk}/settings/", {"interval_music": "loud"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="plan-settings"')
    assert "Pick one of the two" in response.text


def test_interval_setting_saves_with_htmx(user_client, plan, htmx):
    """Choosing the average saves it and answers with the setting's fragment saying so."""
    response = htmx.post(f"/plans/{plan.pk}/settings/", {"interval_music": "average"})
    plan.refresh_from_db()
    assert plan.interval_music == "average" and "Saved." in response.text


def test_interval_setting_saves_without_js(user_client, plan):
    """A plain POST saves the setting and goes back to the plan page, which says it."""
    response = user_client.post(f"/plans/{plan.pk}/settings/", {"interval_music": "average"}, follow=True)
    assert response.redirect_chain[-1][0] == plan.get_absolute_url()
    assert "the average of work and rest" in response.text


def test_another_users_plan_setting_is_a_404(client, other_user, plan):
    """The setting of someone else's plan is a 404."""
    client.force_login(other_user)
    assert client.post(f"/plans/{plan.pk}/settings/", {"interval_music": "average"}).status_code == 404


# Lists -------------------------------------------------------------------------------------------------------


def test_plan_list_says_one_phase_and_three_phases(user_client, user, plan):
    """Counts agree with their noun: "1 phase", "3 phases"."""
    WorkoutPlanFactory(owner=user, name="Short", phases=[("Run", "steady", 600, (150, 150), (0.7, 0.7))])
    text = user_client.get("/plans/").text
    assert "1 phase ·" in text and "3 phases ·" in text and "1 phases" not in text


def test_make_active_buttons_start_with_their_visible_label(user_client, user, plan):
    """Each "Make active" button's name is its visible label plus the plan's name, with no differing aria-label."""
    WorkoutPlanFactory(owner=user, name="Hills")
    text = user_client.get("/plans/").text
    assert 'aria-label="Make' not in text
    assert '<button type="submit">Make active<span class="visually-hidden">: Hills</span></button>' in text


def test_plan_list_card_pads_the_list(user_client, plan):
    """The list sits inside a card, not on it (`.list` would cancel the card's padding)."""
    assert '<ul class="list card">' not in user_client.get("/plans/").text
