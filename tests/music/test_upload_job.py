"""The streaming-history upload as a background job: stored, queued, imported with progress, one at a time;
streamed in bounded memory; and the tracks it creates are the uploader's own until staff vouch for them."""

import io
import json
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mixes.pools import load_pool
from music import history_files as reading
from music import streaming_history
from music.history_files import history_files, read_plays
from music.models import HistoryUpload, HistoryUploadFile, Play, Track
from music.spotify_tracks import save_spotify_tracks
from music.streaming_history import import_streaming_history
from music.tasks import import_history_task
from tests.factories import AudioFeaturesFactory, TrackFactory

pytestmark = pytest.mark.django_db

NEW_ID = "0VjIjW4GlUZAMYd2vXMi3b"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads are stored in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def worker(monkeypatch):
    """Tasks go to a broker (not run eagerly); the tasks sent are recorded instead."""
    sent: list[int] = []
    monkeypatch.setattr(import_history_task.app.conf, "task_always_eager", False)
    monkeypatch.setattr(import_history_task, "delay", lambda upload_id: sent.append(upload_id))
    return sent


def basic_rows(track: Track, count: int) -> list[dict]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        {
            "endTime": (start + timedelta(minutes=4 * n)).strftime("%Y-%m-%d %H:%M"),
            "artistName": track.artist_names,
            "trackName": track.title,
            "msPlayed": 200_000,
        }
        for n in range(count)
    ]


def history_file(rows, name: str = "StreamingHistory0.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(rows).encode(), content_type="application/json")


def new_song_file(title: str = "<script>alert(1)</script>") -> SimpleUploadedFile:
    """An extended-format play of a song the catalog does not know, long enough to be added."""
    row = {
        "ts": "2024-02-01T07:00:00Z",
        "ms_played": 190_000,
        "master_metadata_track_name": title,
        "master_metadata_album_artist_name": "New band",
        "master_metadata_album_album_name": "Album",
        "spotify_track_uri": f"spotify:track:{NEW_ID}",
        "reason_end": "trackdone",
        "skipped": None,
    }
    return history_file([row], "Streaming_History_Audio_2024.json")


def damaged_zip(rows) -> SimpleUploadedFile:
    """A zip whose member's deflate stream is corrupted in the middle (its headers are intact)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("MyData/StreamingHistory0.json", json.dumps(rows))
    data = bytearray(buffer.getvalue())
    start = 30 + len("MyData/StreamingHistory0.json")  # the local header, then the compressed bytes
    for offset in range(start + 20, start + 60):
        data[offset] ^= 0x5A
    return SimpleUploadedFile("my_spotify_data.zip", bytes(data), content_type="application/zip")


# The request ------------------------------------------------------------------------------------------------


def test_the_upload_answers_at_once_with_a_queued_job(user_client, user, worker, django_capture_on_commit_callbacks):
    """With a worker, the request stores the file, queues the job on commit and redirects; nothing is imported yet."""
    song = TrackFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(reverse("music:upload_history"), {"files": history_file(basic_rows(song, 3))})

    job = HistoryUpload.objects.get(user=user)
    assert response.status_code == 302
    assert job.status == HistoryUpload.Status.QUEUED
    assert worker == [job.pk]
    assert job.files.get().name == "StreamingHistory0.json"
    assert not Play.objects.exists()


def test_my_music_shows_a_queued_upload_polling_its_progress(user_client, user, worker):
    """The upload card polls itself (by its id) while the import is under way."""
    user_client.post(reverse("music:upload_history"), {"files": history_file(basic_rows(TrackFactory(), 1))})

    response = user_client.get(reverse("music:library"), headers={"HX-Request": "true", "HX-Target": "history-upload"})

    html = response.content.decode()
    assert html.lstrip().startswith('<form method="post" action="/music/history/upload/"')
    assert 'hx-trigger="every 1s"' in html
    assert "Waiting to start" in html


def test_the_upload_cards_poll_reads_the_upload_not_the_catalog(user_client, user, worker):
    """The card polls every second while an import runs: it reads the upload, never the catalog's tracks (at a
    million tracks, counting them for the page cost 320 ms a poll)."""
    user_client.post(reverse("music:upload_history"), {"files": history_file(basic_rows(TrackFactory(), 1))})

    with CaptureQueriesContext(connection) as queries:
        response = user_client.get(
            reverse("music:library"), headers={"HX-Request": "true", "HX-Target": "history-upload"}
        )

    assert "Waiting to start" in response.content.decode()
    assert not [query["sql"] for query in queries if "music_track" in query["sql"]]


def test_a_second_upload_while_one_runs_is_refused(user_client, user, worker):
    """One import at a time: a second upload is refused by the field, and nothing more is stored."""
    user_client.post(reverse("music:upload_history"), {"files": history_file(basic_rows(TrackFactory(), 1))})

    response = user_client.post(reverse("music:upload_history"), {"files": history_file([], "StreamingHistory1.json")})

    assert response.status_code == 422
    assert HistoryUpload.BUSY_MESSAGE in response.content.decode()
    assert HistoryUpload.objects.count() == HistoryUploadFile.objects.count() == 1


# The task -----------------------------------------------------------------------------------------------------


def test_the_task_imports_the_upload_with_progress(user, monkeypatch):
    """The job reports rising progress while it reads and stores, and ends DONE at 100% with the summary."""
    monkeypatch.setattr(streaming_history, "PROGRESS_BYTES", 200)
    monkeypatch.setattr(reading, "READ_BYTES", 100)
    monkeypatch.setattr(streaming_history, "PLAY_BATCH", 10)
    song = TrackFactory()
    job = HistoryUpload.request(user, [history_file(basic_rows(song, 40))])
    seen: list[int] = []
    report = HistoryUpload.report
    monkeypatch.setattr(HistoryUpload, "report", lambda self, *a, **kw: seen.append(a[0]) or report(self, *a, **kw))

    import_history_task.delay(job.pk)

    job.refresh_from_db()
    assert (job.status, job.progress, job.plays_added) == (HistoryUpload.Status.DONE, 100, 40)
    assert job.message.startswith("Imported 40 new plays")
    progress = [value for value in seen if value is not None]
    assert len(set(progress)) > 5
    assert progress == sorted(progress)


def test_a_finished_job_deletes_its_files(user, media_root):
    """The stored upload is removed from MEDIA_ROOT once it is imported."""
    job = HistoryUpload.request(user, [history_file(basic_rows(TrackFactory(), 2))])
    assert any(media_root.rglob("*"))

    import_history_task.delay(job.pk)

    assert not HistoryUploadFile.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_a_damaged_zip_fails_the_job_with_a_clear_message(user):
    """A corrupt deflate stream ends the job FAILED saying the zip is damaged (no server error), nothing stored."""
    job = HistoryUpload.request(user, [damaged_zip(basic_rows(TrackFactory(), 400))])

    import_history_task.delay(job.pk)

    job.refresh_from_db()
    assert job.status == HistoryUpload.Status.FAILED
    assert job.message.startswith("The zip is damaged: my_spotify_data.zip/MyData/StreamingHistory0.json")
    assert not Play.objects.exists()


def test_a_damaged_zip_is_named_on_my_music(user_client, user):
    """Without a worker the import runs in the request: the damaged zip is named by the field (422)."""
    response = user_client.post(
        reverse("music:upload_history"), {"files": damaged_zip(basic_rows(TrackFactory(), 400))}
    )

    assert response.status_code == 422
    assert "The zip is damaged" in response.content.decode()


def test_a_finished_upload_stops_polling_and_refreshes_the_counts(user_client, user):
    """The card of a finished import shows the summary, no longer polls, and fires `music-synced`."""
    user_client.post(reverse("music:upload_history"), {"files": history_file(basic_rows(TrackFactory(), 2))})

    response = user_client.get(reverse("music:library"), headers={"HX-Request": "true", "HX-Target": "history-upload"})

    assert "Imported 2 new plays" in response.content.decode()
    assert "every 1s" not in response.content.decode()
    assert "music-synced" in response["HX-Trigger"]


# Memory ---------------------------------------------------------------------------------------------------


def test_reading_fifty_thousand_plays_streams_them(tmp_path):
    """Checking a 50,000-play file peaks at a small fraction of what json.loads of it takes."""
    song = Track(title="Blinding Lights", artist_names="The Weeknd")
    data = json.dumps(basic_rows(song, 50_000)).encode()
    tracemalloc.start()
    json.loads(data)
    _, whole = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    files = history_files([SimpleUploadedFile("StreamingHistory0.json", data)])
    count = sum(1 for _ in read_plays(files[0]))
    _, streamed = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert count == 50_000
    assert streamed < whole / 10


# Whose tracks -------------------------------------------------------------------------------------------


def test_a_track_an_upload_creates_is_the_uploaders_own(user):
    """A song new to the catalog becomes a track owned by the person who uploaded it."""
    import_streaming_history(user, [new_song_file()])

    assert Track.objects.get(spotify_id=NEW_ID).added_by == user


def test_an_uploaded_track_is_not_in_another_users_pool(user, other_user):
    """Another person's mixes never draw from it: it is in the uploader's pool only."""
    import_streaming_history(user, [new_song_file()])
    track = Track.objects.get(spotify_id=NEW_ID)
    AudioFeaturesFactory(track=track)

    assert str(track.pk) in load_pool(user).keys
    assert str(track.pk) not in load_pool(other_user).keys
    assert str(track.pk) not in load_pool(None).keys


def test_staff_vouching_for_a_track_puts_it_in_the_catalog(admin_client, user, other_user):
    """The admin's vouch action clears the owner: everyone's pool has it."""
    import_streaming_history(user, [new_song_file("A real song")])
    track = Track.objects.get(spotify_id=NEW_ID)
    AudioFeaturesFactory(track=track)

    admin_client.post(reverse("admin:music_track_changelist"), {"action": "vouch", "_selected_action": [track.pk]})

    track.refresh_from_db()
    assert track.added_by is None
    assert str(track.pk) in load_pool(other_user).keys


def test_another_users_upload_does_not_match_a_private_track_by_name(user, other_user):
    """A play is matched by title and artist only to the catalog and the player's own tracks."""
    import_streaming_history(user, [new_song_file("Private song")])
    row = {"endTime": "2024-03-01 10:00", "artistName": "New band", "trackName": "Private song", "msPlayed": 200_000}

    report = import_streaming_history(other_user, [history_file([row])])

    assert (report.plays_added, report.unmatched_plays) == (0, 1)


def test_a_spotify_sync_of_an_uploaded_track_gives_it_spotifys_title_and_the_catalog(user):
    """Spotify's own answer for the id replaces the uploaded title and credits, and the track joins the catalog."""
    import_streaming_history(user, [new_song_file()])
    item = {"id": NEW_ID, "name": "Real Title", "artists": [{"name": "Real Band", "id": None}], "duration_ms": 201_000}

    save_spotify_tracks([item])

    track = Track.objects.get(spotify_id=NEW_ID)
    assert (track.title, track.artist_names, track.added_by) == ("Real Title", "Real Band", None)
    assert list(track.artists.values_list("name", flat=True)) == ["Real Band"]
