"""The Spotify sync card's words: no "connect so your mixes come from your music" to someone with history;
a refresh that found nothing says so."""

from datetime import UTC, datetime

import pytest

from music.models import Play, SpotifySync
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db
CONNECT_PITCH = "Connect Spotify so your mixes come from the music you play"


def play(user, when=datetime(2026, 11, 30, 18, 5, tzinfo=UTC)):
    return Play.objects.create(user=user, track=TrackFactory(), played_at=when)


def test_someone_without_history_is_asked_to_connect(user_client):
    """No plays and no Spotify: the card says connecting brings their music in."""
    assert CONNECT_PITCH in user_client.get("/music/").text


def test_someone_with_history_is_not_told_their_mixes_lack_their_music(user_client, user):
    """With plays already (the demo user), the card offers Connect for new plays and saving, not the pitch."""
    play(user)
    text = user_client.get("/music/").text
    assert CONNECT_PITCH not in text and "Your mixes already follow what you play." in text


def test_refresh_that_found_nothing_says_up_to_date(user_client, user, monkeypatch):
    """A finished sync that added nothing says "Up to date: nothing new since" the last play."""
    monkeypatch.setattr("music.context.is_connected", lambda user: True)
    play(user)
    SpotifySync.objects.create(user=user, status=SpotifySync.Status.DONE, plays_added=0)
    text = user_client.get("/music/").text
    assert "Up to date: nothing new since your last play, 30 Nov, 18:05." in text


def test_refresh_that_found_plays_gives_the_summary(user_client, user, monkeypatch):
    """A finished sync that added plays says what it brought in."""
    monkeypatch.setattr("music.context.is_connected", lambda user: True)
    play(user)
    SpotifySync.objects.create(user=user, status=SpotifySync.Status.DONE, plays_added=1)
    text = user_client.get("/music/").text
    assert "Up to date" not in text and "(1 new)" in text
