"""Import of Spotify's account-data export: both formats, zips, matching, skips, bad files, and speed."""

import io
import json
import random
import time
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from music import history_files as reading
from music.history_files import HistoryFileError
from music.models import Play, Track, TrackAffinity
from music.streaming_history import import_streaming_history
from tests.factories import ArtistFactory, TrackArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db


def upload(name: str, content) -> SimpleUploadedFile:
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    return SimpleUploadedFile(name, data, content_type="application/json")


def zipped(name: str, files: dict[str, object]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in files.items():
            archive.writestr(member, content if isinstance(content, bytes) else json.dumps(content))
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def basic(track: Track, end: str, ms: int) -> dict:
    return played(track.title, track.artist_names, end, ms)


def played(title: str, artist: str, end: str = "2024-01-31 18:22", ms: int = 200_000) -> dict:
    """A play in the basic format (StreamingHistory*.json)."""
    return {"endTime": end, "artistName": artist, "trackName": title, "msPlayed": ms}


def extended(ts: str, ms: int, *, uri=None, title="Song", artist="Artist", **extra) -> dict:
    return {
        "ts": ts,
        "platform": "android",
        "ms_played": ms,
        "conn_country": "GB",
        "master_metadata_track_name": title,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": "Album",
        "spotify_track_uri": uri,
        "episode_name": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": None,
        "offline": False,
        **extra,
    }


def podcast(ts: str) -> dict:
    row = extended(ts, 600_000, title=None, artist=None)
    return {**row, "episode_name": "Episode 1", "spotify_episode_uri": "spotify:episode:abc"}


@pytest.fixture
def song(db):
    return TrackFactory(title="Blinding Lights", artist=ArtistFactory(name="The Weeknd"), spotify_id=None)


def test_basic_history_is_matched_by_artist_and_title(user, song):
    """StreamingHistory rows find their track by normalized title and artist; under 30 s is a skip."""
    rows = [basic(song, "2024-01-31 18:22", 200_000), basic(song, "2024-01-31 18:30", 12_000)]
    rows[1]["trackName"] = "BLINDING LIGHTS"

    report = import_streaming_history(user, [upload("StreamingHistory0.json", rows)])

    assert (report.plays_added, report.skips) == (2, 1)
    plays = Play.objects.filter(user=user, track=song).order_by("played_at")
    assert [p.skipped for p in plays] == [False, True]
    assert plays[0].played_at == datetime(2024, 1, 31, 18, 22, tzinfo=UTC) - timedelta(milliseconds=200_000)
    assert plays[0].source == "export"


def test_a_play_finds_its_track_by_any_credited_artist(user):
    """A catalog track credited to Styles Of Beyond and Fort Minor is found by a play of Fort Minor's."""
    track = TrackFactory(title="Second To None", artist=ArtistFactory(name="Styles Of Beyond"), spotify_id=None)
    TrackArtistFactory(track=track, artist=ArtistFactory(name="Fort Minor"), position=1)

    report = import_streaming_history(
        user, [upload("StreamingHistory0.json", [played("Second To None", "Fort Minor")])]
    )

    assert (report.plays_added, report.unmatched_plays) == (1, 0)
    assert Play.objects.get(user=user).track == track


def test_the_main_artists_own_track_wins_over_a_credit_elsewhere(user):
    """Of two tracks with the title, the one whose first credit is the play's artist is the match."""
    guest = ArtistFactory(name="Guest")
    theirs = TrackFactory(title="Same Name", artist=ArtistFactory(name="Host"), spotify_id=None)
    TrackArtistFactory(track=theirs, artist=guest, position=1)
    own = TrackFactory(title="Same Name", artist=guest, spotify_id=None)

    import_streaming_history(user, [upload("StreamingHistory0.json", [played("Same Name", "Guest")])])

    assert Play.objects.get(user=user).track == own


@pytest.mark.parametrize(
    "title", ["Here I Go Again 87 - 2018 Remaster", "Here I Go Again '87", "Here I Go Again Remastered 2011"]
)
def test_a_remaster_or_year_suffix_is_folded_when_the_title_finds_nothing(user, title):
    """A year or remaster note the catalog's title lacks does not keep a play from its song."""
    track = TrackFactory(title="Here I Go Again", artist=ArtistFactory(name="Whitesnake"), spotify_id=None)

    import_streaming_history(user, [upload("StreamingHistory0.json", [played(title, "Whitesnake")])])

    assert Play.objects.get(user=user).track == track


def test_a_number_in_the_title_is_kept_when_the_exact_title_is_there(user):
    """A one-digit number stays ("Song 2" is not "Song"), and "Summer Of 69" finds itself before "Summer Of"."""
    blur, adams = ArtistFactory(name="Blur"), ArtistFactory(name="Bryan Adams")
    TrackFactory(title="Song", artist=blur, spotify_id=None)
    TrackFactory(title="Summer Of", artist=adams, spotify_id=None)
    summer = TrackFactory(title="Summer Of 69", artist=adams, spotify_id=None)
    plays = [played("Song 2", "Blur"), played("Summer Of 69", "Bryan Adams")]

    report = import_streaming_history(user, [upload("StreamingHistory0.json", plays)])

    assert report.unmatched_plays == 1
    assert Play.objects.get(user=user).track == summer


def test_extended_history_is_matched_by_uri_and_counts_real_skips(user):
    """Streaming_History_Audio rows find their track by Spotify URI; skipped or fwdbtn is a skip."""
    track = TrackFactory(spotify_id="4uLU6hMCjMI75M1A2tKUQC", title="Other title")
    rows = [
        extended("2024-02-01T07:00:00Z", 190_000, uri="spotify:track:4uLU6hMCjMI75M1A2tKUQC"),
        extended("2024-02-01T07:05:00Z", 50_000, uri="spotify:track:4uLU6hMCjMI75M1A2tKUQC", skipped=True),
        extended("2024-02-01T07:09:00Z", 80_000, uri="spotify:track:4uLU6hMCjMI75M1A2tKUQC", reason_end="fwdbtn"),
    ]

    report = import_streaming_history(user, [upload("Streaming_History_Audio_2024_0.json", rows)])

    assert (report.plays_added, report.skips) == (3, 2)
    affinity = TrackAffinity.objects.get(user=user, track=track)
    assert (affinity.play_count, affinity.skip_count) == (1, 2)


def test_podcast_rows_are_ignored(user):
    """Episodes have no track name: they are counted as ignored, not imported."""
    TrackFactory(spotify_id="4uLU6hMCjMI75M1A2tKUQC")
    rows = [
        podcast("2024-02-01T06:00:00Z"),
        extended("2024-02-01T07:00:00Z", 190_000, uri="spotify:track:4uLU6hMCjMI75M1A2tKUQC"),
    ]

    report = import_streaming_history(user, [upload("Streaming_History_Audio_2024_0.json", rows)])

    assert (report.plays_added, report.ignored) == (1, 1)


def test_extended_history_adds_unknown_songs_played_long_enough(user):
    """A URI the catalog lacks becomes a track (duration: its longest play) if a play lasted a minute."""
    rows = [
        extended(
            "2024-02-01T07:00:00Z", 170_000, uri="spotify:track:0VjIjW4GlUZAMYd2vXMi3b", title="New", artist="Band"
        ),
        extended(
            "2024-02-02T07:00:00Z", 201_000, uri="spotify:track:0VjIjW4GlUZAMYd2vXMi3b", title="New", artist="Band"
        ),
        extended("2024-02-01T08:00:00Z", 9_000, uri="spotify:track:1111111111111111111111", title="Brief", artist="X"),
    ]

    report = import_streaming_history(user, [upload("Streaming_History_Audio_2024_0.json", rows)])

    track = Track.objects.get(spotify_id="0VjIjW4GlUZAMYd2vXMi3b")
    assert (track.title, track.artist_names, track.duration_ms, track.album) == ("New", "Band", 201_000, "Album")
    assert not Track.objects.filter(spotify_id="1111111111111111111111").exists()
    assert (report.tracks_created, report.plays_added, report.unmatched_plays) == (1, 2, 1)
    assert report.new_track_ids == [track.pk]


def test_basic_history_leaves_unknown_songs_out_and_says_so(user, song):
    """The basic format has no Spotify id: unmatched plays are counted and reported, no track is made."""
    stranger = played("Unknown", "Nobody")

    report = import_streaming_history(user, [upload("StreamingHistory0.json", [stranger, stranger])])

    assert (report.plays_added, report.unmatched_plays, report.unmatched_songs) == (0, 2, 1)
    assert Track.objects.count() == 1
    assert "2 plays of 1 songs not in the catalog were left out" in report.message()


def test_a_zip_of_several_files_is_imported_whole(user, song):
    """The zip Spotify sends: every history file in it, in any folder; other files are passed over."""
    archive = zipped(
        "my_spotify_data.zip",
        {
            "Spotify Account Data/StreamingHistory_music_0.json": [basic(song, "2024-01-01 10:00", 200_000)],
            "Spotify Account Data/StreamingHistory_music_1.json": [basic(song, "2024-01-02 10:00", 200_000)],
            "Spotify Account Data/StreamingHistory_podcast_0.json": [{"endTime": "x", "podcastName": "P"}],
            "Spotify Account Data/Userdata.json": {"username": "someone"},
        },
    )

    report = import_streaming_history(user, [archive])

    assert report.plays_added == 2
    assert len(report.files) == 2


def test_importing_the_same_file_again_adds_nothing(user, song):
    """Plays are keyed by track and start time: a second import finds them all there."""
    rows = [basic(song, "2024-01-31 18:22", 200_000)]
    import_streaming_history(user, [upload("StreamingHistory0.json", rows)])

    report = import_streaming_history(user, [upload("StreamingHistory0.json", rows)])

    assert (report.plays_added, report.already_there) == (0, 1)
    assert Play.objects.filter(user=user).count() == 1


def test_skips_are_counted_among_the_new_plays_only(user, song):
    """Uploading an export again with one more play: the old skip is not reported again, the new one is."""
    rows = [basic(song, "2024-01-31 18:22", 200_000), basic(song, "2024-01-31 18:30", 12_000)]
    import_streaming_history(user, [upload("StreamingHistory0.json", rows)])

    again = import_streaming_history(user, [upload("StreamingHistory0.json", rows)])
    more = import_streaming_history(
        user, [upload("StreamingHistory0.json", [*rows, basic(song, "2024-02-01 09:00", 5_000)])]
    )

    assert again.message().startswith("Imported 0 new plays (0 skips) from 1 file.")
    assert (more.plays_added, more.skips) == (1, 1)


def test_a_skip_is_never_also_a_play(user, song):
    """Two full plays and three skips of a song: play count 2, skip count 3."""
    ends = ["2024-01-31 18:22", "2024-01-31 18:30", "2024-01-31 18:40", "2024-01-31 18:50", "2024-01-31 19:00"]
    rows = [basic(song, end, ms) for end, ms in zip(ends, [200_000, 200_000, 5_000, 9_000, 12_000], strict=True)]

    import_streaming_history(user, [upload("StreamingHistory0.json", rows)])

    affinity = TrackAffinity.objects.get(user=user, track=song)
    assert (affinity.play_count, affinity.skip_count) == (2, 3)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("StreamingHistory0.json", b"[{not json", "StreamingHistory0.json: is not valid JSON (line 1, column 3)."),
        ("StreamingHistory0.json", {"endTime": "2024-01-01 10:00"}, "StreamingHistory0.json: is not a Spotify"),
        ("StreamingHistory0.json", [{"foo": 1}], "StreamingHistory0.json: is not a Spotify streaming history"),
        ("StreamingHistory0.json", b"\xff\xfe\x00", "StreamingHistory0.json: is not"),
        (
            "StreamingHistory0.json",
            [{"endTime": "2024-01-01 10:00", "artistName": "A", "trackName": "T"}],
            "StreamingHistory0.json: play 1 has no msPlayed.",
        ),
        (
            "StreamingHistory0.json",
            [{"endTime": "yesterday", "artistName": "A", "trackName": "T", "msPlayed": 1}],
            "StreamingHistory0.json: play 1 has endTime 'yesterday', not like 2024-01-31 18:22.",
        ),
        (
            "Streaming_History_Audio_2024.json",
            [extended("2024-01-01T10:00:00Z", 1000), extended("2024-01-01T10:05:00Z", "long")],
            "Streaming_History_Audio_2024.json: play 2 has ms_played 'long', not a number of milliseconds up to 24",
        ),
    ],
)
def test_a_malformed_file_is_named_with_what_is_wrong_and_changes_nothing(user, song, name, content, expected):
    """Not JSON, the wrong shape, a missing or bad field: a clear error, and no play is stored."""
    good = upload("StreamingHistory1.json", [basic(song, "2024-01-31 18:22", 200_000)])

    with pytest.raises(HistoryFileError) as error:
        import_streaming_history(user, [good, upload(name, content)])

    assert str(error.value).startswith(expected)
    assert not Play.objects.exists()


def test_a_zip_without_history_files_is_refused(user):
    """A zip with no StreamingHistory or Streaming_History_Audio file in it says so."""
    archive = zipped("data.zip", {"Userdata.json": {"username": "x"}})

    with pytest.raises(HistoryFileError, match="data.zip: has no StreamingHistory"):
        import_streaming_history(user, [archive])


def test_a_broken_zip_is_refused(user):
    """A file that starts like a zip but is not one is named."""
    with pytest.raises(HistoryFileError, match="broken.zip: is not a readable zip file"):
        import_streaming_history(user, [SimpleUploadedFile("broken.zip", b"PK\x03\x04 broken")])


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(user, song, monkeypatch):
    """Files and zip members over the limit (50 MB; 1 kB here) are refused by name."""
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1024)
    monkeypatch.setattr(reading, "MAX_ZIP_BYTES", 1024 * 1024)
    rows = [basic(song, f"2024-01-01 10:{minute:02d}", 200_000) for minute in range(60)]

    with pytest.raises(HistoryFileError, match="StreamingHistory0.json: is larger than"):
        import_streaming_history(user, [upload("StreamingHistory0.json", rows)])
    with pytest.raises(HistoryFileError, match="big.zip/StreamingHistory0.json: is larger than"):
        import_streaming_history(user, [zipped("big.zip", {"StreamingHistory0.json": rows})])


def test_an_upload_over_the_total_limit_is_refused(user, song, monkeypatch):
    """Several files together over the total limit (300 MB; 2 kB here) are refused, naming the file that tips it."""
    monkeypatch.setattr(reading, "MAX_TOTAL_BYTES", 2048)
    files = [
        upload(f"StreamingHistory{n}.json", [basic(song, f"2024-01-0{n + 1} 10:{m:02d}", 200_000) for m in range(12)])
        for n in range(3)
    ]

    with pytest.raises(HistoryFileError, match="StreamingHistory1.json: the history files come to more than 2 kB"):
        import_streaming_history(user, files)


def test_thirty_thousand_plays_import_in_seconds(user):
    """30,000 extended-format plays over 2,000 songs: matched in bulk, stored, affinities rebuilt; time printed."""
    rng = random.Random(7)
    artist = ArtistFactory(name="Bulk Artist")
    tracks = Track.objects.bulk_create(
        Track(
            spotify_id=f"bulk{n:018d}",
            title=f"Bulk {n}",
            artist_names=artist.name,
            duration_ms=200_000,
            song_key=f"bulk {n}|bulk artist",
        )
        for n in range(2000)
    )
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(30_000):
        track = tracks[rng.randrange(len(tracks))]
        skipped = rng.random() < 0.15
        ts = (start + timedelta(minutes=4 * n)).isoformat().replace("+00:00", "Z")
        rows.append(
            extended(
                ts,
                20_000 if skipped else 200_000,
                uri=f"spotify:track:{track.spotify_id}",
                title=track.title,
                artist=artist.name,
                skipped=skipped,
            )
        )
    files = [upload(f"Streaming_History_Audio_{i}.json", rows[i * 10_000 : (i + 1) * 10_000]) for i in range(3)]

    started = time.perf_counter()
    report = import_streaming_history(user, files)
    elapsed = time.perf_counter() - started

    print(f"\nimported {report.plays_added:,} plays in {elapsed:.2f} s")
    assert report.plays_added == Play.objects.filter(user=user).count() == 30_000
    assert report.skips == sum(1 for row in rows if row["skipped"])
    counts = TrackAffinity.objects.filter(user=user).values_list("play_count", "skip_count")
    assert sum(plays for plays, _ in counts) == 30_000 - report.skips
    assert sum(skips for _, skips in counts) == report.skips


def test_a_number_too_long_for_python_is_a_clear_error(user):
    """A 5,000-digit msPlayed is named as invalid JSON, not a server error."""
    row = b'{"endTime": "2024-01-01 10:00", "artistName": "A", "trackName": "T", "msPlayed": ' + b"9" * 5000 + b"}"
    content = b"[" + row + b"]"

    with pytest.raises(HistoryFileError, match="StreamingHistory0.json: is not valid JSON"):
        import_streaming_history(user, [upload("StreamingHistory0.json", content)])


def test_an_integer_over_64_bits_in_a_column_we_ignore_is_read(user, song):
    """The C parser stops at 64-bit integers; the file is read on with Python's parser from there."""
    rows = [basic(song, "2024-01-01 10:00", 200_000), {**basic(song, "2024-01-01 10:10", 200_000), "extra": 10**30}]

    report = import_streaming_history(user, [upload("StreamingHistory0.json", rows)])

    assert report.plays_added == 2


def test_a_value_nested_deep_is_refused_at_once(user):
    """JSON nested 100,000 deep is refused by name (it once took gigabytes to build)."""
    content = b"[" * 100_000 + b"]" * 100_000

    with pytest.raises(HistoryFileError, match="StreamingHistory0.json: holds a value nested more than"):
        import_streaming_history(user, [upload("StreamingHistory0.json", content)])


def test_a_nul_in_a_name_is_dropped(user):
    """A NUL ("\\u0000", valid JSON) never reaches the database: a new track's title is stored without it."""
    row = extended("2024-02-01T07:00:00Z", 190_000, uri="spotify:track:0VjIjW4GlUZAMYd2vXMi3b", title="Nul\u0000song")

    import_streaming_history(user, [upload("Streaming_History_Audio_2024.json", [row])])

    assert Track.objects.get(spotify_id="0VjIjW4GlUZAMYd2vXMi3b").title == "Nulsong"
