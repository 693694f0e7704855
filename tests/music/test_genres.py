"""The catalog's genres, for the seed-genre choices (Track.objects.genres: a skip scan of the genre index)."""

import pytest

from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


def test_genres_are_each_genre_once_in_order():
    """Every genre the tracks have, once, sorted; a track without one adds nothing."""
    for genre in ("rock", "edm", "rock", "", "pop", "edm"):
        TrackFactory(genre=genre)
    from music.models import Track

    assert Track.objects.genres() == ["edm", "pop", "rock"]


def test_no_tracks_no_genres():
    from music.models import Track

    assert Track.objects.genres() == []
