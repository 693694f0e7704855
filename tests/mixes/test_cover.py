"""The cover beside a track: its album art, lazy-loaded, or a neutral placeholder when Spotify gave none."""

import pytest
from django.template.loader import render_to_string

from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


def cover(track) -> str:
    return render_to_string("mixes/_cover.html", {"track": track})


def test_a_track_with_art_shows_it_lazy_loaded_and_sized():
    """The image loads lazily, has its size set (no layout shift) and an empty alt (the title says what it is)."""
    html = cover(TrackFactory(image_url="https://i.scdn.co/image/ab67616d00004851"))
    assert '<img class="cover" src="https://i.scdn.co/image/ab67616d00004851"' in html
    assert 'loading="lazy"' in html and 'width="44" height="44"' in html and 'alt=""' in html


def test_a_track_without_art_shows_the_placeholder():
    """A catalog track without a cover shows the neutral placeholder, hidden from screen readers, and no image."""
    html = cover(TrackFactory(image_url=""))
    assert '<span class="cover cover-none" aria-hidden="true"></span>' in html
    assert "<img" not in html
