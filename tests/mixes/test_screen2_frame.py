"""Screen 2's frame: the Save bar, its updates out of band, the Connect round trip, messages where they belong."""

import re
from urllib.parse import quote

import pytest

from mixes.models import PlaylistExport
from tests.factories import WorkoutPlanFactory

pytestmark = pytest.mark.django_db


def first(mix):
    return mix.tracks.order_by("position").first()


def bar(html: str) -> str:
    return re.search(r'<section id="action-bar".*?</section>', html, re.S).group(0)


def test_bar_shows_the_total_against_the_plan(user_client, mix):
    """The bar reads "m:ss of m:ss" for the mix and its plan."""
    response = user_client.get(mix.get_absolute_url())
    preview = response.context["preview"]
    total, planned = (f"{int(s) // 60}:{int(round(s)) % 60:02d}" for s in (preview.total_s, preview.target_s))
    assert re.search(rf"<strong>{total}</strong>\s*<span class=\"small\">of {planned}", bar(response.text))


def test_bar_save_button_submits_the_save_panel_form(user_client, connected_user, mix):
    """Connected, the bar's Save is a submit button for the save panel's form, so it works without JavaScript."""
    html = user_client.get(mix.get_absolute_url()).text
    assert '<button type="submit" form="save-form" class="primary">Save to Spotify</button>' in bar(html)
    assert 'id="save-form"' in html


def test_bar_offers_to_connect_when_not_connected(user_client, mix):
    """Not connected, the bar's button goes to the save panel, where Connect Spotify is explained."""
    html = bar(user_client.get(mix.get_absolute_url()).text)
    assert '<a class="button primary" href="#save-panel">Connect Spotify</a>' in html


def test_bar_links_to_the_saved_playlist(user_client, connected_user, mix):
    """Once saved, the bar links to the playlist on Spotify and offers to update it."""
    PlaylistExport.objects.create(
        mix=mix, name="Tempo", status="done", playlist_id="abc", playlist_url="https://open.spotify.com/playlist/abc"
    )
    html = bar(user_client.get(mix.get_absolute_url()).text)
    assert 'href="https://open.spotify.com/playlist/abc"' in html and "Open in Spotify" in html
    assert "Update playlist" in html


def test_row_action_updates_the_bar_total_out_of_band(user_client, mix, htmx):
    """A remove answers with the bar's new total, out of band."""
    item = first(mix)
    response = htmx.post(f"/mixes/{mix.pk}/tracks/{item.pk}/remove/")
    assert 'id="bar-total" class="bar-total" hx-swap-oob="true"' in response.text


def test_move_updates_the_bar_total_out_of_band(user_client, mix, htmx):
    """A move redraws the body and brings the bar's total along, out of band."""
    item = first(mix)
    response = htmx.post(f"/mixes/{mix.pk}/tracks/{item.pk}/move/", {"position": 2})
    assert response.text.lstrip().startswith('<div id="mix-body">')
    assert 'id="bar-total" class="bar-total" hx-swap-oob="true"' in response.text


def test_full_page_has_one_bar_total(user_client, mix):
    """Without htmx the page carries the bar's total once, in the bar."""
    assert user_client.get(mix.get_absolute_url()).text.count('id="bar-total"') == 1


def test_save_status_updates_the_bar_out_of_band(user_client, connected_user, mix, htmx):
    """The save panel's poll also redraws the bar's save control."""
    PlaylistExport.objects.create(mix=mix, name="Tempo", status="running", progress=40)
    response = htmx.get(f"/mixes/{mix.pk}/save/status/")
    assert response.text.lstrip().startswith('<section id="save-panel"')
    assert 'id="bar-save" class="bar-save" hx-swap-oob="true"' in response.text
    assert "Saving… 40%" in response.text


def test_connect_returns_to_the_save_panel(user_client, mix):
    """The Connect Spotify form sends the person back to the save panel of this mix."""
    html = user_client.get(mix.get_absolute_url()).text
    assert f"next={quote(mix.get_absolute_url() + '#save-panel', safe='')}" in html


def test_skip_link_to_the_bar(user_client, mix):
    """Screen 2's skip links lead to the main content and to the Save bar."""
    html = user_client.get(mix.get_absolute_url()).text
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
    assert '<a class="skip-link" href="#action-bar">Skip to Save to Spotify</a>' in html


def test_every_page_starts_with_the_skip_link(user_client):
    """The skip link is the first link in the body of an ordinary page."""
    html = user_client.get("/mixes/").text
    body = html[html.index("<body") :]
    assert body.index("<a ") == body.index('<a class="skip-link" href="#main">')


def test_messages_are_not_a_live_list(user_client, user):
    """A flash message is a list item in a plain list, inside the live region (not a list given another role)."""
    plan = WorkoutPlanFactory(owner=user)
    response = user_client.post(f"/plans/{plan.pk}/activate/", follow=True)
    assert '<div role="status"><ul class="messages">' in response.text
    assert '<ul class="messages" role=' not in response.text


def test_htmx_delete_leaves_no_message_for_a_later_page(user_client, mix, htmx):
    """Deleting a mix from the list with htmx removes the row and queues no "Deleted …" for the next page."""
    htmx.post(f"/mixes/{mix.pk}/delete/")
    assert "Deleted" not in user_client.get("/plans/").text


def test_plain_delete_says_so_on_the_list(user_client, mix):
    """Without htmx the deletion is confirmed on the mix list it redirects to."""
    response = user_client.post(f"/mixes/{mix.pk}/delete/", follow=True)
    assert f"Deleted “{mix.name}”." in response.text


def test_refused_save_scrolls_to_the_panel(user_client, connected_user, mix, htmx):
    """A save refused for its fields (a blank name) answers 422 and asks htmx to show the panel with the errors."""
    response = htmx.post(f"/mixes/{mix.pk}/save/", {"name": "", "visibility": "private"})
    assert response.status_code == 422
    assert response["HX-Reswap"] == "outerHTML show:top"
    assert 'class="errorlist"' in response.text
