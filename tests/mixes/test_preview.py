"""Screen 2: the preview and every in-place action, as a full page and as an htmx fragment."""

import pytest

from mixes import pools
from mixes.models import Feedback, MixTrack
from music.models import TrackAffinity

pytestmark = pytest.mark.django_db


def url(mix, item, action):
    return f"/mixes/{mix.pk}/tracks/{item.pk}/{action}/"


def first(mix):
    return mix.tracks.order_by("position").first()


def test_preview_groups_tracks_by_section(user_client, mix):
    """Each plan section is a heading with its tracks, durations and the chart."""
    response = user_client.get(mix.get_absolute_url())
    assert response.status_code == 200
    for name in ("Warm-up", "Steady", "Cool-down"):
        assert f"</span>{name}</h2>" in response.text
    assert response.text.count('<li class="track') == mix.tracks.count()
    assert "<svg" in response.text and "actual-tempo" in response.text


def test_preview_explains_each_choice(user_client, mix):
    """Every row shows its BPM, energy and why it was chosen."""
    response = user_client.get(mix.get_absolute_url())
    item = first(mix)
    assert item.why and item.why in response.text
    assert "BPM" in response.text


def test_swap_htmx_replaces_only_that_row(user_client, mix, htmx):
    """A swap answers with the new row and the totals and chart out of band."""
    item = first(mix)
    old_track = item.track_id
    response = htmx.post(url(mix, item, "swap"))
    item.refresh_from_db()
    assert item.track_id != old_track
    assert response.text.lstrip().startswith(f'<li class="track" id="t{item.pk}">')
    assert 'id="section-0-head" hx-swap-oob="true"' in response.text
    assert 'id="mix-summary" class="spread" hx-swap-oob="true"' in response.text
    assert 'id="mix-chart" class="card chart" hx-swap-oob="true"' in response.text


def test_swap_records_feedback(user_client, user, mix, htmx):
    """A swapped-out track is remembered as feedback, and the next pool counts it against the track."""
    item = first(mix)
    old_track = item.track_id
    htmx.post(url(mix, item, "swap"))
    assert Feedback.objects.filter(user=user, track_id=old_track, kind="swapped").exists()
    pool = pools.load_pool(user)
    assert pool.track_at(pool.index_of(str(old_track))).removed == 1


def test_swap_without_htmx_redirects_to_the_row(user_client, mix):
    """Without JavaScript a swap posts and lands back on the preview at that row."""
    item = first(mix)
    response = user_client.post(url(mix, item, "swap"))
    assert response.status_code == 302
    assert response["Location"] == f"{mix.get_absolute_url()}#t{item.pk}"


def test_swapped_out_track_does_not_come_back(user_client, mix, htmx):
    """Swapping twice never brings back the track first swapped out."""
    item = first(mix)
    original = item.track_id
    htmx.post(url(mix, item, "swap"))
    htmx.post(url(mix, item, "swap"))
    item.refresh_from_db()
    assert item.track_id != original


def test_remove_htmx_drops_the_row(user_client, mix, htmx):
    """Remove answers with no row, only the updated totals, and records the feedback."""
    item = first(mix)
    count = mix.tracks.count()
    response = htmx.post(url(mix, item, "remove"))
    assert mix.tracks.count() == count - 1
    assert f'id="t{item.pk}"' not in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert Feedback.objects.filter(kind="removed", track_id=item.track_id).exists()


def test_remove_renumbers_positions(user_client, mix):
    """After a remove the positions stay 0..n-1."""
    user_client.post(url(mix, first(mix), "remove"))
    assert list(mix.tracks.values_list("position", flat=True)) == list(range(mix.tracks.count()))


def test_lock_toggles_and_replaces_itself(user_client, mix, htmx):
    """Lock answers with the row in its new state; a second post unlocks."""
    item = first(mix)
    response = htmx.post(url(mix, item, "lock"))
    assert ">Unlock<" in response.text and "locked" in response.text
    htmx.post(url(mix, item, "lock"))
    item.refresh_from_db()
    assert not item.locked


def test_like_marks_the_track_for_the_scorer(user_client, user, mix, htmx):
    """Like sets the row's state and the user's affinity for the track."""
    item = first(mix)
    htmx.post(url(mix, item, "like"))
    assert TrackAffinity.objects.get(user=user, track_id=item.track_id).liked


def test_bpm_double_corrects_the_tempo_for_this_person(user_client, user, mix, htmx):
    """×2 doubles the track's tempo for this person, records it, and redraws the row."""
    item = first(mix)
    before = item.tempo
    response = htmx.post(url(mix, item, "bpm"), {"factor": "2"})
    item.refresh_from_db()
    assert item.tempo == pytest.approx(before * 2)
    assert TrackAffinity.objects.get(user=user, track_id=item.track_id).tempo_override == pytest.approx(before * 2)
    assert Feedback.objects.get(kind="bpm_corrected").value == pytest.approx(before * 2)
    assert f'id="t{item.pk}"' in response.text


def test_bpm_fix_leaves_the_catalog_and_other_people_alone(user_client, other_user, mix, plan, htmx):
    """One person's ×2 changes neither the catalog's tempo nor another person's pool."""
    item = first(mix)
    catalog_tempo = item.track.features.tempo
    htmx.post(url(mix, item, "bpm"), {"factor": "2"})
    item.track.features.refresh_from_db()
    assert item.track.features.tempo == catalog_tempo
    pool = pools.load_pool(other_user)
    assert pool.track_at(pool.index_of(str(item.track_id))).tempo == catalog_tempo


def test_bpm_fix_is_bounded(user_client, mix, htmx):
    """A fix that would leave 30–250 BPM is refused in the row, nothing changed."""
    item = first(mix)
    MixTrack.objects.filter(pk=item.pk).update(tempo=180)
    response = htmx.post(url(mix, item, "bpm"), {"factor": "2"})
    assert response.status_code == 422 and "tempos go from 30 to 250" in response.text
    assert not TrackAffinity.objects.filter(tempo_override__isnull=False).exists()


def test_bpm_bad_factor_is_an_error_in_the_row(user_client, mix, htmx):
    """Anything but ×2 or ÷2 is refused with a message in the row, nothing changed."""
    item = first(mix)
    before = item.tempo
    response = htmx.post(url(mix, item, "bpm"), {"factor": "3"})
    assert response.status_code == 422
    assert "Use ×2 or ÷2." in response.text
    item.refresh_from_db()
    assert item.tempo == before


def test_move_down_swaps_with_the_next_track(user_client, mix, htmx):
    """Move down puts the track one place later and redraws the mix body."""
    a, b = list(mix.tracks.order_by("position")[:2])
    response = htmx.post(url(mix, a, "move"), {"direction": "down"})
    assert response.text.lstrip().startswith('<div id="mix-body">')
    assert list(mix.tracks.order_by("position").values_list("pk", flat=True)[:2]) == [b.pk, a.pk]


def test_move_across_a_section_boundary_changes_section(user_client, mix):
    """Moving the first track of a section up puts it at the end of the section before."""
    second_section_first = mix.tracks.filter(section=1).order_by("position").first()
    user_client.post(url(mix, second_section_first, "move"), {"direction": "up"})
    second_section_first.refresh_from_db()
    assert second_section_first.section == 0


@pytest.mark.parametrize("position", ["0", "999", "x"])
def test_move_to_a_position_out_of_range_is_refused(user_client, mix, position, htmx):
    """A position outside the mix is an error shown in the row; the order is unchanged."""
    item = first(mix)
    order = list(mix.tracks.values_list("pk", flat=True))
    response = htmx.post(url(mix, item, "move"), {"position": position})
    assert response.status_code == 422
    assert 'class="errorlist"' in response.text
    assert list(mix.tracks.values_list("pk", flat=True)) == order


def test_move_to_a_position(user_client, mix):
    """A 1-based position moves the track there."""
    item = first(mix)
    last = mix.tracks.count()
    user_client.post(url(mix, item, "move"), {"position": str(last)})
    item.refresh_from_db()
    assert item.position == last - 1


def test_regenerate_keeps_locked_tracks(user_client, mix, htmx):
    """New seeds choose the unlocked tracks again; a locked track stays in its place."""
    keep = mix.tracks.filter(section=1).order_by("position")[1]
    user_client.post(url(mix, keep, "lock"))
    response = htmx.post(f"/mixes/{mix.pk}/regenerate/", {"seed_genres": ["rock"]})
    assert response.status_code == 200
    kept = MixTrack.objects.get(mix=mix, track_id=keep.track_id)
    assert kept.pk == keep.pk and kept.locked and kept.section == 1
    assert list(mix.tracks.filter(section=1).order_by("position"))[1] == kept
    mix.refresh_from_db()
    assert mix.seed_genres == ["rock"]


def test_regenerate_with_unknown_seed_keeps_the_mix(user_client, mix, htmx):
    """An unknown seed artist is reported by the seed field and the mix is untouched."""
    before = list(mix.tracks.values_list("track_id", flat=True))
    response = htmx.post(f"/mixes/{mix.pk}/regenerate/", {"seed_artists": "Not A Band"})
    assert response.status_code == 422
    assert "Not in the catalog: Not A Band" in response.text
    assert list(mix.tracks.values_list("track_id", flat=True)) == before


def test_rename_htmx_answers_with_the_heading(user_client, mix, htmx):
    """Renaming replaces the heading with the new name."""
    response = htmx.post(f"/mixes/{mix.pk}/rename/", {"name": "Tuesday tempo"})
    assert "<h1>Tuesday tempo</h1>" in response.text
    mix.refresh_from_db()
    assert mix.name == "Tuesday tempo"


def test_rename_blank_is_refused(user_client, mix, htmx):
    """A blank name keeps the old one and says why."""
    old = mix.name
    response = htmx.post(f"/mixes/{mix.pk}/rename/", {"name": "   "})
    assert response.status_code == 422
    mix.refresh_from_db()
    assert mix.name == old
    assert "errorlist" in response.text


def test_preview_offers_to_connect_spotify(user_client, mix):
    """Without a Spotify connection the save panel offers to connect."""
    response = user_client.get(mix.get_absolute_url())
    assert "Connect Spotify to save this mix" in response.text


def test_mix_list_and_delete(user_client, mix):
    """The list shows the user's mixes; delete removes one."""
    assert mix.name in user_client.get("/mixes/").text
    response = user_client.post(f"/mixes/{mix.pk}/delete/")
    assert response.status_code == 302
    assert not type(mix).objects.filter(pk=mix.pk).exists()


def test_pool_carries_spotify_library_signals(user, catalog):
    """Saved, playlist and top tracks from the Spotify sync reach the scorer's pool."""
    saved, listed, top = catalog[:3]
    TrackAffinity.objects.create(user=user, track=saved, saved=True)
    TrackAffinity.objects.create(user=user, track=listed, in_playlists=True)
    TrackAffinity.objects.create(user=user, track=top, top_rank=3)
    pool = pools.load_pool(user)
    record = {key: pool.track_at(pool.index_of(str(t.pk))) for key, t in (("s", saved), ("l", listed), ("t", top))}
    assert record["s"].saved and record["l"].saved and not record["s"].top
    assert record["t"].top and not record["t"].saved
