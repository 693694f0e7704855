"""Save to Spotify: one playlist per mix, in order, exactly once, through every fault."""

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from allauth.socialaccount.models import SocialToken
from django.db import connections
from django.utils import timezone

from accounts.spotify import SpotifyClient, SpotifyUnavailable
from mixes.export import marker, save_playlist
from mixes.models import MixTrack, PlaylistExport, SessionMix
from mixes.tasks import enqueue_save, save_playlist_task
from music.models import Track
from tests.factories import ArtistFactory, SessionMixFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(connected_user):
    return connected_user


def sandbox_mix(owner, sandbox, count: int) -> SessionMix:
    """A mix of `count` tracks the sandbox knows, in a known order."""
    mix = SessionMixFactory(owner=owner)
    artist = ArtistFactory()
    rows = []
    for position, song in enumerate(sandbox.catalog[:count]):
        track = TrackFactory(spotify_id=song["id"], title=song["name"], artist=artist)
        rows.append(MixTrack(mix=mix, track=track, section=0, position=position))
    MixTrack.objects.bulk_create(rows)
    return mix


def uris(mix: SessionMix) -> list[str]:
    return [f"spotify:track:{t.track.spotify_id}" for t in mix.tracks.select_related("track").order_by("position")]


def save(mix: SessionMix, public: bool = False) -> PlaylistExport:
    export, _ = PlaylistExport.objects.update_or_create(
        mix=mix, defaults={"name": "Tempo Tuesday", "public": public, "status": "queued"}
    )
    return save_playlist(export)


def demo_playlists(sandbox):
    return [p for p in sandbox.playlists("sandbox-demo") if not p["deleted"] and p["name"] == "Tempo Tuesday"]


def went_silent(export: PlaylistExport, minutes: int = 20) -> None:
    """The run holding the export stopped reporting `minutes` ago (its worker died)."""
    PlaylistExport.objects.filter(pk=export.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_save_creates_one_private_playlist_in_order(connected, spotify_sandbox):
    """A save makes exactly one private playlist holding the mix's tracks in order."""
    mix = sandbox_mix(connected, spotify_sandbox, 12)
    export = save(mix)
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["public"] is False
    assert playlist["items"] == uris(mix)
    assert export.status == "done" and export.playlist_url
    mix.refresh_from_db()
    assert mix.status == "saved"


def test_save_costs_one_create_and_one_add_per_hundred(connected, spotify_sandbox):
    """250 tracks: one create and ceil(250/100) = 3 add-items calls, nothing else that writes."""
    mix = sandbox_mix(connected, spotify_sandbox, 250)
    save(mix)
    assert spotify_sandbox.count("POST", "/v1/me/playlists") == 1
    assert spotify_sandbox.count("POST", "/v1/playlists/*/items") == math.ceil(250 / 100)
    assert spotify_sandbox.count("PUT", "/v1/playlists/*/items") == 0
    assert spotify_sandbox.count("GET", "/v1/me/library/contains") == 0
    assert demo_playlists(spotify_sandbox)[0]["items"] == uris(mix)


def test_public_save_makes_a_public_playlist(connected, spotify_sandbox):
    """Choosing public makes the playlist public."""
    save(sandbox_mix(connected, spotify_sandbox, 3), public=True)
    assert demo_playlists(spotify_sandbox)[0]["public"] is True


def test_task_run_twice_keeps_one_playlist(connected, spotify_sandbox):
    """Running the save twice (a redelivered task) leaves one playlist with each track once."""
    mix = sandbox_mix(connected, spotify_sandbox, 20)
    save(mix)
    save(mix)
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix)


def test_resave_after_removing_a_track_updates_the_same_playlist(connected, spotify_sandbox):
    """Re-saving an edited mix replaces the items of the same playlist."""
    mix = sandbox_mix(connected, spotify_sandbox, 10)
    save(mix)
    mix.tracks.order_by("position")[3].delete()
    save(mix)
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix) and len(playlist["items"]) == 9


def test_deleted_playlist_is_made_again(connected, spotify_sandbox):
    """If the user deleted the playlist in Spotify, the next save makes a new one."""
    mix = sandbox_mix(connected, spotify_sandbox, 5)
    first = save(mix).playlist_id
    spotify_sandbox.delete_playlist(first)
    second = save(mix).playlist_id
    assert second != first
    assert [p["id"] for p in demo_playlists(spotify_sandbox)] == [second]
    assert spotify_sandbox.count("GET", "/v1/me/library/contains") == 1


def test_server_error_on_second_add_loses_nothing_and_duplicates_nothing(connected, spotify_sandbox):
    """A 500 on the second add-items call fails that run; the retry completes the same playlist exactly."""
    mix = sandbox_mix(connected, spotify_sandbox, 150)
    spotify_sandbox.fault(path="/v1/playlists/*/items", method="POST", status=500, skip=1, times=1)
    with pytest.raises(SpotifyUnavailable):
        save(mix)
    save(mix)
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix)


def lost_save(mix: SessionMix, description: str = "Hills, then sprints") -> PlaylistExport:
    """A save whose worker died after Spotify made the playlist but before its id was stored."""
    export = PlaylistExport.objects.create(
        mix=mix, name="Tempo Tuesday", description=description, status="running", attempts=1
    )
    went_silent(export)
    return export


def test_save_description_is_the_users_own_with_no_marker(connected, spotify_sandbox):
    """The playlist's description is what the user wrote: no "[Session Mix #id]" is added."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", description="Hills, then sprints", status="queued")
    save_playlist(PlaylistExport.objects.get())
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["description"] == "Hills, then sprints"


def test_first_save_makes_its_own_playlist_beside_one_of_the_same_name(connected, spotify_sandbox):
    """A first run looks for no lost playlist: the user's empty "Tempo Tuesday" is left alone."""
    theirs = SpotifyClient(connected).create_playlist("Tempo Tuesday", "", public=False)
    export = save(sandbox_mix(connected, spotify_sandbox, 3))
    assert export.playlist_id != theirs["id"] and len(demo_playlists(spotify_sandbox)) == 2
    assert spotify_sandbox.count("GET", "/v1/me/playlists") == 0


def test_lost_playlist_id_is_found_by_name_and_description(connected, spotify_sandbox):
    """A worker that died after creating the playlist but before storing its id: the retry adopts it."""
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    lost = SpotifyClient(connected).create_playlist("Tempo Tuesday", "Hills, then sprints", public=False)
    export = save_playlist(lost_save(mix))
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix)
    assert export.playlist_id == lost["id"] and spotify_sandbox.count("POST", "/v1/me/playlists") == 1


def test_lost_playlist_id_with_no_description_is_found_too(connected, spotify_sandbox):
    """A save without a description is found by its name and the empty description."""
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    SpotifyClient(connected).create_playlist("Tempo Tuesday", "", public=False)
    save_playlist(lost_save(mix, description=""))
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix)


def test_lost_playlist_id_is_found_when_spotify_answers_the_description_html_escaped(connected, spotify_sandbox):
    """Spotify answers descriptions with HTML entities: "Hills &amp; sprints" is the "Hills & sprints" we sent."""
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    lost = SpotifyClient(connected).create_playlist("Tempo Tuesday", "Hills &amp; sprints", public=False)
    export = save_playlist(lost_save(mix, description="Hills & sprints"))
    assert export.playlist_id == lost["id"] and len(demo_playlists(spotify_sandbox)) == 1


def test_lost_playlist_of_an_older_save_is_found_by_its_marker(connected, spotify_sandbox):
    """A playlist an older save marked "[Session Mix #id]" for this mix is still adopted by a retry."""
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    SpotifyClient(connected).create_playlist("Tempo Tuesday", marker(mix), public=False)
    save_playlist(lost_save(mix, description=""))
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix)


def test_resave_of_an_older_save_takes_its_marker_out(connected, spotify_sandbox):
    """Saving again a mix an older save marked: the same playlist, its description now only the user's."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    old = SpotifyClient(connected).create_playlist("Tempo Tuesday", f"Hills {marker(mix)}", public=False)
    PlaylistExport.objects.create(
        mix=mix, name="Tempo Tuesday", description="Hills", status="queued", playlist_id=old["id"]
    )
    save_playlist(PlaylistExport.objects.get())
    (playlist,) = demo_playlists(spotify_sandbox)
    assert (playlist["id"], playlist["description"], playlist["items"]) == (old["id"], "Hills", uris(mix))


def test_lost_id_retry_leaves_an_older_exports_playlist_alone(connected, spotify_sandbox):
    """Another mix's playlist with the same name and description (and empty) is not taken: a new one is made."""
    client = SpotifyClient(connected)
    older = client.create_playlist("Tempo Tuesday", "Hills, then sprints", public=False)
    PlaylistExport.objects.create(
        mix=SessionMixFactory(owner=connected), name="Tempo Tuesday", status="done", playlist_id=older["id"]
    )
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    export = save_playlist(lost_save(mix))
    assert export.playlist_id != older["id"]
    items = {p["id"]: p["items"] for p in demo_playlists(spotify_sandbox)}
    assert items == {older["id"]: [], export.playlist_id: uris(mix)}


def test_lost_id_retry_leaves_the_users_playlist_with_tracks_alone(connected, spotify_sandbox):
    """A playlist of the user's with the same name and description but with tracks in it is theirs: not taken."""
    client = SpotifyClient(connected)
    theirs = client.create_playlist("Tempo Tuesday", "Hills, then sprints", public=False)
    client.add_items(theirs["id"], spotify_sandbox.track_uris()[-2:])
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    export = save_playlist(lost_save(mix))
    items = {p["id"]: p["items"] for p in demo_playlists(spotify_sandbox)}
    assert items == {theirs["id"]: spotify_sandbox.track_uris()[-2:], export.playlist_id: uris(mix)}


def test_lost_id_retry_takes_the_newest_match(connected, spotify_sandbox):
    """Two empty playlists that fit: the newest (the lost create) is filled, the older one is left alone."""
    client = SpotifyClient(connected)
    earlier = client.create_playlist("Tempo Tuesday", "Hills, then sprints", public=False)
    lost = client.create_playlist("Tempo Tuesday", "Hills, then sprints", public=False)
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    export = save_playlist(lost_save(mix))
    assert export.playlist_id == lost["id"]
    items = {p["id"]: p["items"] for p in demo_playlists(spotify_sandbox)}
    assert items == {earlier["id"]: [], lost["id"]: uris(mix)}


def test_lost_id_retry_run_twice_makes_no_duplicate(connected, spotify_sandbox):
    """The lost-id retry, then the task delivered again: still one playlist, each track once."""
    mix = sandbox_mix(connected, spotify_sandbox, 4)
    SpotifyClient(connected).create_playlist("Tempo Tuesday", "Hills, then sprints", public=False)
    save_playlist(lost_save(mix))
    PlaylistExport.objects.update(status="queued")
    save_playlist(PlaylistExport.objects.get())
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix) and spotify_sandbox.count("POST", "/v1/me/playlists") == 1


def test_rate_limit_reschedules_with_retry_after(connected, spotify_sandbox):
    """A 429 makes the task reschedule itself with Spotify's Retry-After, saying so to the user."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="queued")
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=429, retry_after=17, times=1)
    retry_patch = mock.patch.object(save_playlist_task, "retry", side_effect=RuntimeError("retry"))
    with retry_patch as retry, pytest.raises(RuntimeError):
        save_playlist_task.run(export.pk)
    assert retry.call_args.kwargs["countdown"] == 17
    export.refresh_from_db()
    assert export.message == "Spotify is rate-limiting us, retrying in 17 s." and export.status == "queued"
    assert demo_playlists(spotify_sandbox) == []


def test_quota_exceeded_is_reported_as_such(connected, spotify_sandbox):
    """QUOTA_EXCEEDED fails the save with that reason instead of retrying."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="queued")
    body = {"error": {"status": 429, "reason": "QUOTA_EXCEEDED"}}
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=429, retry_after=3600, body=body, times=1)
    save_playlist_task.run(export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and "quota" in export.message


def test_revoked_refresh_token_asks_to_reconnect_and_keeps_the_mix(connected, spotify_sandbox, user_client):
    """An expired access token whose refresh was revoked: the save fails asking to reconnect; the mix stays."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="queued")
    SocialToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    spotify_sandbox.revoke_refresh_tokens()
    save_playlist_task.run(export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and "Reconnect Spotify" in export.message
    assert mix.tracks.count() == 3
    assert "Reconnect Spotify" in user_client.get(mix.get_absolute_url()).text


def test_expired_access_token_is_refreshed_before_saving(connected, spotify_sandbox):
    """An access token past its expiry is refreshed, and the save goes through."""
    SocialToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    spotify_sandbox.expire_access_tokens()
    assert save(sandbox_mix(connected, spotify_sandbox, 2)).status == "done"


def test_double_click_queues_one_save(connected, spotify_sandbox, django_capture_on_commit_callbacks):
    """A second Save while the first is queued queues nothing more."""
    mix = sandbox_mix(connected, spotify_sandbox, 2)
    with django_capture_on_commit_callbacks() as callbacks:
        _, first = enqueue_save(mix, name="A", description="", public=False)
        _, second = enqueue_save(mix, name="A", description="", public=False)
    assert (first, second) == (True, False)
    assert len(callbacks) == 1


def test_save_view_htmx_shows_the_link(
    connected, spotify_sandbox, user_client, django_capture_on_commit_callbacks, htmx
):
    """Saving through Screen 2 answers with the panel: done, and a link to the playlist."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    with django_capture_on_commit_callbacks(execute=True):
        htmx.post(f"/mixes/{mix.pk}/save/", {"name": "Tempo Tuesday", "visibility": "private"})
    response = htmx.get(f"/mixes/{mix.pk}/save/status/")
    assert "Open “Tempo Tuesday” in Spotify" in response.text
    assert "every 1s" not in response.text
    assert len(demo_playlists(spotify_sandbox)) == 1


def test_status_polls_while_saving(connected, user_client, htmx):
    """While a save runs, the panel shows the progress and asks for itself again every second."""
    mix = SessionMixFactory(owner=connected)
    PlaylistExport.objects.create(mix=mix, name="x", status="running", progress=40, message="Adding tracks")
    response = htmx.get(f"/mixes/{mix.pk}/save/status/")
    assert 'hx-trigger="every 1s"' in response.text and 'value="40"' in response.text


def test_save_without_spotify_offers_to_connect(user_client, user, htmx):
    """Without a Spotify connection, Save answers with the panel offering to connect (which htmx swaps in)."""
    mix = SessionMixFactory(owner=user)
    response = htmx.post(f"/mixes/{mix.pk}/save/", {"name": "x", "visibility": "private"})
    assert response.status_code == 200 and "Connect Spotify" in response.text
    assert not PlaylistExport.objects.exists()


def test_save_with_blank_name_is_refused(connected, user_client, htmx):
    """A blank playlist name is an error next to the field; nothing is queued."""
    mix = SessionMixFactory(owner=connected)
    response = htmx.post(f"/mixes/{mix.pk}/save/", {"name": " ", "visibility": "private"})
    assert response.status_code == 422 and "Give the playlist a name." in response.text
    assert not PlaylistExport.objects.exists()


def test_demo_tracks_are_resolved_by_search(connected, spotify_sandbox):
    """Catalog tracks without a Spotify id are found by search before saving; the ids are kept."""
    song = spotify_sandbox.catalog[0]
    track = TrackFactory(spotify_id=None, title=song["name"], artist=ArtistFactory(name=song["artists"][0]))
    mix = SessionMixFactory(owner=connected)
    MixTrack.objects.create(mix=mix, track=track, section=0, position=0)
    save(mix)
    assert Track.objects.get(pk=track.pk).spotify_id == song["id"]
    assert demo_playlists(spotify_sandbox)[0]["items"] == [song["uri"]]


# Without a worker (eager Celery, no Redis) ------------------------------------------------------


def post_save(htmx, mix: SessionMix):
    return htmx.post(f"/mixes/{mix.pk}/save/", {"name": "Tempo Tuesday", "visibility": "private"})


def panel(htmx, mix: SessionMix) -> str:
    return htmx.get(f"/mixes/{mix.pk}/save/status/").text


def test_rate_limited_save_without_a_worker_says_when_to_try_again(
    connected, spotify_sandbox, user_client, django_capture_on_commit_callbacks, htmx
):
    """Eager Celery and a 429: no 500, no retry inside the request; the panel says when, and a later Save works."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=429, retry_after=17, times=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_save(htmx, mix).status_code == 200
    assert "Spotify is busy, try again in 17 s." in panel(htmx, mix)
    assert demo_playlists(spotify_sandbox) == []
    with django_capture_on_commit_callbacks(execute=True):
        post_save(htmx, mix)
    assert "Open “Tempo Tuesday” in Spotify" in panel(htmx, mix)
    assert demo_playlists(spotify_sandbox)[0]["items"] == uris(mix)


def test_unanswered_save_without_a_worker_says_when_to_try_again(
    connected, spotify_sandbox, user_client, django_capture_on_commit_callbacks, htmx
):
    """Eager Celery and a 503 on the create: no 500; the panel says Spotify is not answering and when to try again."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=503, times=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_save(htmx, mix).status_code == 200
    assert "Spotify is not answering, try again in 5 s." in panel(htmx, mix)
    assert PlaylistExport.objects.get().status == "failed"


def test_unexpected_error_without_a_worker_fails_the_save(
    connected, spotify_sandbox, user_client, django_capture_on_commit_callbacks, htmx
):
    """An answer we can't read (not a Spotify refusal): no 500; the save fails and says to try again."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=201, body={"unexpected": True}, times=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_save(htmx, mix).status_code == 200
    assert "Something went wrong saving to Spotify; try again." in panel(htmx, mix)
    assert PlaylistExport.objects.get().status == "failed"


# A save never stays "saving" ---------------------------------------------------------------------


def test_unexpected_error_in_a_worker_fails_the_save_and_is_raised(connected, spotify_sandbox):
    """In a worker, an unexpected error fails the save, then reaches Celery's own records."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="queued")
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=201, body={"unexpected": True}, times=1)
    with pytest.raises(KeyError):
        save_playlist_task.run(export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and export.message == "Something went wrong saving to Spotify; try again."


def test_rate_limit_after_the_last_retry_fails_the_save(connected, spotify_sandbox):
    """With the retries used up, a 429 fails the save instead of leaving it waiting."""
    mix = sandbox_mix(connected, spotify_sandbox, 3)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="queued")
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", status=429, retry_after=17, times=1)
    save_playlist_task.push_request(retries=save_playlist_task.max_retries)
    try:
        with mock.patch.object(save_playlist_task, "retry", side_effect=AssertionError("no retry is left")):
            save_playlist_task.run(export.pk)
    finally:
        save_playlist_task.pop_request()
    export.refresh_from_db()
    assert export.status == "failed" and "gave up" in export.message


def test_save_silent_too_long_stops_polling_and_can_be_saved_again(
    connected, user_client, django_capture_on_commit_callbacks, htmx
):
    """A save whose run stopped reporting 15 minutes ago (a killed worker) is not shown as saving; Save works again."""
    mix = SessionMixFactory(owner=connected)
    export = PlaylistExport.objects.create(mix=mix, name="x", status="running", progress=40)
    went_silent(export)
    assert "every 1s" not in panel(htmx, mix)
    with django_capture_on_commit_callbacks() as callbacks:
        _, queued = enqueue_save(mix, name="x", description="", public=False)
    assert queued and len(callbacks) == 1


def test_progress_keeps_a_save_alive(connected):
    """Each progress report moves updated_at, so a save that is still working is never taken for dead."""
    export = PlaylistExport.objects.create(mix=SessionMixFactory(owner=connected), name="x", status="running")
    went_silent(export)
    export.refresh_from_db()
    assert not export.is_active
    export.report(50, "Adding tracks (100 of 200)…")
    export.refresh_from_db()
    assert export.is_active


# Overlapping runs ---------------------------------------------------------------------------------


@contextmanager
def in_a_thread(export_id: int) -> Iterator[None]:
    """Run the save task in another thread, as a second worker would; it has ended when the block ends."""

    def run() -> None:
        try:
            save_playlist_task.run(export_id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield
    finally:
        thread.join(timeout=10)


def wait_for(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_second_run_backs_off_while_the_first_holds_the_save(connected, spotify_sandbox):
    """Run B starts while run A waits on Spotify's answer to its create: B writes nothing, A makes the one playlist."""
    mix = sandbox_mix(connected, spotify_sandbox, 12)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="queued")
    spotify_sandbox.fault(path="/v1/me/playlists", method="POST", delay_s=1.0, times=1)
    with in_a_thread(export.pk):  # run A
        wait_for(lambda: spotify_sandbox.count("POST", "/v1/me/playlists") == 1)
        calls = len(spotify_sandbox.requests)
        save_playlist_task.run(export.pk)  # run B: the same task, delivered again
        assert len(spotify_sandbox.requests) == calls
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix)
    assert PlaylistExport.objects.get().status == "done"


@pytest.mark.django_db(transaction=True)
def test_run_that_lost_its_lease_stops_before_writing(connected, spotify_sandbox):
    """Run A goes silent inside a call; run B reclaims the save and finishes; A, waking, writes nothing more."""
    mix = sandbox_mix(connected, spotify_sandbox, 10)
    save(mix)
    PlaylistExport.objects.update(status="queued")
    spotify_sandbox.fault(path="/v1/playlists/*", method="GET", delay_s=2.0, times=1)
    export = PlaylistExport.objects.get()
    with in_a_thread(export.pk):  # run A reads the 10 tracks, then waits on Spotify for the playlist
        wait_for(lambda: spotify_sandbox.count("GET", "/v1/playlists/*") == 1)
        mix.tracks.order_by("position")[3].delete()
        went_silent(export)
        save_playlist_task.run(export.pk)  # run B reclaims the silent save and writes the 9 tracks
    (playlist,) = demo_playlists(spotify_sandbox)
    assert playlist["items"] == uris(mix) and len(playlist["items"]) == 9
    assert spotify_sandbox.count("PUT", "/v1/playlists/*/items") == 1


def test_save_left_running_by_a_dead_worker_is_reclaimed(connected, spotify_sandbox):
    """A save left running by a worker that died is claimed by the next run once silent too long, and finished."""
    mix = sandbox_mix(connected, spotify_sandbox, 5)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="running", attempts=1)
    went_silent(export)
    save_playlist_task.run(export.pk)
    export.refresh_from_db()
    assert export.status == "done"
    assert demo_playlists(spotify_sandbox)[0]["items"] == uris(mix)


def test_fresh_running_save_is_not_claimed(connected, spotify_sandbox):
    """A save another run is working on (reported lately) is left to it: this run makes no call to Spotify."""
    mix = sandbox_mix(connected, spotify_sandbox, 5)
    export = PlaylistExport.objects.create(mix=mix, name="Tempo Tuesday", status="running", attempts=1)
    save_playlist_task.run(export.pk)
    assert spotify_sandbox.requests == [] and PlaylistExport.objects.get().status == "running"
