import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from music.importers import offer_features
from music.models import Artist, AudioFeatures, Source, Track, TrackArtist

TIDYTUESDAY_HEADER = [
    "track_id",
    "track_name",
    "track_artist",
    "track_popularity",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
]
KAGGLE_HEADER = [
    "",
    "track_id",
    "artists",
    "album_name",
    "track_name",
    "popularity",
    "duration_ms",
    "explicit",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
    "track_genre",
]
AUDIO = {
    "danceability": "0.61",
    "energy": "0.82",
    "key": "5",
    "loudness": "-5.1",
    "mode": "1",
    "speechiness": "0.04",
    "acousticness": "0.01",
    "instrumentalness": "0",
    "liveness": "0.1",
    "valence": "0.55",
    "tempo": "171.9",
    "duration_ms": "201000",
}


def tidy_row(track_id="4uLU6hMCjMI75M1A2tKUQC", **values) -> dict:
    row = {
        "track_id": track_id,
        "track_name": "Night Drive",
        "track_artist": "The Runners",
        "track_popularity": "70",
        "track_album_id": "2oCs0DGTsRO98Gh5ZSl2Cx",
        "track_album_name": "Miles",
        "track_album_release_date": "2019-06-14",
        "playlist_name": "Run",
        "playlist_id": "37i9dQZF1DXcZDD7cfEKhW",
        "playlist_genre": "pop",
        "playlist_subgenre": "dance pop",
        **AUDIO,
    }
    return {**row, **values}


def kaggle_row(track_id="5SuOikwiRyPMVoIQDJUgSV", **values) -> dict:
    row = {
        "": "0",
        "track_id": track_id,
        "artists": "Ana Vale;Bo Ricci;Cy Moon",
        "album_name": "Together",
        "track_name": "Keep Pace",
        "popularity": "55",
        "explicit": "False",
        "time_signature": "4",
        "track_genre": "dance",
        **AUDIO,
    }
    return {**row, **values}


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_tracks(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_tracks", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def tidy_csv(tmp_path):
    def write(*rows):
        return write_csv(tmp_path / "spotify_songs.csv", TIDYTUESDAY_HEADER, rows)

    return write


@pytest.fixture
def kaggle_csv(tmp_path):
    def write(*rows):
        return write_csv(tmp_path / "dataset.csv", KAGGLE_HEADER, rows)

    return write


def test_tidytuesday_file_creates_track_artist_and_features(db, tidy_csv):
    """A TidyTuesday row becomes a track with its artist, album, year, genre and catalog features."""
    import_tracks(tidy_csv(tidy_row()))

    track = Track.objects.get(spotify_id="4uLU6hMCjMI75M1A2tKUQC")
    assert (track.title, track.artist_names, track.album, track.release_year) == (
        "Night Drive",
        "The Runners",
        "Miles",
        2019,
    )
    assert (track.duration_ms, track.genre, track.song_key) == (201000, "pop", "night drive|the runners")
    assert list(track.artists.values_list("name", flat=True)) == ["The Runners"]
    assert (track.features.tempo, track.features.energy, track.features.valence) == (171.9, 0.82, 0.55)
    assert set(AudioFeatures.FIELDS) <= set(track.features.sources)


def test_kaggle_file_creates_track_with_explicit_flag_and_genre(db, kaggle_csv):
    """A Kaggle row becomes a track with its explicit flag, genre and catalog features."""
    import_tracks(kaggle_csv(kaggle_row(explicit="True")))

    track = Track.objects.get(spotify_id="5SuOikwiRyPMVoIQDJUgSV")
    assert (track.title, track.album, track.explicit, track.genre) == ("Keep Pace", "Together", True, "dance")
    assert track.features.danceability == 0.61
    assert track.features.sources["tempo"] == Source.CATALOG


def test_kaggle_row_credits_several_artists_in_order(db, kaggle_csv):
    """Artists joined with ';' become credits in the file's order, and the display names follow it."""
    import_tracks(kaggle_csv(kaggle_row()))

    track = Track.objects.get()
    credits = TrackArtist.objects.filter(track=track).order_by("position")
    assert [(c.position, c.artist.name) for c in credits] == [(0, "Ana Vale"), (1, "Bo Ricci"), (2, "Cy Moon")]
    assert track.artist_names == "Ana Vale, Bo Ricci, Cy Moon"
    assert track.song_key == "keep pace|ana vale"


@pytest.mark.parametrize(
    ("write", "row"),
    [("tidy_csv", tidy_row), ("kaggle_csv", kaggle_row)],
)
def test_reimport_updates_without_duplicating(db, request, write, row):
    """Importing a changed file again updates the same track, its features and credits; nothing doubles."""
    write = request.getfixturevalue(write)
    import_tracks(write(row()))
    track_id = Track.objects.get().pk

    out, _ = import_tracks(write(row(track_name="Night Drive (Live)", energy="0.9", tempo="165")))

    assert "updated:   1" in out
    track = Track.objects.get()
    assert (track.pk, track.title) == (track_id, "Night Drive (Live)")
    assert (track.features.energy, track.features.tempo) == (0.9, 165)
    assert AudioFeatures.objects.count() == 1
    assert TrackArtist.objects.count() == Artist.objects.count()


def test_tidytuesday_extras_are_stored_with_their_source(db, tidy_csv):
    """Acousticness, loudness, key, mode and the rest are kept; TidyTuesday has no time signature."""
    import_tracks(tidy_csv(tidy_row()))

    features = AudioFeatures.objects.get()
    assert (features.acousticness, features.instrumentalness, features.speechiness, features.liveness) == (
        0.01,
        0,
        0.04,
        0.1,
    )
    assert (features.loudness, features.key, features.mode, features.time_signature) == (-5.1, 5, 1, None)
    assert features.sources == {name: Source.CATALOG for name in AudioFeatures.ALL_FIELDS if name != "time_signature"}


def test_kaggle_extras_include_the_time_signature(db, kaggle_csv):
    """Kaggle's rows also give the time signature; every feature is marked as from the catalog."""
    import_tracks(kaggle_csv(kaggle_row(time_signature="3")))

    features = AudioFeatures.objects.get()
    assert (features.time_signature, features.key, features.loudness) == (3, 5, -5.1)
    assert features.sources == dict.fromkeys(AudioFeatures.ALL_FIELDS, Source.CATALOG)


@pytest.mark.parametrize("values", [{"key": "-1"}, {"time_signature": "0"}, {"liveness": ""}])
def test_found_none_and_empty_extras_are_unknown(db, kaggle_csv, values):
    """No key (-1) and no meter (0) are stored as unknown, like an empty cell; the row is kept."""
    out, _ = import_tracks(kaggle_csv(kaggle_row(**values)))

    features = AudioFeatures.objects.get()
    assert all(getattr(features, name) is None and name not in features.sources for name in values)
    assert "skipped:   0 bad rows" in out


@pytest.mark.parametrize(("write", "row"), [("tidy_csv", tidy_row), ("kaggle_csv", kaggle_row)])
def test_reimport_of_the_same_file_changes_nothing(db, request, write, row):
    """A second import of an unchanged file, extras and all, reports every track unchanged."""
    path = request.getfixturevalue(write)(row())
    import_tracks(path)

    out, _ = import_tracks(path)

    assert "created:   0 tracks" in out
    assert "unchanged: 1" in out


def test_reimport_follows_changed_credits(db, kaggle_csv):
    """When a file credits other artists, the track's credits become exactly those."""
    import_tracks(kaggle_csv(kaggle_row()))

    import_tracks(kaggle_csv(kaggle_row(artists="Cy Moon;Dee Lane")))

    credits = TrackArtist.objects.order_by("position").values_list("artist__name", flat=True)
    assert list(credits) == ["Cy Moon", "Dee Lane"]


def test_repeated_id_in_one_file_keeps_the_first_row(db, tidy_csv):
    """The same track in several playlists is imported once, from its first row."""
    out, _ = import_tracks(tidy_csv(tidy_row(playlist_genre="pop"), tidy_row(playlist_genre="edm")))

    assert Track.objects.get().genre == "pop"
    assert "repeated:  1 rows" in out


def test_bad_rows_are_reported_with_line_numbers_and_skipped(db, tidy_csv):
    """Empty titles or artists, non-numbers, out-of-range or broken values (extras too), durations ≤ 0 skip a row."""
    path = tidy_csv(
        tidy_row("1111111111111111111111", track_name=""),
        tidy_row("2222222222222222222222", track_artist="NA"),
        tidy_row("3333333333333333333333", energy="loud"),
        tidy_row("4444444444444444444444", valence="1.7"),
        tidy_row("5555555555555555555555", duration_ms="0"),
        tidy_row("7777777777777777777777", key="12"),
        tidy_row("8888888888888888888888", loudness="-75"),
        tidy_row("9999999999999999999999", mode="0.5"),
        tidy_row("0000000000000000000000", acousticness="lots"),
        tidy_row("6666666666666666666666"),
    )

    out, _ = import_tracks(path)

    assert list(Track.objects.values_list("spotify_id", flat=True)) == ["6666666666666666666666"]
    assert "skipped:   9 bad rows" in out
    assert "line 2: track_name is empty" in out
    assert "line 3: track_artist is empty" in out
    assert "line 4: energy is not a number: 'loud'" in out
    assert "line 5: valence 1.7 is out of range (0 to 1)" in out
    assert "line 6: duration_ms must be above 0" in out
    assert "line 7: key 12 is out of range (0 to 11)" in out
    assert "line 8: loudness -75 is out of range (-60 to 5)" in out
    assert "line 9: mode 0.5 is not a whole number" in out
    assert "line 10: acousticness is not a number: 'lots'" in out


def test_tempo_zero_is_stored_as_unknown(db, tidy_csv):
    """A tempo of 0 (no beat found) is an unknown tempo, not a bad row."""
    out, _ = import_tracks(tidy_csv(tidy_row(tempo="0")))

    features = Track.objects.get().features
    assert features.tempo is None
    assert "tempo" not in features.sources
    assert "skipped:   0 bad rows" in out


def test_unknown_header_is_an_error_naming_the_missing_columns(db, tmp_path):
    """A file in neither layout is refused, saying which columns each layout needs."""
    path = write_csv(tmp_path / "other.csv", ["id", "name", "tempo"], [{"id": "1", "name": "x", "tempo": "120"}])

    with pytest.raises(CommandError, match="TidyTuesday needs track_id, track_name, track_artist") as error:
        import_tracks(path)

    assert "Kaggle Spotify Tracks needs track_id, artists" in str(error.value)
    assert not Track.objects.exists()


def test_missing_file_is_an_error(db, tmp_path):
    """A path that does not exist is a clear CommandError, not a traceback."""
    with pytest.raises(CommandError, match="Cannot import"):
        import_tracks(tmp_path / "nope.csv")


def test_user_tempo_correction_survives_reimport(db, tidy_csv):
    """A person's BPM fix is kept when the catalog is imported again; the other values update."""
    path = tidy_csv(tidy_row(tempo="86"))
    import_tracks(path)
    Track.objects.get().features.correct_tempo(2)

    import_tracks(tidy_csv(tidy_row(tempo="86", energy="0.9")))

    features = AudioFeatures.objects.get()
    assert (features.tempo, features.sources["tempo"]) == (172, Source.USER)
    assert (features.energy, features.sources["energy"]) == (0.9, Source.CATALOG)


def test_catalog_import_replaces_a_provider_value(db, tidy_csv):
    """An imported catalog is trusted over ReccoBeats: a re-import replaces the provider's tempo."""
    import_tracks(tidy_csv(tidy_row(tempo="86")))
    AudioFeatures.objects.update(tempo=90, sources={"tempo": Source.RECCOBEATS})
    import_tracks(tidy_csv(tidy_row(tempo="86")))
    features = AudioFeatures.objects.get()
    assert (features.tempo, features.sources["tempo"]) == (86, Source.CATALOG)


def test_progress_is_written_to_stderr(db, tidy_csv):
    """The progress bar counts rows on stderr, in place."""
    _, err = import_tracks(tidy_csv(tidy_row(), tidy_row("6666666666666666666666")))

    assert "\r  2 / 2 rows" in err


def test_catalog_import_fills_but_never_overrules_a_users_extra(db, kaggle_csv):
    """A loudness staff corrected stays; an extra a provider gave gives way to the catalog's."""
    import_tracks(kaggle_csv(kaggle_row()))
    AudioFeatures.objects.update(
        loudness=-9.0, key=7, sources={"loudness": Source.USER, "key": Source.RECCOBEATS, "tempo": Source.CATALOG}
    )

    import_tracks(kaggle_csv(kaggle_row()))

    features = AudioFeatures.objects.get()
    assert (features.loudness, features.sources["loudness"]) == (-9.0, Source.USER)
    assert (features.key, features.sources["key"]) == (5, Source.CATALOG)


def test_offered_features_replace_only_same_or_earlier_sources():
    """A catalog value replaces a demo one and fills gaps, but never a Spotify or user value."""
    features = AudioFeatures(tempo=170, energy=0.5, valence=None, sources={"tempo": Source.USER, "energy": Source.DEMO})

    changed = offer_features(features, {"tempo": 85, "energy": 0.8, "valence": 0.4}, Source.CATALOG)

    assert changed
    assert (features.tempo, features.energy, features.valence) == (170, 0.8, 0.4)
    assert features.sources == {"tempo": Source.USER, "energy": Source.CATALOG, "valence": Source.CATALOG}


def many_rows(count: int) -> list[dict]:
    return [
        tidy_row(track_id=f"id{n:020d}", track_name=f"Song {n}", track_artist=f"Artist {n % 7}") for n in range(count)
    ]


def test_a_file_of_many_batches_imports_every_row(db, tidy_csv):
    """Rows read batch by batch (in a thread of their own) all arrive, credits and features with them."""
    out, _ = StringIO(), StringIO()
    call_command("import_tracks", str(tidy_csv(*many_rows(23))), "--batch-size", "4", stdout=out, stderr=StringIO())
    assert "created:   23 tracks" in out.getvalue()
    assert Track.objects.count() == AudioFeatures.objects.count() == TrackArtist.objects.count() == 23


def test_reimporting_unchanged_rows_writes_nothing(db, tidy_csv):
    """A second import of the same file finds every row as it is and writes no row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = tidy_csv(*many_rows(12))
    import_tracks(path)
    with CaptureQueriesContext(connection) as queries:
        out, _ = import_tracks(path)
    assert "unchanged: 12" in out
    assert not [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_file_that_breaks_midway_keeps_what_came_before_and_says_why(db, tmp_path):
    """A file unreadable past some row: the batches before it are imported, the error reaches the caller, and the
    thread that read the rows is gone."""
    import threading

    from music.importers import import_csv

    path = write_csv(tmp_path / "songs.csv", TIDYTUESDAY_HEADER, many_rows(600))  # far more than a read's buffer
    with open(path, "ab") as file:
        file.write(b"\xff\xfe not text\n")
    with pytest.raises(UnicodeDecodeError):
        import_csv(path, batch_size=50)
    assert 50 <= Track.objects.count() < 600
    assert not [thread for thread in threading.enumerate() if thread.name == "import-reader"]


def test_a_file_that_cannot_be_read_is_refused_by_the_command(db, tmp_path):
    """The command counts the rows first: a file it cannot read is refused before anything is written."""
    path = write_csv(tmp_path / "songs.csv", TIDYTUESDAY_HEADER, many_rows(2))
    with open(path, "ab") as file:
        file.write(b"\xff\xfe not text\n")
    with pytest.raises(CommandError, match="Cannot import"):
        call_command("import_tracks", str(path), stdout=StringIO(), stderr=StringIO())
    assert not Track.objects.exists()


def test_bad_rows_are_all_counted_though_only_the_first_are_listed(db, tidy_csv, monkeypatch):
    """A file of many bad rows keeps the first few reasons and counts the rest."""
    from music import importers

    monkeypatch.setattr(importers, "SKIPPED_KEPT", 2)
    out, _ = import_tracks(tidy_csv(*[tidy_row(track_id=f"id{n}", duration_ms="soon") for n in range(5)]))
    assert "skipped:   5 bad rows" in out
    assert out.count("duration_ms is not a number") == 2
