"""Your taste on My music, in a real browser: it loads after the page, and a learned dislike is forgotten in place."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from mixes.taste import rebuild_taste, taste_for
from music.models import Play, TrackAffinity
from tests.factories import TrackFactory


def skip_every_metal_track(user) -> None:
    """Pop played to the end, every metal track skipped, a month ago; the model rebuilt."""
    when = timezone.now() - timedelta(days=30)
    for genre, skipped in (("pop", False), ("metal", True)):
        for n, track in enumerate(TrackFactory.create_batch(8, genre=genre)):
            Play.objects.create(user=user, track=track, played_at=when + timedelta(minutes=n), skipped=skipped)
    TrackAffinity.rebuild_play_counts(user)
    rebuild_taste(user)


def test_my_music_loads_your_taste_and_forgets_a_dislike_in_place(signed_in, live_server, demo):
    """My music fetches "Your taste" after the page; "Forget this" on metal removes it without leaving the page."""
    skip_every_metal_track(demo)
    page = signed_in
    page.goto(f"{live_server.url}/music/")
    learned = page.locator("#taste-learned")
    evidence = re.compile("skipped 8 of 8 metal tracks", re.IGNORECASE)
    expect(learned).to_contain_text(evidence)
    url = page.url
    learned.get_by_role("button", name="Forget that you avoid metal").click()
    expect(learned).to_contain_text("Forgotten: metal.")
    expect(learned).not_to_contain_text(evidence)
    assert page.url == url
    assert "genre:metal" not in [item.feature for item in taste_for(demo).learned() if not item.liked]
