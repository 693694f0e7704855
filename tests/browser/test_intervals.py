"""Intervals the music follows and seeds that say what happened, on Screen 2 in a real browser (360 × 780 touch)."""

import re

import pytest
from playwright.sync_api import expect

from mixes import services
from mixes.models import Phase, WorkoutPlan


@pytest.fixture
def browser_context_args(browser_context_args):
    """A phone: 360 × 780, touch."""
    return {**browser_context_args, "viewport": {"width": 360, "height": 780}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def run_160(demo):
    """A 20-minute steady run at 160 BPM for the demo user."""
    plan = WorkoutPlan.objects.create(owner=demo, name="Steady 160")
    Phase.objects.create(
        plan=plan, position=0, name="Run", kind="steady", duration_s=1200,
        tempo_start=160, tempo_end=160, energy_start=0.7, energy_end=0.7,
    )  # fmt: skip
    return plan


def test_screen_2_of_a_hiit_mix_says_the_block_follows_the_work_intervals(signed_in, live_server, demo):
    """The HIIT template's Sprint / Easy block says, in words, that its music follows the work intervals."""
    mix = services.create_mix(demo, WorkoutPlan.objects.get(owner=demo, template_key="hiit"), seed=2)
    signed_in.goto(f"{live_server.url}{mix.get_absolute_url()}")
    note = signed_in.locator("#mix-notes .interval-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Sprint / Easy ×8")
    expect(note).to_contain_text("the music follows the work intervals (172 BPM)")


def test_a_seed_that_cannot_fit_says_why_and_places_the_closest(signed_in, live_server, demo, run_160):
    """Daft Punk seeded for a 160 BPM run: the note says why none fit; "Place … anyway" puts one in the mix."""
    mix = services.create_mix(demo, run_160, seed_artists=["Daft Punk"], seed=2)
    page = signed_in
    page.goto(f"{live_server.url}{mix.get_absolute_url()}")
    note = page.locator("#mix-notes .seed-note")
    expect(note).to_contain_text(re.compile(r"Daft Punk: no track near 160 BPM; closest \d+ BPM\."))
    offer = note.get_by_role("button", name=re.compile(r"^Place “.+” anyway$"))
    title = re.match(r"Place “(.+)” anyway", offer.inner_text()).group(1)
    with page.expect_response(re.compile(r"/seeds/place/$")):
        offer.click()
    expect(page.locator("#mix-notes .seed-note")).to_contain_text(f"“{title}”")
    expect(page.locator("#mix-notes .seed-note")).to_contain_text("placed by you")
    expect(page.locator("li.track .title", has_text=title)).to_be_visible()
