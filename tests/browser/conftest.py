"""Playwright in Debian's Chromium against Django's live server."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every browser test signs in from 127.0.0.1: allauth's per-IP sign-in limit (in the cache, Redis in CI)
    would count all of them together, so each test starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(transactional_db):
    """The demo catalog, user, history and plans, as `make demo` loads them."""
    from music.demo import create_demo_user, load_demo_catalog

    load_demo_catalog()
    return create_demo_user()


@pytest.fixture
def signed_in(page, live_server, demo):
    """A page signed in as the demo user, on Screen 1."""
    return sign_in(page, live_server)


def sign_in(page, live_server):
    """Sign this page in as the demo user through the sign-in form; it lands on Screen 1."""
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Login").fill("demo")
    page.get_by_label("Password").fill("sessionmix-demo")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")
    return page
