"""The plan editor in a real browser: saving one phase keeps what is typed, unsaved, in the others."""

from playwright.sync_api import expect

from mixes.models import WorkoutPlan


def demo_plan(demo) -> WorkoutPlan:
    """One of the demo user's plans with at least two phases."""
    return next(plan for plan in WorkoutPlan.objects.for_user(demo).with_phases() if plan.phases.count() >= 2)


def test_saving_phase_1_keeps_the_unsaved_edit_in_phase_2(signed_in, live_server, demo):
    """Type in phase 2 without saving, save phase 1: phase 1 is saved and phase 2's edit is still in its input."""
    plan = demo_plan(demo)
    first, second = list(plan.phases.all())[:2]
    page = signed_in
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    second_name = page.locator(f"#id_phase-{second.pk}-name")
    second_name.fill("Hill repeats")
    page.locator(f"#id_phase-{first.pk}-name").fill("Easy jog")
    page.get_by_role("button", name="Save phase 1", exact=True).click()
    expect(page.locator(f"#phase-{first.pk} [role=status]")).to_have_text("Saved.")
    expect(second_name).to_have_value("Hill repeats")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.name == "Easy jog" and second.name != "Hill repeats"


def test_a_refused_phase_shows_its_error_once_and_keeps_the_others(signed_in, live_server, demo):
    """A tempo of 20 in phase 1 is refused by its field, once; phase 2's unsaved edit stays."""
    plan = demo_plan(demo)
    first, second = list(plan.phases.all())[:2]
    page = signed_in
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    page.locator(f"#id_phase-{second.pk}-name").fill("Hill repeats")
    page.locator(f"#id_phase-{first.pk}-tempo_start").fill("20")
    page.get_by_role("button", name="Save phase 1", exact=True).click()
    expect(page.locator(f"#id_phase-{first.pk}-tempo_start_error")).to_have_text("Must be at least 30.")
    expect(page.get_by_text("Must be at least 30.")).to_have_count(1)
    expect(page.locator(f"#id_phase-{second.pk}-name")).to_have_value("Hill repeats")


def test_saving_a_phase_updates_the_total_in_place(signed_in, live_server, demo):
    """The plan's total follows a saved duration without reloading the page (the summary swaps out of band)."""
    plan = demo_plan(demo)
    first = plan.phases.first()
    minutes = first.duration_s / 60 + 1
    page = signed_in
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    summary = page.locator("#plan-summary")
    before = summary.inner_text()
    page.locator(f"#id_phase-{first.pk}-duration_min").fill(f"{minutes:g}")
    page.get_by_role("button", name="Save phase 1", exact=True).click()
    expect(page.locator(f"#phase-{first.pk} [role=status]")).to_have_text("Saved.")
    expect(summary).not_to_have_text(before)


def test_delete_plan_asks_first_then_lands_on_the_list(signed_in, live_server, demo):
    """Delete plan asks to confirm (no inline script); accepting it lands on the plan list, which says so."""
    plan = demo_plan(demo)
    page = signed_in
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Delete plan").click()
    expect(page.get_by_text(f"Deleted “{plan.name}”.")).to_be_visible()
    assert page.url == f"{live_server.url}/plans/" and asked == [f"Delete “{plan.name}”?"]
    assert not WorkoutPlan.objects.filter(pk=plan.pk).exists()
