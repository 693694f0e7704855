"""Screen 2's rows in a real browser, on a touch phone (360 × 780) and a desktop (1280 × 800)."""

import re

import pytest
from playwright.sync_api import expect

from mixes import services
from mixes.models import MixTrack, WorkoutPlan
from tests.browser.conftest import sign_in

VIEWPORTS = {
    "phone": {"viewport": {"width": 360, "height": 780}, "has_touch": True, "is_mobile": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.fixture(params=list(VIEWPORTS))
def screen2(request, browser, live_server, demo):
    """The demo user's page on Screen 2 of a fresh mix, in a phone or a desktop context."""
    context = browser.new_context(**VIEWPORTS[request.param])
    page = context.new_page()
    sign_in(page, live_server)
    mix = services.create_mix(demo, WorkoutPlan.objects.for_user(demo).first(), seed=3)
    page.goto(f"{live_server.url}{mix.get_absolute_url()}")
    page.mix = mix
    yield page
    context.close()


def rows(page):
    return page.locator("li.track")


def test_remove_then_undo_restores_the_track_in_place(screen2):
    """Remove a middle track, press the toast's Undo: the same track is back at the same place."""
    page = screen2
    row = rows(page).nth(2)
    row_id = row.get_attribute("id")
    title = page.locator(f"#{row_id} .title").inner_text().splitlines()[0]
    ids_before = [r.get_attribute("id") for r in rows(page).all()]
    page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator(f"#{row_id}")).to_have_count(0)
    undo = page.locator("#undo-toast").get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    expect(undo).to_be_focused()
    undo.click()
    expect(page.locator(f"#{row_id} .title")).to_contain_text(title)
    assert [r.get_attribute("id") for r in rows(page).all()] == ids_before
    expect(page.locator("#undo-toast .toast")).to_have_count(0)


def test_locked_track_offers_no_swap_and_refuses_a_forced_one(screen2, live_server):
    """A locked row has Unlock but no Swap, and a swap posted anyway is refused with a message."""
    page = screen2
    row_id = rows(page).first.get_attribute("id")
    page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Lock ")).click()
    expect(page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Unlock "))).to_be_visible()
    expect(page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^(Swap|Remove)"))).to_have_count(0)
    token = page.locator(f"#{row_id} input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post(
        f"{live_server.url}/mixes/{page.mix.pk}/tracks/{row_id[1:]}/swap/",
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status == 422 and "Unlock it first to swap it." in response.text()
    item = MixTrack.objects.get(pk=row_id[1:])
    assert item.locked


def test_every_row_control_is_at_least_44_px(screen2):
    """Each button, the More menu and its fields measure at least 44 × 44 px, with the menu open too."""
    page = screen2
    row = rows(page).first
    row.locator("summary").click()
    controls = row.locator(".actions button, .actions summary, .actions input:not([type=hidden])").all()
    assert len(controls) >= 6
    for control in controls:
        box = control.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, control.inner_text()


def test_focus_after_a_swap_is_in_the_new_row(screen2):
    """After a swap the focus is on a control of the row that replaced it, not on <body>."""
    page = screen2
    row_id = rows(page).nth(1).get_attribute("id")
    before = page.locator(f"#{row_id} .title").inner_text()
    page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Swap")).click()
    expect(page.locator(f"#{row_id} .title")).not_to_have_text(before)
    expect(page.locator("#undo-toast .toast")).to_contain_text("Swapped ‘")
    assert page.evaluate(f"document.getElementById('{row_id}').contains(document.activeElement)")
    assert page.evaluate("document.activeElement.textContent").startswith("Swap")


def test_undo_toast_sits_above_the_save_bar(screen2):
    """After a remove, the toast and the sticky Save bar are both in view and do not overlap."""
    page = screen2
    rows(page).nth(1).get_by_role("button", name=re.compile("^Remove")).click()
    toast = page.locator("#undo-toast .toast")
    expect(toast).to_be_visible()
    toast_box = toast.bounding_box()
    bar_box = page.locator("#action-bar").bounding_box()
    assert toast_box["y"] + toast_box["height"] <= bar_box["y"] + 1
