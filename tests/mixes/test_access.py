"""Every plan, mix and track is reached through its owner: anyone else gets a 404.

The routes come from the URLconf, so a new one cannot be left out: each takes the ids of one kind of object
(KINDS), which the tests fill with another user's, or is named in NO_OBJECT; any other route fails the tests.
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

NAMESPACES = ("accounts", "music", "mixes")

# The ids a route of each kind of object takes; the first names the object, the others its parts.
KINDS = {"mix": ("mix_id", "item_id"), "plan": ("plan_id", "phase_id")}

# Routes with no object in their path: they show and change only the signed-in person's own things.
NO_OBJECT = {
    "accounts:settings",
    "accounts:disconnect_spotify",
    "music:artist_options",
    "music:library",
    "music:sync",
    "music:sync_status",
    "music:sync_settings",
    "music:upload_history",
    "mixes:generate",
    "mixes:mix_list",
    "mixes:plan_list",
    "mixes:taste",
    "mixes:taste_forget",
    "mixes:taste_start_over",
}

# What every request posts (or asks with): enough for any form to be valid.
DATA = {"name": "x", "factor": "2", "direction": "up"}


@dataclass(frozen=True)
class Route:
    name: str
    ids: frozenset[str]


def routes() -> list[Route]:
    """Every route of the app namespaces, with the ids its path takes."""
    found = []
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver) and resolver.namespace in NAMESPACES:
            for pattern in resolver.url_patterns:
                assert isinstance(pattern, URLPattern), f"{resolver.namespace} includes more routes: walk them here"
                ids = frozenset(pattern.pattern.regex.groupindex)
                found.append(Route(f"{resolver.namespace}:{pattern.name}", ids))
    return found


def kind_of(route: Route) -> str | None:
    """The kind of object a route reaches ("mix", "plan"), or None for one in NO_OBJECT; any other route fails."""
    for kind, ids in KINDS.items():
        if ids[0] in route.ids and route.ids <= set(ids):
            return kind
    if not route.ids and route.name in NO_OBJECT:
        return None
    pytest.fail(
        f"tests/mixes/test_access.py cannot classify the route {route.name} (ids: {sorted(route.ids) or 'none'}): "
        "add it to NO_OBJECT if it only reaches the signed-in person's own things, or its ids to KINDS"
    )


def urls_of(kind: str, ids: dict[str, int]) -> list[str]:
    """Every URL of that kind of object, its ids filled with `ids`."""
    return [
        reverse(route.name, kwargs={name: ids[name] for name in route.ids})
        for route in routes()
        if kind_of(route) == kind
    ]


def assert_404_for_each(client, paths: list[str]) -> None:
    """Each URL answers GET and POST with 404, or 405 for a method it does not take (refused before any lookup)."""
    assert paths
    for path in paths:
        answers = {method: getattr(client, method)(path, DATA).status_code for method in ("get", "post")}
        assert 404 in answers.values() and set(answers.values()) <= {404, 405}, (path, answers)


def test_every_route_is_classified():
    """Each route of the apps is someone's mix or plan, or in NO_OBJECT: a new route is never left out."""
    names = {route.name for route in routes()}
    assert {name.split(":")[0] for name in names} == set(NAMESPACES)
    assert not NO_OBJECT - names, f"NO_OBJECT names routes that are gone: {sorted(NO_OBJECT - names)}"
    for route in routes():
        kind_of(route)


def test_every_mix_url_is_404_for_another_user(client, other_user, mix):
    """No page or action of someone else's mix answers anything but 404."""
    client.force_login(other_user)
    item = mix.tracks.first()
    assert_404_for_each(client, urls_of("mix", {"mix_id": mix.pk, "item_id": item.pk}))
    assert mix.tracks.count() > 0


def test_every_plan_url_is_404_for_another_user(client, other_user, plan):
    """No page or action of someone else's plan answers anything but 404."""
    client.force_login(other_user)
    phase = plan.phases.first()
    assert_404_for_each(client, urls_of("plan", {"plan_id": plan.pk, "phase_id": phase.pk}))
    assert plan.phases.count() == 3


def test_track_of_another_mix_is_404(user_client, user, mix, plan):
    """A row id from another of the user's mixes doesn't work through this mix."""
    from mixes import services

    second = services.create_mix(user, plan, seed=3)
    foreign_item = second.tracks.first()
    response = user_client.post(f"/mixes/{mix.pk}/tracks/{foreign_item.pk}/lock/")
    assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(client, mix):
    """Signed-out visitors are redirected to the sign-in page."""
    response = client.get(mix.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_actions_refuse_get(user_client, mix):
    """Actions change things, so they only accept POST."""
    item = mix.tracks.first()
    assert user_client.get(f"/mixes/{mix.pk}/tracks/{item.pk}/swap/").status_code == 405
