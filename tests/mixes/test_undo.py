"""Undo for remove and swap on Screen 2: the same track back at the same place, its feedback withdrawn."""

import re
from html import unescape

import pytest

from mixes.models import Feedback, MixTrack
from mixes.undo import UNDO_SESSION_KEY, Undo

pytestmark = pytest.mark.django_db


def url(mix, item, action):
    return f"/mixes/{mix.pk}/tracks/{item.pk}/{action}/"


def undo_url(mix):
    return f"/mixes/{mix.pk}/undo/"


def token_in(html: str) -> str:
    """The token the toast's Undo form posts."""
    return unescape(re.search(r'name="token" value="([^"]+)"', html).group(1))


def state(item):
    """What an undo must restore: track, section, position and every flag."""
    names = ("track_id", "section", "position", "locked", "liked", "tempo", "tempo_factor", "why", "explore")
    return {name: getattr(item, name) for name in names}


def middle(mix):
    return mix.tracks.filter(section=1).order_by("position")[1]


def test_remove_htmx_answers_with_the_undo_toast(user_client, mix, htmx):
    """After a remove the toast names the track and offers Undo, focused."""
    item = middle(mix)
    response = htmx.post(url(mix, item, "remove"))
    assert f"Removed ‘{item.track.title}’" in unescape(response.text)
    assert 'id="undo-toast"' in response.text and 'hx-swap-oob="innerHTML"' in response.text
    assert re.search(r'<button type="submit" aria-describedby="undo-text" autofocus>Undo</button>', response.text)


def test_undo_remove_htmx_restores_the_row_in_place(user_client, mix, htmx):
    """Undo puts the removed track back at its position, in its section, with its flags and tempo."""
    item = middle(mix)
    MixTrack.objects.filter(pk=item.pk).update(liked=True)
    item.refresh_from_db()
    before = state(item)
    token = token_in(htmx.post(url(mix, item, "remove")).text)
    response = htmx.post(undo_url(mix), {"token": token})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="mix-body">')
    restored = MixTrack.objects.get(mix=mix, track_id=item.track_id)
    assert state(restored) == before and restored.pk == item.pk
    assert list(mix.tracks.values_list("position", flat=True)) == list(range(mix.tracks.count()))


def test_undo_remove_withdraws_the_feedback(user_client, mix, htmx):
    """The undone remove no longer counts against the song."""
    item = middle(mix)
    token = token_in(htmx.post(url(mix, item, "remove")).text)
    htmx.post(undo_url(mix), {"token": token})
    assert not Feedback.objects.filter(kind="removed", track_id=item.track_id).exists()


def test_undo_asks_the_taste_model_again(user_client, user, mix, htmx, monkeypatch):
    """Withdrawing feedback asks for a taste rebuild."""
    from mixes import services

    asked = []
    item = middle(mix)
    token = token_in(htmx.post(url(mix, item, "remove")).text)
    monkeypatch.setattr(services, "enqueue_taste_rebuild", lambda user, batch: asked.append(user))
    htmx.post(undo_url(mix), {"token": token})
    assert asked == [user]


def test_remove_without_htmx_shows_the_toast_on_the_next_page(user_client, mix):
    """Without JavaScript the redirect lands on the row now in its place, and that page shows the toast once."""
    item = middle(mix)
    response = user_client.post(url(mix, item, "remove"))
    assert response.status_code == 302
    nxt = mix.tracks.filter(section=1).order_by("position")[1]
    assert response["Location"] == f"{mix.get_absolute_url()}#t{nxt.pk}"
    page = user_client.get(mix.get_absolute_url())
    assert f"Removed ‘{item.track.title}’" in unescape(page.text)
    assert f'action="{undo_url(mix)}"' in page.text
    assert "Removed ‘" not in unescape(user_client.get(mix.get_absolute_url()).text)


def test_undo_remove_without_htmx_redirects_to_the_row(user_client, mix):
    """Without JavaScript Undo posts, the track is back, and the redirect lands on its row with no toast."""
    item = middle(mix)
    user_client.post(url(mix, item, "remove"))
    token = user_client.session[UNDO_SESSION_KEY]
    response = user_client.post(undo_url(mix), {"token": token})
    restored = MixTrack.objects.get(mix=mix, track_id=item.track_id)
    assert response.status_code == 302
    assert response["Location"] == f"{mix.get_absolute_url()}#t{restored.pk}"
    assert restored.position == item.position
    assert "Removed ‘" not in unescape(user_client.get(response["Location"]).text)


def test_undo_swap_htmx_puts_the_old_track_back(user_client, mix, htmx):
    """Undo after a swap brings back the same track in the same row, with its flags."""
    item = middle(mix)
    MixTrack.objects.filter(pk=item.pk).update(liked=True)
    item.refresh_from_db()
    before = state(item)
    response = htmx.post(url(mix, item, "swap"))
    assert "Swapped ‘" in unescape(response.text)
    htmx.post(undo_url(mix), {"token": token_in(response.text)})
    item.refresh_from_db()
    assert state(item) == before


def test_undo_swap_withdraws_the_feedback(user_client, mix, htmx):
    """The undone swap no longer counts against the song."""
    item = middle(mix)
    old_track = item.track_id
    response = htmx.post(url(mix, item, "swap"))
    htmx.post(undo_url(mix), {"token": token_in(response.text)})
    assert not Feedback.objects.filter(kind="swapped", track_id=old_track).exists()


def test_undo_swap_without_htmx(user_client, mix):
    """Without JavaScript a swap's Undo posts and redirects to the row with the old track back."""
    item = middle(mix)
    old_track = item.track_id
    user_client.post(url(mix, item, "swap"))
    page = user_client.get(mix.get_absolute_url())
    assert "Swapped ‘" in unescape(page.text)
    response = user_client.post(undo_url(mix), {"token": token_in(page.text)})
    assert response["Location"] == f"{mix.get_absolute_url()}#t{item.pk}"
    item.refresh_from_db()
    assert item.track_id == old_track


def test_undo_of_another_users_mix_is_a_404(user_client, mix, other_user, client, htmx):
    """Someone else posting a valid token to the mix gets a 404 and nothing changes."""
    item = middle(mix)
    token = token_in(htmx.post(url(mix, item, "remove")).text)
    client.force_login(other_user)
    assert client.post(undo_url(mix), {"token": token}).status_code == 404
    assert not mix.tracks.filter(track_id=item.track_id).exists()


def test_undo_twice_says_there_is_nothing_to_undo(user_client, mix, htmx):
    """A second Undo with the same token changes nothing and says so."""
    item = middle(mix)
    token = token_in(htmx.post(url(mix, item, "remove")).text)
    htmx.post(undo_url(mix), {"token": token})
    response = htmx.post(undo_url(mix), {"token": token})
    assert response.status_code == 200 and "Nothing to undo" in response.text
    assert mix.tracks.filter(track_id=item.track_id).count() == 1


def test_forged_token_is_nothing_to_undo(user_client, mix, htmx):
    """A token that is not ours is refused calmly, never a 500."""
    response = htmx.post(undo_url(mix), {"token": "forged"})
    assert response.status_code == 200 and "Nothing to undo" in response.text


def test_undo_after_the_mix_changed_inserts_and_renumbers(user_client, mix, htmx):
    """A removed track comes back inside its own section even after other tracks were removed around it."""
    item = mix.tracks.filter(section=1).order_by("position").last()
    token = token_in(htmx.post(url(mix, item, "remove")).text)
    for other in list(mix.tracks.filter(section=1)):
        htmx.post(url(mix, other, "remove"))
    htmx.post(undo_url(mix), {"token": token})
    restored = MixTrack.objects.get(mix=mix, track_id=item.track_id)
    assert restored.section == 1
    sections = list(mix.tracks.values_list("section", flat=True))
    assert sections == sorted(sections)
    assert list(mix.tracks.values_list("position", flat=True)) == list(range(mix.tracks.count()))


def test_token_of_another_mix_is_nothing_to_undo(user, mix):
    """A token names its mix; another mix of the same person does not accept it."""
    change = Undo(mix_id=mix.pk + 1, feedback_id=1, kind="removed", text="Removed ‘X’")
    assert Undo.from_token(change.token, mix) is None
