"""Screen 2's frame in a browser: Save in reach, a chart readable on a phone, a page that fits, a one-line nav."""

import re

import pytest
from playwright.sync_api import expect

from mixes import services
from mixes.models import WorkoutPlan

PHONE = {"viewport": {"width": 360, "height": 780}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])


@pytest.fixture
def browser_context_args(browser_context_args, request):
    """The window each test asks for with `size` (phone by default)."""
    size = request.node.callspec.params.get("size", PHONE) if hasattr(request.node, "callspec") else PHONE
    return {**browser_context_args, **size}


@pytest.fixture
def long_mix(demo):
    """A mix of the demo user's longest plan: 20 tracks or more."""
    WorkoutPlan.ensure_templates(demo)
    plan = max(WorkoutPlan.objects.for_user(demo).with_phases(), key=lambda p: p.total_duration_s)
    mix = services.create_mix(demo, plan, seed=3)
    assert mix.tracks.count() >= 20
    return mix


def in_view(page, selector: str) -> bool:
    """Whether the element is wholly inside the viewport."""
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
           return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && r.height > 0; }""",
        selector,
    )


@SIZES
def test_save_bar_in_reach_at_top_middle_and_bottom(signed_in, live_server, long_mix, size):
    """The Save bar's button is on screen at the top, the middle and the bottom of a long mix."""
    page = signed_in
    page.goto(f"{live_server.url}{long_mix.get_absolute_url()}")
    for where in ("0", "document.documentElement.scrollHeight / 2", "document.documentElement.scrollHeight"):
        page.evaluate(f"window.scrollTo(0, {where})")
        assert in_view(page, "#action-bar"), where
        assert in_view(page, "#bar-save .button, #bar-save button"), where


def test_save_bar_leaves_the_last_row_uncovered(signed_in, live_server, long_mix):
    """Scrolled to the end, the bar sits below the last row instead of over it."""
    page = signed_in
    page.goto(f"{live_server.url}{long_mix.get_absolute_url()}")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last_row = page.locator("li.track").last.bounding_box()
    bar = page.locator("#action-bar").bounding_box()
    assert last_row["y"] + last_row["height"] <= bar["y"]


def test_skip_link_is_first_and_reaches_the_save_bar(signed_in, live_server, long_mix):
    """Tab from the top: first the skip to main content, then the skip to Save, which lands on the bar."""
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{long_mix.get_absolute_url()}")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to Save to Spotify")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Connect Spotify")


@SIZES
def test_chart_text_is_at_least_11px(signed_in, live_server, long_mix, size):
    """Every label of the chart renders at 11 px or more, and none is cut off by the chart's edges."""
    page = signed_in
    page.goto(f"{live_server.url}{long_mix.get_absolute_url()}")
    sizes = page.evaluate(
        """() => { const svg = document.querySelector('#mix-chart svg').getBoundingClientRect();
           return [...document.querySelectorAll('#mix-chart text')].map(t => {
             const r = t.getBoundingClientRect();
             return {text: t.textContent, h: r.height, font: parseFloat(getComputedStyle(t).fontSize),
                     inside: r.top >= svg.top - 0.5 && r.bottom <= svg.bottom + 0.5
                             && r.left >= svg.left - 0.5 && r.right <= svg.right + 0.5};
           }); }"""
    )
    assert len(sizes) > 8
    scale = page.evaluate(
        """() => { const s = document.querySelector('#mix-chart svg');
                   return s.getBoundingClientRect().height / s.height.baseVal.value; }"""
    )
    for label in sizes:
        assert label["font"] * scale >= 11, label
        assert label["h"] >= 11, label
        assert label["inside"], label


def test_chart_names_its_bands(signed_in, live_server, long_mix):
    """On a phone the chart shows the plan's parts as shaded, named bands (a narrow one by its first word)."""
    page = signed_in
    page.goto(f"{live_server.url}{long_mix.get_absolute_url()}")
    expect(page.locator("#mix-chart rect.band").first).to_be_attached()
    names = page.locator("#mix-chart text.band-name").all_text_contents()
    assert names[0] in ("Warm-up", "Warm") and "Long steady" in names


@SIZES
def test_no_horizontal_overflow_with_a_100_letter_name(signed_in, live_server, long_mix, size):
    """A 100-character name without spaces wraps: Screen 2 and the mix list stay as wide as the screen."""
    long_mix.name = "Tempo" * 20
    long_mix.save(update_fields=["name"])
    page = signed_in
    for path in (long_mix.get_absolute_url(), "/mixes/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), path


def test_nav_fits_one_line_on_a_phone(signed_in, live_server):
    """At 360 px the main nav is one row of links, each at least 44 px tall, and the page does not widen."""
    page = signed_in
    boxes = page.locator("nav[aria-label=Main] a, nav[aria-label=Main] button").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).map(r => ({top: r.top, height: r.height}))"
    )
    assert len({round(box["top"]) for box in boxes}) == 1
    assert all(box["height"] >= 44 for box in boxes)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_timeline_labels_are_not_cut(signed_in, live_server):
    """On Screen 1 at 360 px, every timeline label fits in its segment."""
    page = signed_in
    cut = page.locator("#plan-timeline .seg").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)"
        ".map(e => e.textContent)"
    )
    assert cut == []


def connect_and_generate(page, live_server):
    """A new person continues with Spotify (the sandbox) and generates a mix: on Screen 2."""
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Continue with Spotify").click()
    page.get_by_role("button", name="Agree").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/mixes/\d+/$"))


def test_bar_save_saves_and_then_links_to_spotify(page, live_server, spotify_sandbox, transactional_db):
    """Save to Spotify in the bar saves the mix through htmx; the bar then offers Open in Spotify."""
    connect_and_generate(page, live_server)
    bar = page.locator("#action-bar")
    with page.expect_response(lambda r: r.url.endswith("/save/") and r.request.headers.get("hx-request") == "true"):
        bar.get_by_role("button", name="Save to Spotify").click()
    expect(bar.get_by_role("link", name="Open in Spotify")).to_be_visible()
    expect(bar.get_by_role("button", name="Update playlist")).to_be_visible()
    assert not page.url.endswith("#save-panel")  # swapped in place, no reload


def test_bar_save_works_without_javascript(page, browser, live_server, spotify_sandbox, transactional_db):
    """With JavaScript off, the bar's Save submits the save panel's form and lands back on the panel."""
    connect_and_generate(page, live_server)
    mix_url = page.url
    context = browser.new_context(java_script_enabled=False, **PHONE)
    context.add_cookies(page.context.cookies())
    plain = context.new_page()
    plain.goto(mix_url)
    plain.locator("#action-bar").get_by_role("button", name="Save to Spotify").click()
    plain.wait_for_url(re.compile(r"#save-panel$"))
    expect(plain.locator("#action-bar").get_by_role("link", name="Open in Spotify")).to_be_visible()
    context.close()
