"""axe-core finds no serious or critical fault on any page: the app's, the admin staff use, and the sandbox's.

The app's pages come from the URLconf, as tests/mixes/test_access.py takes its routes: every route outside the
admin whose ids are a mix's or a plan's (or none) is asked for with GET, signed in and, where that redirects,
signed out; each one that answers with a whole HTML document is a page, and gets checked. Actions (405 to a GET)
and htmx fragments are not pages; they are checked as part of the pages that show them. Routes that need a key
from an email (password reset, email confirmation) are not visited.

Each test opens one browser context per viewport (a 360 × 780 touch phone, a 1280 × 800 desktop) and reuses one
page for every URL; a failure lists each violation's rule, impact, elements and page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.browser import axe

VIEWPORTS = {
    "phone": {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

# Every page of these an athlete must be able to reach; the URLconf walk must find them all.
EXPECTED_PAGES = {
    "account_login",
    "account_signup",
    "accounts:settings",
    "music:library",
    "mixes:generate",
    "mixes:mix_list",
    "mixes:mix_detail",
    "mixes:plan_list",
    "mixes:plan_detail",
    "mixes:taste",
}


@pytest.fixture(params=list(VIEWPORTS))
def context(request, browser):
    """A browser context at one viewport, with axe-core in every page it opens."""
    context = browser.new_context(**VIEWPORTS[request.param])
    context.set_default_timeout(15_000)
    axe.install(context)
    yield context
    context.close()


def sign_in(context, live_server, user) -> None:
    """Give the browser the session of `user`, signed in without the form."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def audit_all(page, pages: list[tuple[str, str]]) -> list[axe.Finding]:
    """Open each (label, url) in turn on the same page and collect what axe finds."""
    findings = []
    for label, url in pages:
        page.goto(url)
        findings += axe.audit(page, label)
    return findings


# The app's pages, from the URLconf.


def walk(patterns, prefix: str = "", namespace: str | None = None):
    """(name, ids) of every route under `patterns` outside the admin, names namespaced."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if prefix + str(pattern.pattern) == "admin/":
                continue
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, frozenset(pattern.pattern.regex.groupindex)


def is_page(response) -> bool:
    return "text/html" in response.get("Content-Type", "") and b"<html" in response.content[:1000].lower()


def app_pages(user, ids: dict[str, int]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(signed-out pages, signed-in pages) as (route name, path): each route that answers a GET with a document."""
    signed_in, signed_out = Client(), Client()
    signed_in.force_login(user)
    outside, inside = [], []
    for name, route_ids in walk(get_resolver().url_patterns):
        if not route_ids <= set(ids):
            continue  # a key from an email
        path = reverse(name, kwargs={key: ids[key] for key in route_ids})
        response = signed_in.get(path)
        if is_page(response):
            inside.append((name, path))
        elif response.status_code == 302 and is_page(signed_out.get(path)):
            outside.append((name, path))
    return outside, inside


@pytest.fixture
def demo_world(transactional_db):
    """The whole demo (catalog, user, history, plans) and one generated mix: the user and the ids to fill routes."""
    from mixes import services
    from mixes.demo import load_demo
    from mixes.models import WorkoutPlan
    from music.demo import USERNAME

    load_demo()
    plan = WorkoutPlan.objects.get(owner__username=USERNAME, is_active=True)
    mix = services.create_mix(plan.owner, plan, seed=1)
    ids = {"mix_id": mix.pk, "item_id": mix.tracks.first().pk, "plan_id": plan.pk, "phase_id": plan.phases.first().pk}
    return plan.owner, ids


def test_app_pages_have_no_serious_violations(context, live_server, demo_world):
    """Every page of accounts, music and mixes, signed out and signed in, has no serious or critical axe finding."""
    user, ids = demo_world
    outside, inside = app_pages(user, ids)
    missing = EXPECTED_PAGES - {name for name, _ in outside + inside}
    assert not missing, f"the URLconf walk missed {sorted(missing)}"
    page = context.new_page()
    findings = audit_all(page, [(f"{name} {path}", live_server.url + path) for name, path in outside])
    sign_in(context, live_server, user)
    findings += audit_all(page, [(f"{name} {path}", live_server.url + path) for name, path in inside])
    assert not findings, axe.report(findings)


# The admin pages staff use.


@pytest.fixture
def admin_world(transactional_db):
    """A superuser, the demo catalog, a Master List with tracks, the scorer settings, a plan and a mix: admin pages."""
    from mixes import services
    from mixes.models import ScorerConfig, WorkoutPlan
    from music.demo import load_demo_catalog
    from music.models import MasterList, MasterListEntry, Track
    from tests.factories import UserFactory

    load_demo_catalog()
    staff = UserFactory(is_staff=True, is_superuser=True)
    track = Track.objects.filter(features__isnull=False, trackartist__isnull=False).first()
    master_list = MasterList.objects.create(name="Steady runs", phase_kind="steady")
    for score, listed in enumerate(Track.objects.all()[:3]):
        MasterListEntry.objects.create(master_list=master_list, track=listed, score=score)
    scorer = ScorerConfig.active()
    pages = [("admin index", reverse("admin:index"))]
    for name, obj in (("music_track", track), ("music_masterlist", master_list), ("mixes_scorerconfig", scorer)):
        pages += [
            (f"{name} list", reverse(f"admin:{name}_changelist")),
            (f"{name} add", reverse(f"admin:{name}_add")),
            (f"{name} change", reverse(f"admin:{name}_change", args=[obj.pk])),
        ]
    # The other two tabular inlines: a plan's phases and a mix's tracks.
    plan = WorkoutPlan.ensure_templates(staff)[0]
    mix = services.create_mix(staff, plan, seed=1)
    pages += [
        ("mixes_workoutplan change", reverse("admin:mixes_workoutplan_change", args=[plan.pk])),
        ("mixes_sessionmix change", reverse("admin:mixes_sessionmix_change", args=[mix.pk])),
    ]
    return staff, pages


def test_admin_pages_have_no_serious_violations(context, live_server, admin_world):
    """Admin sign-in, index, tracks, Master Lists, scorer settings, a plan and a mix: no serious axe finding."""
    staff, pages = admin_world
    page = context.new_page()
    findings = audit_all(page, [("admin login", f"{live_server.url}{reverse('admin:login')}")])
    sign_in(context, live_server, staff)
    findings += audit_all(page, [(f"admin {label} {path}", live_server.url + path) for label, path in pages])
    assert not findings, axe.report(findings)


# The sandbox's pages.


def sandbox_pages(sandbox) -> list[tuple[str, str]]:
    """The pages the sandbox shows a person: its index, the consent page, an error, a saved playlist, a gone one."""
    token = sandbox.issue_token()["access_token"]
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    created = api.post(f"{sandbox.url}/v1/me/playlists", json={"name": "Tempo run", "public": False}, timeout=5)
    playlist = created.json()
    api.post(
        f"{sandbox.url}/v1/playlists/{playlist['id']}/items", json={"uris": sandbox.track_uris()[:5]}, timeout=5
    ).raise_for_status()
    consent = {
        "client_id": sandbox.client.id,
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1:8000/accounts/spotify/login/callback/",
        "scope": " ".join(settings.SPOTIFY_SCOPES),
        "state": "s1",
    }
    return [
        ("sandbox index", f"{sandbox.url}/"),
        ("sandbox consent", f"{sandbox.url}/authorize?{urlencode(consent)}"),
        ("sandbox error", f"{sandbox.url}/authorize?{urlencode({**consent, 'client_id': 'nobody'})}"),
        ("sandbox playlist", playlist["external_urls"]["spotify"]),
        ("sandbox missing playlist", f"{sandbox.url}/open/playlist/{'0' * 22}"),
    ]


def test_sandbox_pages_have_no_serious_violations(context, spotify_sandbox):
    """The sandbox's index, consent, error and playlist pages have no serious or critical axe finding."""
    findings = audit_all(context.new_page(), sandbox_pages(spotify_sandbox))
    assert not findings, axe.report(findings)
