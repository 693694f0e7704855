"""My music: "Refresh my music" and its polling progress, the library page, the streaming-history upload."""

import html
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from music.models import Play, SpotifySync, Track
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db

POLL = 'hx-trigger="every 1s"'


@pytest.fixture
def song(db):
    return TrackFactory(title="Blinding Lights", artist=ArtistFactory(name="The Weeknd"), spotify_id=None)


def history_file(name: str, rows) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(rows).encode(), content_type="application/json")


def basic_rows(count: int = 2) -> list[dict]:
    return [
        {
            "endTime": f"2024-01-31 18:{m:02d}",
            "artistName": "The Weeknd",
            "trackName": "Blinding Lights",
            "msPlayed": 200_000,
        }
        for m in range(count)
    ]


# Refresh and progress -------------------------------------------------------------------------------


def test_refresh_answers_with_the_polling_progress_fragment(connected_client, connected_user, htmx):
    """An htmx POST queues the sync and returns the status fragment that polls every second."""
    response = htmx.post(reverse("music:sync"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sync-status"' in html and POLL in html
    assert reverse("music:sync_status") in html
    assert "<html" not in html
    assert SpotifySync.objects.get(user=connected_user).status == "queued"


def test_refresh_runs_the_sync_once_the_request_commits(
    connected_client, connected_user, django_capture_on_commit_callbacks, htmx
):
    """The sync is queued on commit; with tasks running eagerly it then runs to the end."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        htmx.post(reverse("music:sync"))

    assert len(callbacks) >= 1
    sync = SpotifySync.objects.get(user=connected_user)
    assert (sync.status, sync.plays_added) == ("done", 150)


def test_status_polls_while_running_and_shows_percent_and_message(connected_client, connected_user, htmx):
    """A running sync: progress bar, percent and message, and the fragment asks again in a second."""
    SpotifySync.objects.create(user=connected_user, status="running", progress=42, message="Reading your saved tracks…")

    response = htmx.get(reverse("music:sync_status"))

    html = response.content.decode()
    assert POLL in html
    assert 'value="42"' in html and "42% · Reading your saved tracks…" in html


def test_status_stops_polling_when_done_and_tells_the_page(connected_client, connected_user, htmx):
    """A finished sync: the summary, no polling trigger, and a `music-synced` event for the counts."""
    SpotifySync.objects.create(user=connected_user, status="done", plays_added=3, top_tracks=2, saved_tracks=1)
    for minutes in range(5):
        Play.objects.create(
            user=connected_user, track=TrackFactory(), played_at=timezone.now() - timedelta(minutes=minutes)
        )

    response = htmx.get(reverse("music:sync_status"))

    html = response.content.decode()
    assert POLL not in html
    assert "Synced 5 plays (3 new), 2 top tracks and 1 saved track." in html
    assert "music-synced" in json.loads(response.headers["HX-Trigger"])


def test_status_of_a_failed_sync_says_why_and_stops_polling(connected_client, connected_user, htmx):
    """A failed sync shows its message (e.g. the rate limit) and stops polling."""
    SpotifySync.objects.create(
        user=connected_user, status="failed", message="Spotify is rate-limiting us; try again in 20 s."
    )

    html = htmx.get(reverse("music:sync_status")).content.decode()

    assert "Spotify is rate-limiting us; try again in 20 s." in html
    assert POLL not in html


def test_a_sync_silent_too_long_stops_polling_and_can_be_refreshed(connected_client, connected_user, htmx):
    """A run whose worker died (no word for 15 minutes) is shown as unfinished, and Refresh queues a new one."""
    sync = SpotifySync.objects.create(user=connected_user, status="running", progress=30)
    SpotifySync.objects.filter(pk=sync.pk).update(updated_at=timezone.now() - timedelta(minutes=16))

    html = htmx.get(reverse("music:sync_status")).content.decode()

    assert "The last sync did not finish" in html and POLL not in html
    htmx.post(reverse("music:sync"))
    assert SpotifySync.objects.get(user=connected_user).status == "queued"


def test_the_refresh_button_goes_back_to_the_page_it_is_on(connected_client, htmx):
    """Inside an htmx answer, `next` is the page the fragment sits on, not the fragment's URL."""
    html = htmx.get(
        reverse("music:sync_status"), headers={"HX-Current-URL": "http://testserver/plans/"}
    ).content.decode()

    assert 'name="next" value="/plans/"' in html


def test_another_users_sync_is_never_shown(connected_client, other_user, htmx):
    """Status is read from the signed-in user only."""
    SpotifySync.objects.create(user=other_user, status="running", progress=77, message="Someone else's sync")

    html = htmx.get(reverse("music:sync_status")).content.decode()

    assert "Someone else" not in html and "77%" not in html
    assert POLL not in html


def test_refresh_without_htmx_redirects_back_to_a_safe_next(connected_client):
    """A plain POST goes back to `next` on this site; anything else goes to My music."""
    back = connected_client.post(reverse("music:sync"), {"next": "/plans/"})
    away = connected_client.post(reverse("music:sync"), {"next": "https://evil.example/"})

    assert back.url == "/plans/"
    assert away.url == reverse("music:library")


def test_status_without_htmx_is_the_library_page(connected_client):
    """The polled URL works without htmx: it leads to My music."""
    response = connected_client.get(reverse("music:sync_status"))

    assert response.url == reverse("music:library")


def test_refresh_when_not_connected_offers_to_connect(user_client, user, htmx):
    """No Spotify connection: nothing is queued, and the fragment offers to connect."""
    html = htmx.post(reverse("music:sync")).content.decode()

    assert "Connect Spotify" in html
    assert not SpotifySync.objects.filter(user=user).exists()


def test_the_sync_needs_a_signed_in_user(client, htmx):
    """Anonymous requests are sent to sign in."""
    assert client.post(reverse("music:sync")).status_code == 302
    assert htmx.get(reverse("music:sync_status")).status_code == 302
    assert client.get(reverse("music:library")).status_code == 302


# My music --------------------------------------------------------------------------------------------


def test_library_page_shows_connection_sync_counts_and_tracks_without_tempo(connected_client, connected_user, song):
    """My music: the Refresh button, the counts of the history, how many tracks lack a tempo, the upload form."""
    TrackFactory(features__tempo=None)
    Play.objects.create(user=connected_user, track=song, played_at="2024-01-01T10:00:00Z", source="export")

    response = connected_client.get(reverse("music:library"))

    html = response.content.decode()
    assert "Refresh my music" in html
    assert "The catalog holds 2 tracks; 1 without a tempo." in html
    assert 'name="files"' in html and 'enctype="multipart/form-data"' in html


def test_library_counts_are_redrawn_alone_for_htmx(connected_client, htmx):
    """The counts region answers on its own when it refreshes after a sync."""
    response = htmx.get(reverse("music:library"), headers={"HX-Target": "library-counts"})

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="library-counts"')
    assert "Import your streaming history" not in html


def test_switching_on_playlists_is_saved(connected_client, connected_user):
    """The sync setting for the user's own playlists is theirs to switch."""
    connected_client.post(reverse("music:sync_settings"), {"include_playlists": "on"})

    assert SpotifySync.objects.get(user=connected_user).include_playlists


# Upload --------------------------------------------------------------------------------------------------


def test_uploading_a_basic_history_imports_it_and_says_how_much(user_client, user, song):
    """StreamingHistory*.json: plays stored, a success message with the counts."""
    response = user_client.post(
        reverse("music:upload_history"), {"files": history_file("StreamingHistory0.json", basic_rows())}, follow=True
    )

    assert Play.objects.filter(user=user).count() == 2
    assert "Imported 2 new plays (0 skips) from 1 file." in response.content.decode()


def test_uploading_an_extended_history_imports_it(user_client, user):
    """Streaming_History_Audio_*.json: plays matched by URI."""
    track = TrackFactory(spotify_id="4uLU6hMCjMI75M1A2tKUQC")
    row = {
        "ts": "2024-02-01T07:00:00Z",
        "ms_played": 190_000,
        "master_metadata_track_name": track.title,
        "master_metadata_album_artist_name": track.artist_names,
        "master_metadata_album_album_name": "Album",
        "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
        "reason_end": "trackdone",
        "skipped": None,
    }

    user_client.post(
        reverse("music:upload_history"), {"files": history_file("Streaming_History_Audio_2024.json", [row])}
    )

    assert Play.objects.get(user=user).track == track


def test_uploading_a_zip_imports_every_history_file_in_it(user_client, user, song):
    """The zip Spotify sends is taken as it is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("MyData/StreamingHistory0.json", json.dumps(basic_rows(2)))
        archive.writestr("MyData/StreamingHistory1.json", json.dumps(basic_rows(3)[2:]))
    upload = SimpleUploadedFile("my_spotify_data.zip", buffer.getvalue(), content_type="application/zip")

    user_client.post(reverse("music:upload_history"), {"files": upload})

    assert Play.objects.filter(user=user).count() == 3


def test_several_files_can_be_uploaded_at_once(user_client, user, song):
    """The file field takes several files."""
    files = [
        history_file("StreamingHistory0.json", basic_rows(2)),
        history_file("StreamingHistory1.json", basic_rows(4)[2:]),
    ]

    user_client.post(reverse("music:upload_history"), {"files": files})

    assert Play.objects.filter(user=user).count() == 4


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[{broken", "StreamingHistory0.json: is not valid JSON"),
        (b'{"endTime": "2024-01-01 10:00"}', "StreamingHistory0.json: is not a Spotify streaming history"),
        (b'[{"endTime": "2024-01-01 10:00", "artistName": "A", "trackName": "T"}]', "play 1 has no msPlayed"),
    ],
)
def test_a_bad_upload_is_named_next_to_the_field_and_writes_nothing(user_client, song, content, expected):
    """Malformed JSON or the wrong structure: 422, the error by the file field, no play stored."""
    good = history_file("StreamingHistory1.json", basic_rows())
    bad = SimpleUploadedFile("StreamingHistory0.json", content, content_type="application/json")

    response = user_client.post(reverse("music:upload_history"), {"files": [good, bad]})

    assert response.status_code == 422
    html = response.content.decode()
    assert expected in html
    assert html.index(expected) > html.index('name="files"')
    assert not Play.objects.exists()


def extended_row(**values) -> dict:
    """A play of the extended history of a song new to the catalog, long enough to be added to it."""
    return {
        "ts": "2024-02-01T07:00:00Z",
        "ms_played": 190_000,
        "master_metadata_track_name": "New song",
        "master_metadata_album_artist_name": "New band",
        "master_metadata_album_album_name": "Album",
        "spotify_track_uri": "spotify:track:0VjIjW4GlUZAMYd2vXMi3b",
        "reason_end": "trackdone",
        "skipped": None,
        **values,
    }


@pytest.mark.parametrize(
    ("name", "bad_row", "expected"),
    [
        pytest.param(
            "Streaming_History_Audio_2024.json",
            extended_row(ms_played=10**20),
            "play 2 has ms_played 100000000000000000000, not a number of milliseconds up to 24 hours.",
            id="ms_played-overflows",
        ),
        pytest.param(
            "Streaming_History_Audio_2024.json",
            extended_row(ms_played=2**31),
            "play 2 has ms_played 2147483648, not a number of milliseconds up to 24 hours.",
            id="ms_played-over-32-bits",
        ),
        pytest.param(
            "Streaming_History_Audio_2024.json",
            extended_row(ts="0001-01-01T00:00:00Z"),
            "play 2 has ts '0001-01-01T00:00:00Z', not a time between 2006 and now.",
            id="ts-year-1",
        ),
        pytest.param(
            "Streaming_History_Audio_2024.json",
            extended_row(ts="2999-01-01T00:00:00+01:00"),
            "play 2 has ts '2999-01-01T00:00:00+01:00', not a time between 2006 and now.",
            id="ts-in-the-future",
        ),
        pytest.param(
            "Streaming_History_Audio_2024.json",
            extended_row(spotify_track_uri=5),
            "play 2 has spotify_track_uri 5, not text.",
            id="uri-a-number",
        ),
        pytest.param(
            "Streaming_History_Audio_2024.json",
            extended_row(master_metadata_album_album_name=["A", "B"]),
            "play 2 has master_metadata_album_album_name ['A', 'B'], not text.",
            id="album-a-list",
        ),
        pytest.param(
            "Streaming_History_Audio_2024.json",
            extended_row(master_metadata_track_name={"name": "x"}),
            "play 2 has master_metadata_track_name {'name': 'x'}, not text.",
            id="title-an-object",
        ),
        pytest.param(
            "StreamingHistory0.json",
            {"endTime": "2024-01-31 18:22", "artistName": "A", "trackName": "T", "msPlayed": 10**20},
            "play 2 has msPlayed 100000000000000000000, not a number of milliseconds up to 24 hours.",
            id="msPlayed-overflows",
        ),
        pytest.param(
            "StreamingHistory0.json",
            {"endTime": "0001-01-01 00:00", "artistName": "A", "trackName": "T", "msPlayed": 1000},
            "play 2 has endTime '0001-01-01 00:00', not a time between 2006 and now.",
            id="endTime-year-1",
        ),
        pytest.param(
            "StreamingHistory0.json",
            {"endTime": "2024-01-31 18:22", "artistName": ["A"], "trackName": "T", "msPlayed": 1000},
            "play 2 has artistName ['A'], not text.",
            id="artist-a-list",
        ),
    ],
)
def test_a_value_of_the_wrong_type_or_out_of_range_is_named_and_nothing_is_written(
    user_client, user, song, name, bad_row, expected
):
    """Overflowing numbers, impossible dates, non-text names and URIs: 422 naming file and play, nothing stored."""
    good_row = extended_row() if name.startswith("Streaming_History_Audio") else basic_rows(1)[0]
    tracks = Track.objects.count()

    response = user_client.post(reverse("music:upload_history"), {"files": history_file(name, [good_row, bad_row])})

    assert response.status_code == 422
    assert f"{name}: {expected}" in html.unescape(response.content.decode())
    assert not Play.objects.exists()
    assert Track.objects.count() == tracks


def test_an_upload_without_a_file_is_refused(user_client):
    """No file: the field says it is required."""
    response = user_client.post(reverse("music:upload_history"), {})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_saving_settings_during_a_sync_leaves_its_progress_alone(connected_client, connected_user):
    """The playlists switch saves only itself: a running sync keeps its status and progress."""
    SpotifySync.objects.create(user=connected_user, status="running", progress=40, message="Saved tracks")
    connected_client.post(reverse("music:sync_settings"), {"include_playlists": "on"})
    sync = SpotifySync.objects.get(user=connected_user)
    assert (sync.status, sync.progress, sync.include_playlists) == ("running", 40, True)
