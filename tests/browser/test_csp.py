"""Chromium under the Content-Security-Policy: no page, htmx swap or admin form is refused anything.

Each test listens on the page's console (Chromium logs "Refused to … because it violates the following Content
Security Policy directive") and on the document's `securitypolicyviolation` events, and asserts there were none
after each page.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from mixes import services
from mixes.models import SessionMix, WorkoutPlan
from tests.browser.test_accessibility import sign_in as sign_in_as
from tests.factories import UserFactory

# Run before any page script (an init script is not itself subject to the policy).
LISTEN = """
window.cspRefusals = [];
document.addEventListener("securitypolicyviolation", (e) => {
    window.cspRefusals.push(`${e.violatedDirective} refused ${e.blockedURI || "inline"} on ${e.documentURI}`);
});
"""


@pytest.fixture
def refused(page):
    """A function giving the CSP refusals `page` has logged so far, and those of the document it shows."""
    logged: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console", lambda message: logged.append(message.text) if "Content Security Policy" in message.text else None
    )
    return lambda: logged + page.evaluate("window.cspRefusals || []")


def settle(page) -> None:
    """Wait until the page has loaded and its htmx requests (a `load` trigger, a poll's first answer) are done."""
    page.wait_for_load_state("networkidle")


def test_screens_1_and_2_and_a_row_lock_are_refused_nothing(signed_in, live_server, refused, demo):
    """Screen 1 and its htmx plan switch, Screen 2 and a Lock swapped in by htmx: no CSP refusal."""
    page = signed_in
    settle(page)
    plan_select = page.get_by_label("Plan")
    plan_select.select_option(index=plan_select.locator("option").count() - 1)
    settle(page)
    assert refused() == []
    mix = services.create_mix(demo, WorkoutPlan.objects.for_user(demo).first(), seed=3)
    page.goto(f"{live_server.url}{mix.get_absolute_url()}")
    row_id = page.locator("li.track").nth(1).get_attribute("id")
    page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Lock ")).click()
    expect(page.locator(f"#{row_id}").get_by_role("button", name=re.compile("^Unlock "))).to_be_visible()
    assert refused() == []


def test_my_music_and_a_plan_page_are_refused_nothing(signed_in, live_server, refused, demo):
    """My music (with the taste profile htmx loads into it) and a plan's editor: no CSP refusal."""
    page = signed_in
    page.goto(f"{live_server.url}{reverse('music:library')}")
    settle(page)
    expect(page.get_by_role("heading", name="What Session Mix has learned")).to_be_visible()
    assert refused() == []
    page.goto(f"{live_server.url}{WorkoutPlan.objects.for_user(demo).first().get_absolute_url()}")
    settle(page)
    assert refused() == []


def test_admin_pages_are_refused_nothing(page, live_server, refused, transactional_db):
    """The admin index and a mix's change form (tabular inline, autocomplete): no CSP refusal, no exception needed."""
    from music.demo import load_demo_catalog

    load_demo_catalog()
    staff = UserFactory(is_staff=True, is_superuser=True)
    mix = services.create_mix(staff, WorkoutPlan.ensure_templates(staff)[0], seed=1)
    sign_in_as(page.context, live_server, staff)
    for path in (reverse("admin:index"), reverse("admin:mixes_sessionmix_change", args=[mix.pk])):
        page.goto(f"{live_server.url}{path}")
        settle(page)
        assert refused() == [], path


def test_continue_with_spotify_reaches_the_sandbox(page, live_server, refused, spotify_sandbox, transactional_db):
    """ "Continue with Spotify" posts to us and is redirected to the sandbox: form-action lets the redirect through."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Continue with Spotify").click()
    expect(page.get_by_role("heading", name="Spotify sandbox")).to_be_visible()
    assert refused() == []


def test_sandbox_covers_load_on_screen_2(signed_in, live_server, refused, spotify_sandbox, demo):
    """Screen 2 shows the sandbox's covers (img-src allows its origin) and is refused nothing."""
    page = signed_in
    mix = services.create_mix(demo, WorkoutPlan.objects.for_user(demo).first(), seed=3)
    album_id = spotify_sandbox.catalog[0]["album_id"]
    for item in SessionMix.objects.get(pk=mix.pk).tracks.select_related("track"):
        item.track.image_url = f"{spotify_sandbox.url}/covers/{album_id}/64"
        item.track.save(update_fields=["image_url"])
    page.goto(f"{live_server.url}{mix.get_absolute_url()}")
    covers = page.locator("img.cover")
    covers.last.scroll_into_view_if_needed()
    page.wait_for_function("[...document.images].filter((i) => i.matches('img.cover')).every((i) => i.complete)")
    assert covers.count() > 0
    assert (
        page.evaluate("[...document.querySelectorAll('img.cover')].map((i) => i.naturalWidth)") == [64] * covers.count()
    )
    assert refused() == []
