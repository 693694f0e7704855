"""Every plan, mix and track is reached through its owner: anyone else gets a 404."""

import pytest

pytestmark = pytest.mark.django_db


def mix_urls(mix, item):
    base = f"/mixes/{mix.pk}"
    return [("get", f"{base}/"), ("get", f"{base}/save/status/")] + [
        ("post", path)
        for path in (
            f"{base}/delete/",
            f"{base}/rename/",
            f"{base}/regenerate/",
            f"{base}/save/",
            *(f"{base}/tracks/{item.pk}/{action}/" for action in ("swap", "remove", "lock", "like", "bpm", "move")),
        )
    ]


def plan_urls(plan, phase):
    base = f"/plans/{plan.pk}"
    return [("get", f"{base}/"), ("post", f"{base}/")] + [
        ("post", path)
        for path in (
            f"{base}/activate/",
            f"{base}/delete/",
            f"{base}/phases/",
            f"{base}/phases/{phase.pk}/",
            f"{base}/phases/{phase.pk}/move/",
            f"{base}/phases/{phase.pk}/remove/",
        )
    ]


def test_every_mix_url_is_404_for_another_user(client, other_user, mix):
    """No page or action of someone else's mix answers anything but 404."""
    client.force_login(other_user)
    item = mix.tracks.first()
    for method, path in mix_urls(mix, item):
        response = getattr(client, method)(path, {"name": "x", "factor": "2", "direction": "up"})
        assert response.status_code == 404, (method, path)
    assert mix.tracks.count() > 0


def test_every_plan_url_is_404_for_another_user(client, other_user, plan):
    """No page or action of someone else's plan answers anything but 404."""
    client.force_login(other_user)
    phase = plan.phases.first()
    for method, path in plan_urls(plan, phase):
        response = getattr(client, method)(path, {"name": "x", "direction": "up"})
        assert response.status_code == 404, (method, path)
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
