"""Listening history from Spotify, against the sandbox: what a sync stores, what it costs, how it survives faults."""

import math
import time
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.urls import reverse

from accounts.sandbox.library import DEMO
from accounts.spotify import ReconnectSpotify
from music.catalog_csv import DEMO as DEMO_LAYOUT
from music.features import tracks_without_tempo
from music.history import history_track_ids, is_skip, sync_history
from music.importers import import_csv
from music.models import Play, SpotifySync, Track, TrackAffinity
from music.tasks import INLINE_MAX_CALLS, fill_features_task, sync_all_histories, sync_history_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RECENT = "/v1/me/player/recently-played"
SAVED_COUNT = 120
RECENT_COUNT = 150


def demo_account(sandbox):
    return sandbox.world.accounts[DEMO]


def when(message_start: str, action):
    """A progress callback that acts once, when a step starting with these words begins."""
    done = []

    def progress(percent, message):
        if message.startswith(message_start) and not done:
            done.append(True)
            action()

    return progress


def test_first_sync_stores_plays_tracks_and_affinities(connected_user, spotify_sandbox):
    """A first sync brings in every recent play, the top and saved tracks, and familiarity from them."""
    report = sync_history(connected_user)

    assert Play.objects.filter(user=connected_user, source="spotify").count() == RECENT_COUNT
    assert report.plays_added == RECENT_COUNT
    affinities = TrackAffinity.objects.filter(user=connected_user)
    assert sum(plays + skips for plays, skips in affinities.values_list("play_count", "skip_count")) == RECENT_COUNT
    assert affinities.filter(saved=True).count() == SAVED_COUNT
    top_ids = {sid for ids in demo_account(spotify_sandbox).top_tracks.values() for sid in ids}
    assert set(affinities.filter(top_rank__isnull=False).values_list("track__spotify_id", flat=True)) == top_ids
    sync = SpotifySync.objects.get(user=connected_user)
    assert (sync.status, sync.progress) == ("done", 100)
    assert sync.message == (
        f"Synced {RECENT_COUNT} plays ({RECENT_COUNT} new), {len(top_ids)} top tracks and {SAVED_COUNT} saved tracks."
    )


def test_spotify_tracks_become_catalog_rows_with_artists(connected_user, spotify_sandbox):
    """A track new to the catalog gets its Spotify id, ISRC, album, duration and credited artists with ids."""
    sync_history(connected_user)

    songs = {song["id"]: song for song in spotify_sandbox.catalog}
    track = Track.objects.filter(trackartist__position=1).first()  # a track with two credited artists
    song = songs[track.spotify_id]
    assert (track.title, track.isrc, track.album, track.duration_ms) == (
        song["name"],
        song["isrc"],
        song["album"],
        song["duration_ms"],
    )
    assert [a.name for a in track.artists.order_by("trackartist__position")] == song["artists"]
    assert [a.spotify_id for a in track.artists.order_by("trackartist__position")] == song["artist_ids"]


def test_demo_catalog_track_gets_its_spotify_id_instead_of_a_copy(connected_user, spotify_sandbox):
    """A demo track without a Spotify id is the same song: it takes the id and ISRC, and no second row appears."""
    import_csv("music/demo/catalog.csv", layouts=(DEMO_LAYOUT,), source="demo")
    before = Track.objects.count()

    sync_history(connected_user)

    assert Track.objects.count() == before
    played = Play.objects.filter(user=connected_user).values_list("track__spotify_id", "track__isrc")
    assert all(spotify_id and isrc for spotify_id, isrc in played)


def test_first_sync_reads_recent_plays_in_pages_of_50(connected_user, spotify_sandbox):
    """All 150 recent plays cost ceil(150/50) recently-played calls, every one with limit 50."""
    sync_history(connected_user)

    calls = [r for r in spotify_sandbox.requests if r.path == RECENT]
    assert len(calls) == math.ceil(RECENT_COUNT / 50)
    assert {r.query["limit"] for r in calls} == {"50"}


def test_second_sync_with_nothing_new_costs_one_recently_played_call(connected_user, spotify_sandbox):
    """Syncing again reads recently played from the stored cursor: one call, no new plays."""
    sync_history(connected_user)
    first = spotify_sandbox.count("GET", RECENT)

    report = sync_history(connected_user)

    assert spotify_sandbox.count("GET", RECENT) == first + 1
    assert report.plays_added == 0
    newest = demo_account(spotify_sandbox).recently_played[0][1]
    assert [r.query.get("after") for r in spotify_sandbox.requests if r.path == RECENT][-1] == str(newest)


def test_second_sync_adds_only_the_new_play_and_decides_the_previous_skip(connected_user, spotify_sandbox):
    """A play made since the last sync is the only one added; the play before it, cut short, is now a skip."""
    sync_history(connected_user)
    account = demo_account(spotify_sandbox)
    newest_ms = account.recently_played[0][1]
    account.recently_played.insert(0, (spotify_sandbox.catalog[1]["id"], newest_ms + 10_000))

    report = sync_history(connected_user)

    assert report.plays_added == 1
    latest, before = Play.objects.filter(user=connected_user).order_by("-played_at")[:2]
    assert (latest.skipped, before.skipped) == (None, True)


def test_an_undecided_play_counts_as_a_play_until_it_is_found_a_skip(connected_user, spotify_sandbox):
    """The newest play counts as played; once the next play shows it was cut short, it moves to the skips."""
    sync_history(connected_user)
    account = demo_account(spotify_sandbox)
    newest_id, newest_ms = account.recently_played[0]
    affinity = TrackAffinity.objects.get(user=connected_user, track__spotify_id=newest_id)
    other = next(song["id"] for song in spotify_sandbox.catalog if song["id"] != newest_id)
    account.recently_played.insert(0, (other, newest_ms + 10_000))

    sync_history(connected_user)

    before = (affinity.play_count, affinity.skip_count)
    affinity.refresh_from_db()
    assert (affinity.play_count, affinity.skip_count) == (before[0] - 1, before[1] + 1)


def test_skips_are_inferred_from_the_next_play(connected_user, spotify_sandbox):
    """Plays cut short by the next one (the sandbox skips about 12% a third of the way in) count as skips."""
    sync_history(connected_user)

    skipped = Play.objects.filter(user=connected_user, skipped=True).count()
    assert 0 < skipped < RECENT_COUNT * 0.3
    assert TrackAffinity.objects.filter(user=connected_user, skip_count__gt=0).exists()


@pytest.mark.parametrize(
    ("gap_s", "duration_s", "skipped"),
    [(20, 200, True), (80, 200, True), (101, 200, False), (203, 200, False), (25, 40, True), (41, 40, False)],
)
def test_a_play_is_a_skip_when_the_next_starts_well_before_it_could_end(gap_s, duration_s, skipped):
    """Under 30 s, or under half the track, is a skip; a track played through is not."""
    assert is_skip(timedelta(seconds=gap_s), duration_s * 1000) is skipped


def test_saved_tracks_are_read_in_pages_of_50(connected_user, spotify_sandbox):
    """120 saved tracks cost ceil(120/50) calls."""
    sync_history(connected_user)

    assert spotify_sandbox.count("GET", "/v1/me/tracks") == math.ceil(SAVED_COUNT / 50)


def test_top_tracks_are_read_for_three_time_ranges(connected_user, spotify_sandbox):
    """One call per time range; the best rank across them is kept."""
    sync_history(connected_user)

    ranges = [r.query["time_range"] for r in spotify_sandbox.requests if r.path == "/v1/me/top/tracks"]
    assert sorted(ranges) == ["long_term", "medium_term", "short_term"]
    first = demo_account(spotify_sandbox).top_tracks["short_term"][0]
    assert TrackAffinity.objects.get(user=connected_user, track__spotify_id=first).top_rank == 1


def test_own_playlists_are_read_only_when_switched_on(connected_user, spotify_sandbox):
    """With the switch on, the tracks of playlists the user owns or collaborates on count; followed ones are skipped."""
    sync_history(connected_user)
    assert spotify_sandbox.count("GET", "/v1/me/playlists") == 0

    SpotifySync.objects.filter(user=connected_user).update(include_playlists=True)
    report = sync_history(connected_user)

    readable = [p for p in spotify_sandbox.world.playlists.values() if p.can_read(DEMO)]
    assert spotify_sandbox.count("GET", "/v1/playlists/*/items") == len(readable) == 3
    uris = {uri.rsplit(":", 1)[1] for p in readable for uri, _, _ in p.items}
    flagged = TrackAffinity.objects.filter(user=connected_user, in_playlists=True)
    assert set(flagged.values_list("track__spotify_id", flat=True)) == uris
    assert report.playlist_tracks == len(uris)


def test_rate_limit_during_sync_asks_to_retry_after_retry_after_and_keeps_what_was_synced(
    connected_user, spotify_sandbox
):
    """A 429 on saved tracks: the task reschedules itself in Retry-After seconds; plays and top tracks stay."""
    spotify_sandbox.fault("/v1/me/tracks", status=429, retry_after=7)

    with mock.patch.object(sync_history_task, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        sync_history_task(connected_user.pk)

    retry.assert_called_once_with(countdown=7)
    sync = SpotifySync.objects.get(user=connected_user)
    assert (sync.status, sync.message) == ("waiting", "Spotify is rate-limiting us, retrying in 7 s")
    assert Play.objects.filter(user=connected_user).count() == RECENT_COUNT
    assert TrackAffinity.objects.filter(user=connected_user, top_rank__isnull=False).exists()
    assert sync.steps_done == ["recent", "top"]


def test_a_retried_sync_resumes_after_the_finished_steps(connected_user, spotify_sandbox):
    """The retry after a 429 reads only what was left: no top-tracks call again, recently played from the cursor."""
    spotify_sandbox.fault("/v1/me/tracks", status=429, retry_after=7)
    with pytest.raises(Exception):  # noqa: B017 - RateLimited, whatever the caller does with it
        sync_history(connected_user)
    top_calls, recent_calls = spotify_sandbox.count("GET", "/v1/me/top/tracks"), spotify_sandbox.count("GET", RECENT)

    report = sync_history(connected_user)

    assert report.resumed
    assert spotify_sandbox.count("GET", "/v1/me/top/tracks") == top_calls
    assert spotify_sandbox.count("GET", RECENT) == recent_calls
    sync = SpotifySync.objects.get(user=connected_user)
    assert (sync.status, sync.plays_added, sync.saved_tracks) == ("done", RECENT_COUNT, SAVED_COUNT)


def test_rate_limit_when_tasks_run_eagerly_fails_with_when_to_try_again(connected_user, spotify_sandbox):
    """Without a worker to wait for the countdown, a 429 ends the run and says when to try again; no tight loop."""
    spotify_sandbox.fault("/v1/me/top/tracks", status=429, retry_after=20)

    sync_history_task.delay(connected_user.pk)

    sync = SpotifySync.objects.get(user=connected_user)
    assert (sync.status, sync.message) == ("failed", "Spotify is rate-limiting us; try again in 20 s.")
    assert spotify_sandbox.count("GET", "/v1/me/top/tracks") == 1


def test_access_token_expiring_mid_sync_is_refreshed_and_the_sync_goes_on(connected_user, spotify_sandbox):
    """The sandbox expires the token before saved tracks: one refresh, then the sync finishes."""
    sync_history(connected_user, progress=when("Reading your saved", spotify_sandbox.expire_access_tokens))

    assert spotify_sandbox.count("POST", "/api/token") == 1
    sync = SpotifySync.objects.get(user=connected_user)
    assert (sync.status, sync.saved_tracks) == ("done", SAVED_COUNT)


def test_revoked_refresh_token_fails_with_reconnect_spotify_and_keeps_the_history(connected_user, spotify_sandbox):
    """Spotify refuses the refresh token mid-sync: the sync fails asking to reconnect; plays already read stay."""

    def revoke():
        spotify_sandbox.expire_access_tokens()
        spotify_sandbox.revoke_refresh_tokens()

    with pytest.raises(ReconnectSpotify):
        sync_history(connected_user, progress=when("Reading your saved", revoke))
    with mock.patch("music.tasks.sync_history", side_effect=ReconnectSpotify()):
        sync_history_task.delay(connected_user.pk)

    sync = SpotifySync.objects.get(user=connected_user)
    assert sync.status == "failed"
    assert sync.message.startswith("Reconnect Spotify")
    assert Play.objects.filter(user=connected_user).count() == RECENT_COUNT


def test_revoked_refresh_token_through_the_task_fails_without_retry(connected_user, spotify_sandbox):
    """The task turns a revoked refresh token into "Reconnect Spotify" and asks for no retry."""
    spotify_sandbox.expire_access_tokens()
    spotify_sandbox.revoke_refresh_tokens()
    connected_user.socialaccount_set.get().socialtoken_set.update(expires_at=None)

    with mock.patch.object(sync_history_task, "retry") as retry:
        sync_history_task(connected_user.pk)

    retry.assert_not_called()
    assert SpotifySync.objects.get(user=connected_user).message.startswith("Reconnect Spotify")


def test_a_sync_whose_token_is_already_gone_fails_with_reconnect_spotify(connected_user):
    """The token was dropped (revoked earlier) before the queued sync ran: it fails at once, asking to reconnect."""
    connected_user.socialaccount_set.get().socialtoken_set.all().delete()

    sync_history_task(connected_user.pk)

    sync = SpotifySync.objects.get(user=connected_user)
    assert sync.status == "failed" and sync.message.startswith("Reconnect Spotify")


def test_quota_exceeded_is_reported_as_such_without_retrying(connected_user, spotify_sandbox):
    """QUOTA_EXCEEDED fails the sync with Spotify's words about the quota; no retry is asked for."""
    quota = {"error": {"status": 429, "message": "Quota exceeded", "reason": "QUOTA_EXCEEDED"}}
    spotify_sandbox.fault("/v1/me/top/tracks", status=429, retry_after=3600, body=quota)

    with mock.patch.object(sync_history_task, "retry") as retry:
        sync_history_task(connected_user.pk)

    retry.assert_not_called()
    sync = SpotifySync.objects.get(user=connected_user)
    assert sync.status == "failed"
    assert "quota" in sync.message
    assert Play.objects.filter(user=connected_user).count() == RECENT_COUNT


def test_a_server_error_is_retried_and_the_sync_succeeds(connected_user, spotify_sandbox):
    """One 500 on top tracks is retried at once (safe to repeat); the sync finishes."""
    spotify_sandbox.fault("/v1/me/top/tracks", status=500)

    sync_history(connected_user)

    assert spotify_sandbox.count("GET", "/v1/me/top/tracks") == 4
    assert SpotifySync.objects.get(user=connected_user).status == "done"


def test_spotify_down_reschedules_the_sync_with_backoff(connected_user, spotify_sandbox):
    """Spotify answering 503 every time: the task asks to retry later, saying so."""
    spotify_sandbox.fault("/v1/me/tracks", status=503, times=None)

    with mock.patch.object(sync_history_task, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        sync_history_task(connected_user.pk)

    retry.assert_called_once_with(countdown=30)
    assert SpotifySync.objects.get(user=connected_user).message == "Spotify is not answering, retrying in 30 s"


def test_a_worker_fills_the_audio_features_of_every_track_of_the_sync(connected_user, spotify_sandbox):
    """On a worker the fill after a sync asks the providers about all the user's tracks, in batches of 40."""
    sync_history(connected_user)

    fill_features_task.run(history_track_ids(connected_user), connected_user.pk)  # a worker's run: not eager

    tracks = TrackAffinity.objects.filter(user=connected_user).count()
    assert spotify_sandbox.count("GET", "/reccobeats/v1/audio-features") == math.ceil(tracks / 40)
    assert spotify_sandbox.count("GET", "/deezer/track/*") > 0
    assert Track.objects.filter(features__tempo__isnull=False).count() > tracks * 0.8


def test_a_sync_run_inline_fills_features_with_a_few_batch_calls_and_no_deezer(
    connected_user, spotify_sandbox, django_capture_on_commit_callbacks
):
    """Eagerly (inside the request that signed in), the fill makes at most 4 provider calls, none a call a track."""
    with django_capture_on_commit_callbacks(execute=True):
        sync_history_task.delay(connected_user.pk)

    calls = {
        path: spotify_sandbox.count("GET", path) for path in ("/reccobeats/v1/*", "/deezer/*", "/v1/audio-features")
    }
    assert calls["/deezer/*"] == 0
    assert 1 <= sum(calls.values()) <= INLINE_MAX_CALLS
    assert tracks_without_tempo(Track.objects.filter(pk__in=history_track_ids(connected_user))) > 0


def test_my_music_says_how_many_tracks_an_inline_sync_left_without_tempo(
    connected_client, connected_user, spotify_sandbox, django_capture_on_commit_callbacks
):
    """What the capped fill did not reach is counted on My music, with when it will be asked."""
    with django_capture_on_commit_callbacks(execute=True):
        sync_history_task.delay(connected_user.pk)
    missing = tracks_without_tempo(Track.objects.filter(pk__in=history_track_ids(connected_user)))

    html = connected_client.get(reverse("music:library")).content.decode()

    assert f"{missing} of your tracks have no tempo yet" in html
    assert "Each sync asks the tempo providers about those not asked yet." in html


def test_beat_queues_a_sync_for_each_connected_user(connected_user, make_connected_user, spotify_sandbox):
    """sync_all_histories syncs every user with a Spotify token, and no one else."""
    other = make_connected_user("sandbox-newbie")
    stranger = UserFactory()

    queued = sync_all_histories()

    assert queued == 2
    assert SpotifySync.objects.get(user=connected_user).status == "done"
    assert SpotifySync.objects.get(user=other).plays_added > 0
    assert not SpotifySync.objects.filter(user=stranger).exists()


def test_a_sync_is_not_queued_twice(connected_user, django_capture_on_commit_callbacks):
    """A second request while one is queued queues nothing."""
    from music.tasks import enqueue_sync

    with django_capture_on_commit_callbacks() as callbacks:
        assert enqueue_sync(connected_user)
        assert not enqueue_sync(connected_user)

    assert len(callbacks) == 1


def test_connecting_spotify_starts_a_sync(connected_user, spotify_sandbox, rf, django_capture_on_commit_callbacks):
    """allauth's social_account_added signal queues a sync of the new connection."""
    from allauth.socialaccount.models import SocialLogin
    from allauth.socialaccount.signals import social_account_added

    sociallogin = SocialLogin(user=connected_user, account=connected_user.socialaccount_set.get())
    with django_capture_on_commit_callbacks(execute=True):
        social_account_added.send(sender=SocialLogin, request=rf.get("/"), sociallogin=sociallogin)

    assert SpotifySync.objects.get(user=connected_user).status == "done"


def test_a_password_login_starts_no_sync(connected_user, rf, django_capture_on_commit_callbacks):
    """Signing in without Spotify leaves the history alone."""
    from allauth.account.signals import user_logged_in

    with django_capture_on_commit_callbacks() as callbacks:
        user_logged_in.send(sender=type(connected_user), request=rf.get("/"), user=connected_user)

    assert callbacks == []


def test_the_sync_takes_well_under_a_few_seconds(connected_user, spotify_sandbox):
    """A first sync of the demo account (about 10 calls) is quick, printed for the record."""
    started = time.perf_counter()
    report = sync_history(connected_user)
    print(f"\nfirst sync: {sum(report.calls.values())} calls in {time.perf_counter() - started:.2f} s")
    assert sum(report.calls.values()) == 3 + 3 + math.ceil(SAVED_COUNT / 50)


def test_a_retry_longer_than_the_staleness_window_fails_the_sync_instead(connected_user, spotify_sandbox):
    """A Retry-After of an hour is not waited out (the sync would look dead): it fails, saying when to retry."""
    spotify_sandbox.fault("/v1/me/tracks", status=429, retry_after=3600)

    with mock.patch.object(sync_history_task, "retry") as retry:
        sync_history_task(connected_user.pk)

    retry.assert_not_called()
    sync = SpotifySync.objects.get(user=connected_user)
    assert sync.status == "failed" and "try again in 60 min" in sync.message
