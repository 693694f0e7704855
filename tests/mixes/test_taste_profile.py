"""The taste profile (My music › Your taste): what the person plays, what was learned, Forget this and Start over."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mixes.models import TasteProfile
from mixes.taste import rebuild_taste, taste_for
from music.models import MusicPreferences, Play, TrackAffinity
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db

TASTE = reverse("mixes:taste")
FORGET = reverse("mixes:taste_forget")
START_OVER = reverse("mixes:taste_start_over")
_minutes = itertools.count(1)


def listen(user, tracks, *, times=1, skipped=False, days_ago=0):
    """Plays of each track, full or skipped, counted into the person's TrackAffinity as a sync does."""
    now = timezone.now() - timedelta(days=days_ago)
    Play.objects.bulk_create(
        Play(user=user, track=track, played_at=now - timedelta(minutes=next(_minutes)), skipped=skipped)
        for track in tracks
        for _ in range(times)
    )
    TrackAffinity.rebuild_play_counts(user)


def avoid_metal(user, days_ago=40):
    """A listener who played pop to the end and skipped every metal track (last month); the model rebuilt."""
    listen(user, TrackFactory.create_batch(10, genre="pop"), times=3, days_ago=days_ago)
    listen(user, TrackFactory.create_batch(16, genre="metal"), skipped=True, days_ago=days_ago)
    rebuild_taste(user)


def learned_dislikes(user):
    return [item.feature for item in taste_for(user).learned() if not item.liked]


def count_queries(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


# What the page shows ------------------------------------------------------------------------------------------


def test_page_shows_the_genres_and_artists_the_user_plays(user_client, user):
    """Genres and top artists come from the user's full plays, with counts."""
    listen(user, [TrackFactory(genre="pop", artist=ArtistFactory(name="Muse"))], times=4)
    html = user_client.get(TASTE).content.decode()
    assert "Genres you play" in html and "pop" in html
    assert "Muse" in html and "4 plays · 1 track" in html


def test_another_users_history_never_appears(user_client, user, other_user):
    """Someone else's genres and artists are not in the signed-in user's profile."""
    listen(user, [TrackFactory(genre="pop", artist=ArtistFactory(name="Mine Alone"))])
    listen(other_user, [TrackFactory(genre="polka", artist=ArtistFactory(name="Their Band"))], times=9)
    html = user_client.get(TASTE).content.decode()
    assert "Mine Alone" in html
    assert "polka" not in html and "Their Band" not in html


def test_skips_are_not_counted_as_plays(user_client, user):
    """A genre the user only skipped is not in their genre mix."""
    listen(user, [TrackFactory(genre="pop")], times=2)
    listen(user, [TrackFactory(genre="metal")], skipped=True)
    html = user_client.get(TASTE).content.decode()
    assert "from 2 full plays of 1 track" in html
    assert "metal" not in html


def test_genre_mix_is_the_top_eight_and_the_rest_as_other(user_client, user):
    """Ten genres played: eight by name, then "other genres"."""
    for n in range(10):
        listen(user, [TrackFactory(genre=f"genre{n}")], times=20 - n)
    html = user_client.get(TASTE).content.decode()
    assert "genre7" in html and "genre8" not in html
    assert "other genres" in html


def test_histograms_are_accessible_svgs_with_their_figures(user_client, user):
    """Tempo and energy are inline SVGs with a viewBox, a title and a description of the shares."""
    listen(user, [TrackFactory(features__tempo=165, features__energy=0.85)], times=3)
    listen(user, [TrackFactory(features__tempo=122, features__energy=0.45)])
    html = user_client.get(TASTE).content.decode()
    assert html.count('<svg viewBox="0 0 320 150" role="img"') == 2
    assert '<title id="tempo-title">Tempo of your full plays</title>' in html
    assert "Share of your full plays. 120–130 BPM: 25%; 160–170 BPM: 75%." in html
    assert "most played: 160–170 BPM (75%)" in html
    assert "energy 0.8–0.9: 75%" in html


def test_tempo_counts_the_users_own_bpm_fix(user_client, user):
    """A track whose BPM the user fixed (×2) is counted at their tempo."""
    track = TrackFactory(features__tempo=82)
    listen(user, [track])
    TrackAffinity.objects.filter(user=user, track=track).update(tempo_override=164)
    html = user_client.get(TASTE).content.decode()
    assert "most played: 160–170 BPM (100%)" in html


def test_tracks_without_a_tempo_are_counted_as_left_out(user_client, user):
    """Plays of tracks with no known tempo are named, not drawn."""
    listen(user, [TrackFactory(features__tempo=150)])
    listen(user, [TrackFactory(features__tempo=None)], times=2)
    html = user_client.get(TASTE).content.decode()
    assert "2 full plays of tracks with no known tempo are left out." in html


def test_no_history_is_said_in_words(user_client):
    """With no plays yet the page says so, and that nothing is learned."""
    html = user_client.get(TASTE).content.decode()
    assert "No listening history yet." in html
    assert "Nothing learned yet — play, skip, remove or like tracks and it will show here." in html
    assert "<svg" not in html


def test_learned_likes_and_dislikes_show_their_evidence(user_client, user):
    """What the model learned is listed with the counts behind it; each dislike has Forget this."""
    avoid_metal(user)
    html = user_client.get(TASTE).content.decode()
    assert "You like" in html and "Played 10 of 10 pop tracks to the end" in html
    assert "You avoid" in html and "Skipped 16 of 16 metal tracks" in html
    assert html.count("Forget this") == 1
    assert 'name="feature" value="genre:metal"' in html


def test_a_never_play_artist_points_to_generate_instead_of_forget(user_client, user):
    """An artist the user chose never to play is changed where it was set, not forgotten here."""
    artist = ArtistFactory(name="Nope Band")
    MusicPreferences.of(user).excluded_artists.add(artist)
    rebuild_taste(user)
    html = user_client.get(TASTE).content.decode()
    assert "Nope Band" in html and "You asked never to play them" in html
    assert "Forget this" not in html
    assert "Change “Never play” on Generate" in html


# My music and htmx --------------------------------------------------------------------------------------------


def test_my_music_loads_the_profile_with_a_plain_link_beside(user_client):
    """My music fetches /taste/ on load, and links to it for a browser without JavaScript."""
    html = user_client.get(reverse("music:library")).content.decode()
    assert f'hx-get="{TASTE}" hx-trigger="load"' in html
    assert f'<a href="{TASTE}">' in html


def test_htmx_get_answers_the_profile_section_alone(user_client, user, htmx):
    """Through htmx, /taste/ is the section My music swaps in, not a whole page."""
    listen(user, [TrackFactory(genre="pop")])
    response = htmx.get(TASTE)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<section") and 'id="taste-profile"' in html
    assert "<html" not in html and 'id="taste-learned"' in html


def test_while_a_rebuild_runs_the_learned_section_asks_again(user_client, user, htmx):
    """A pending rebuild shows "Updating", and the section polls for itself alone."""
    avoid_metal(user)
    TasteProfile.objects.filter(user=user).update(requested_at=timezone.now())
    html = user_client.get(TASTE).content.decode()
    assert 'hx-trigger="load delay:3s"' in html and "Updating from your latest listening" in html
    fragment = htmx.get(TASTE, headers={"HX-Target": "taste-learned"}).content.decode()
    assert fragment.lstrip().startswith('<section id="taste-learned"') and "Genres you play" not in fragment


# Forget this --------------------------------------------------------------------------------------------------


def test_forget_through_htmx_redraws_the_section_without_the_dislike(user_client, user, htmx):
    """Forget this answers the learned section, the dislike gone from the page and from the model."""
    avoid_metal(user)
    response = htmx.post(FORGET, {"feature": "genre:metal"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="taste-learned"')
    assert "Forgotten: metal." in html and "Skipped 16 of 16 metal tracks" not in html
    assert "genre:metal" not in learned_dislikes(user)
    assert TasteProfile.of(user).forgotten[0]["feature"] == "genre:metal"


def test_forget_also_forgets_this_weeks_skips(user_client, user, htmx):
    """Skips from today are forgotten too: the dislike is gone from the model."""
    avoid_metal(user, days_ago=0)
    htmx.post(FORGET, {"feature": "genre:metal"})
    assert "genre:metal" not in learned_dislikes(user)


def test_forget_without_htmx_redirects_back_to_the_profile(user_client, user):
    """A plain POST forgets and goes back to /taste/, which says what was forgotten."""
    avoid_metal(user)
    response = user_client.post(FORGET, {"feature": "genre:metal"})
    assert response.status_code == 302 and response.url == TASTE
    html = user_client.get(TASTE).content.decode()
    assert "Forgotten: metal." in html and "Forgotten at your request: metal." in html


def test_forgetting_twice_is_harmless(user_client, user, htmx):
    """A second Forget of the same dislike (a double click) succeeds and changes nothing more."""
    avoid_metal(user)
    htmx.post(FORGET, {"feature": "genre:metal"})
    response = htmx.post(FORGET, {"feature": "genre:metal"})
    assert response.status_code == 200
    assert len(TasteProfile.of(user).forgotten) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Say which artist or genre to forget."),
        ({"feature": "genre:" + "x" * 400}, "That is longer than any artist or genre Session Mix knows."),
        ({"feature": "genre:jazz"}, "Session Mix had learned nothing against that"),
        ({"feature": "genre:pop"}, "Session Mix had learned nothing against that"),  # a like, not a dislike
    ],
)
def test_bad_or_unknown_feature_is_a_clear_422(user_client, user, data, message, htmx):
    """Missing, overlong, unknown or liked: a message in the section, status 422, the model untouched."""
    avoid_metal(user)
    response = htmx.post(FORGET, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "genre:metal" in learned_dislikes(user)


def test_bad_feature_without_htmx_redirects_with_the_message(user_client, user):
    """A plain POST with nothing to forget goes back to the page, which shows why."""
    response = user_client.post(FORGET, {"feature": "artist:nobody"}, follow=True)
    assert response.redirect_chain == [(TASTE, 302)]
    assert "Session Mix had learned nothing against that" in response.content.decode()


def test_another_users_dislike_cannot_be_forgotten(user_client, user, other_user, htmx):
    """Forgetting works on the signed-in user's model only: someone else's dislike stays."""
    avoid_metal(other_user)
    response = htmx.post(FORGET, {"feature": "genre:metal"})
    assert response.status_code == 422
    assert "genre:metal" in learned_dislikes(other_user)
    assert TasteProfile.of(other_user).forgotten == []


def test_a_never_play_artist_cannot_be_forgotten(user_client, user, htmx):
    """A never-play artist is a choice, not a belief: Forget refuses it."""
    MusicPreferences.of(user).excluded_artists.add(ArtistFactory(name="Nope Band"))
    rebuild_taste(user)
    response = htmx.post(FORGET, {"feature": "artist:nope band"})
    assert response.status_code == 422


# Start over ---------------------------------------------------------------------------------------------------


def test_start_over_resets_what_was_learned_and_keeps_the_plays(user_client, user, htmx):
    """Start over answers the section with nothing learned; the plays are all still there."""
    avoid_metal(user)
    plays = Play.objects.filter(user=user).count()
    response = htmx.post(START_OVER)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Started over." in html and "Nothing learned yet" in html and "Forget this" not in html
    assert taste_for(user).is_neutral
    assert Play.objects.filter(user=user).count() == plays


def test_start_over_without_htmx_redirects_and_keeps_the_history(user_client, user):
    """A plain POST goes back to /taste/; the genres the user plays are still shown."""
    avoid_metal(user)
    response = user_client.post(START_OVER)
    assert response.status_code == 302 and response.url == TASTE
    html = user_client.get(TASTE).content.decode()
    assert "You started over on" in html and "Genres you play" in html and "pop" in html


def test_start_over_says_what_it_resets_before_it_does(user_client, user):
    """The button sits behind a "Start over…" disclosure that says the history and mixes stay."""
    avoid_metal(user)
    html = user_client.get(TASTE).content.decode()
    assert "<summary>Start over…</summary>" in html
    assert "Your listening history and your mixes stay" in html


# Access and cost ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), [("get", TASTE), ("post", FORGET), ("post", START_OVER)])
def test_login_required(client, method, url):
    """Signed out, every profile URL leads to the sign-in page."""
    response = getattr(client, method)(url, {"feature": "genre:metal"})
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_actions_refuse_get(user_client):
    """Forget and Start over change things: a GET is refused."""
    assert user_client.get(FORGET).status_code == 405
    assert user_client.get(START_OVER).status_code == 405


def test_profile_queries_do_not_grow_with_the_history(user_client, user, other_user):
    """Ten plays or four hundred, one genre or twelve, a few beliefs or many: the same number of queries."""
    listen(user, TrackFactory.create_batch(5, genre="pop"), times=2)
    rebuild_taste(user)
    few = count_queries(lambda: user_client.get(TASTE))
    for n in range(12):
        listen(user, TrackFactory.create_batch(8, genre=f"genre{n}", features__tempo=70 + 10 * n), times=4)
    listen(user, TrackFactory.create_batch(16, genre="metal"), skipped=True)
    rebuild_taste(user)
    assert Play.objects.filter(user=user).count() > 400
    assert len(taste_for(user).learned()) > 2
    assert count_queries(lambda: user_client.get(TASTE)) == few
