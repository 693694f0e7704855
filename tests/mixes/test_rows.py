"""Screen 2's track rows: labelled controls, a More menu, locks that mean it, tempo fixes that make sense, focus."""

import re
from html import unescape

import pytest

from mixes.models import MixTrack
from mixes.templatetags.mix_tags import tempo_reading

pytestmark = pytest.mark.django_db


def url(mix, item, action):
    return f"/mixes/{mix.pk}/tracks/{item.pk}/{action}/"


def first(mix):
    return mix.tracks.order_by("position").first()


def row_html(html: str, item) -> str:
    """The markup of one row of a page or fragment."""
    return re.search(rf'<li class="track[^"]*" id="t{item.pk}".*?</li>', html, re.S).group(0)


def locked(item):
    MixTrack.objects.filter(pk=item.pk).update(locked=True)
    item.refresh_from_db()
    return item


def test_row_controls_have_visible_labels(user_client, mix):
    """Swap, Lock and Remove say what they do in words, and no control has an aria-label."""
    item = first(mix)
    row = row_html(user_client.get(mix.get_absolute_url()).text, item)
    for label in ("Swap", "Lock", "Remove"):
        assert f'>{label}<span class="visually-hidden">' in row
    assert "aria-label" not in row


def test_less_common_actions_are_in_a_more_menu(user_client, mix):
    """Like, move and the tempo fixes sit in a closed <details> menu that needs no JavaScript."""
    row = row_html(user_client.get(mix.get_absolute_url()).text, first(mix))
    menu = re.search(r'<details class="row-menu">.*?</details>', row, re.S).group(0)
    assert "<summary" in menu and ">More<" in menu
    assert ">Like<" in menu and "Move to position" in menu


def test_locked_row_offers_unlock_but_no_swap_or_remove(user_client, mix):
    """A locked row shows Unlock and neither Swap nor Remove."""
    item = locked(first(mix))
    row = row_html(user_client.get(mix.get_absolute_url()).text, item)
    assert ">Unlock<" in row
    assert ">Swap<" not in row and ">Remove<" not in row


def test_locked_track_refuses_a_swap(user_client, mix, htmx):
    """A forced swap of a locked track answers 422 with the row and why; track and lock stay."""
    item = locked(first(mix))
    response = htmx.post(url(mix, item, "swap"))
    assert response.status_code == 422
    assert "Unlock it first to swap it." in row_html(response.text, item)
    after = MixTrack.objects.get(pk=item.pk)
    assert after.track_id == item.track_id and after.locked


def test_locked_track_refuses_a_remove(user_client, mix, htmx):
    """A forced remove of a locked track answers 422 with the row and why; the track stays."""
    item = locked(first(mix))
    response = htmx.post(url(mix, item, "remove"))
    assert response.status_code == 422
    assert "Unlock it first to remove it." in row_html(response.text, item)
    assert MixTrack.objects.filter(pk=item.pk).exists()


def test_locked_refusal_without_htmx_shows_in_the_row(user_client, mix):
    """Without JavaScript the refusal redirects to the row, and the message is in that row."""
    item = locked(first(mix))
    response = user_client.post(url(mix, item, "swap"))
    assert response["Location"] == f"{mix.get_absolute_url()}#t{item.pk}"
    row = row_html(user_client.get(response["Location"]).text, item)
    assert "Unlock it first to swap it." in row


def test_a_rows_message_is_not_repeated_at_the_top(user_client, mix):
    """Without JavaScript a row's refusal shows once, in its row, not also in the page's messages."""
    item = locked(first(mix))
    response = user_client.post(url(mix, item, "swap"))
    html = user_client.get(response["Location"]).text
    assert html.count("Unlock it first to swap it.") == 1


def test_tempo_fixes_say_what_happens(user_client, mix):
    """×2 and ÷2 are offered in words with the tempo before and after."""
    item = first(mix)
    MixTrack.objects.filter(pk=item.pk).update(tempo=117)
    row = unescape(row_html(user_client.get(mix.get_absolute_url()).text, item))
    assert "Double the tempo (117 → 234 BPM)" in row
    assert "Halve the tempo (117 → 58 BPM)" in row or "Halve the tempo (117 → 59 BPM)" in row


def test_double_is_not_offered_past_the_tempo_range(user_client, mix):
    """At 170 BPM doubling would leave 30–250 BPM: only halving is offered."""
    item = first(mix)
    MixTrack.objects.filter(pk=item.pk).update(tempo=170)
    row = unescape(row_html(user_client.get(mix.get_absolute_url()).text, item))
    assert "Double the tempo" not in row
    assert "Halve the tempo (170 → 85 BPM)" in row


def test_halve_is_not_offered_below_the_tempo_range(user_client, mix):
    """At 50 BPM halving would leave 30–250 BPM: only doubling is offered."""
    item = first(mix)
    MixTrack.objects.filter(pk=item.pk).update(tempo=50)
    row = unescape(row_html(user_client.get(mix.get_absolute_url()).text, item))
    assert "Halve the tempo" not in row
    assert "Double the tempo (50 → 100 BPM)" in row


def test_tempo_reading_after_a_double_fix(mix):
    """After ×2 on a 117 BPM track the row says 234 BPM, the person's reading, heard in half time."""
    item = first(mix)
    item.track.features.tempo = 117
    item.tempo, item.tempo_factor = 234, 0.5
    assert tempo_reading(item) == "234 BPM as you set it, used in half time (117)"


def test_double_fix_never_says_half_time_of_the_new_tempo(user_client, mix, htmx):
    """The row after ×2 leads with the corrected tempo, not "half time of" it."""
    item = first(mix)
    before = item.tempo
    response = htmx.post(url(mix, item, "bpm"), {"factor": "2"})
    row = row_html(response.text, item)
    assert f"{before * 2:.0f} BPM as you set it" in row
    assert "half time of" not in row


def test_move_to_position_in_one_post(user_client, mix, htmx):
    """The menu's Move to position moves the track to any position 1…N in one POST."""
    item = first(mix)
    count = mix.tracks.count()
    row = row_html(user_client.get(mix.get_absolute_url()).text, item)
    assert f'name="position" min="1" max="{count}" value="1"' in row
    response = htmx.post(url(mix, item, "move"), {"position": "3"})
    assert response.status_code == 200
    assert list(mix.tracks.values_list("pk", flat=True))[2] == item.pk


def test_focus_stays_on_the_swap_button_after_a_swap(user_client, mix, htmx):
    """The swapped row comes back with its Swap button focused (htmx honours autofocus)."""
    item = first(mix)
    row = row_html(htmx.post(url(mix, item, "swap")).text, item)
    assert re.search(r'<button type="submit" autofocus>Swap<', row)


def test_focus_after_a_menu_action_keeps_the_menu_open(user_client, mix, htmx):
    """After Like the menu is open again and Like is focused."""
    item = first(mix)
    row = row_html(htmx.post(url(mix, item, "like")).text, item)
    assert '<details class="row-menu" open>' in row
    assert re.search(r'aria-pressed="true" autofocus>Like<', row)


def test_focus_moves_to_the_row_when_its_control_is_gone(user_client, mix, htmx):
    """A refused swap of a locked row focuses the row itself, as it offers no Swap."""
    item = locked(first(mix))
    response = htmx.post(url(mix, item, "swap"))
    assert f'id="t{item.pk}" tabindex="-1" autofocus>' in response.text


def test_closed_row_has_few_tab_stops(user_client, mix):
    """With its menu closed a row offers four tab stops: Swap, Lock, Remove and More."""
    row = row_html(user_client.get(mix.get_absolute_url()).text, first(mix))
    outside_menu = re.sub(r'<div class="row-menu-items">.*?</div>\s*</details>', "", row, flags=re.S)
    assert outside_menu.count("<button") + outside_menu.count("<summary") == 4
