"""The whole journey in a real browser: sign in, generate, customize in place, chart."""

import re

from playwright.sync_api import expect

from mixes.models import MixTrack, SessionMix


def track_rows(page):
    return page.locator("li.track")


def test_journey_generate_customize_regenerate(signed_in, live_server):
    """Sign in → Screen 1 → Generate → swap one row → lock → seed → regenerate keeps the lock → chart."""
    page = signed_in
    expect(page.get_by_role("heading", name="Generate Session Mix")).to_be_visible()
    expect(page.locator("#plan-timeline .timeline")).to_be_visible()

    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/mixes/\d+/$"))
    expect(track_rows(page).first).to_be_visible()
    mix = SessionMix.objects.get(owner__username="demo")

    # Swap: only that row changes.
    rows_before = track_rows(page).all_inner_texts()
    first_row = track_rows(page).nth(0)
    row_id = first_row.get_attribute("id")
    page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Swap")).click()
    expect(page.locator(f"#{row_id} .title")).not_to_have_text(rows_before[0].splitlines()[0])
    rows_after = track_rows(page).all_inner_texts()
    assert len(rows_after) == len(rows_before)
    assert rows_after[1:] == rows_before[1:]

    # Lock the third row.
    locked_row = track_rows(page).nth(2)
    locked_id = locked_row.get_attribute("id")
    locked_title = page.locator(f"#{locked_id} .title").inner_text().splitlines()[0]
    page.locator(f"#{locked_id}").get_by_role("button", name=re.compile("^Lock ")).click()
    expect(page.locator(f"#{locked_id}").get_by_role("button", name=re.compile("^Unlock "))).to_be_visible()

    # Add a seed artist and regenerate.
    seed_field = page.locator("#seed-panel").get_by_label("Seed artists")
    seed_field.fill("Daft Punk")
    with page.expect_response(re.compile(r"/regenerate/$")):
        page.get_by_role("button", name="Regenerate unlocked tracks").click()
    expect(page.locator(f"#{locked_id}")).to_be_visible()
    expect(page.locator(f"#{locked_id} .title")).to_contain_text(locked_title)
    mix.refresh_from_db()
    assert mix.seed_artists == ["Daft Punk"]
    assert MixTrack.objects.get(pk=locked_id[1:]).locked

    # The chart of tempo and energy against the plan.
    expect(page.locator("#mix-chart svg polyline.actual-tempo")).to_be_attached()
    expect(page.locator("#mix-chart svg polyline.target").first).to_be_attached()


def test_phone_layout_has_no_horizontal_scroll(signed_in, live_server):
    """At 360 px wide Screen 1 and Screen 2 fit the screen."""
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/mixes/\d+/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_keyboard_can_lock_a_track(signed_in, live_server):
    """The lock control is reachable and operable from the keyboard."""
    page = signed_in
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/mixes/\d+/$"))
    row_id = track_rows(page).first.get_attribute("id")
    lock = page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Lock "))
    lock.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Unlock "))).to_be_visible()
