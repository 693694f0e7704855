"""The pool: records and CSV catalogs as arrays, song identity, resampling."""

import pytest

from mixes.engine.catalog_csv import CatalogError, read_pool
from mixes.engine.pool import Pool
from tests.mixes.engine.helpers import records, track, write_kaggle, write_tidy


def test_same_song_under_other_titles_shares_a_song_id():
    """ "Song - Remastered 2011" and "Song (feat. X)" by the same main artist are one song."""
    pool = Pool.from_records(
        [
            track("a", "Song", ("Band",)),
            track("b", "Song - Remastered 2011", ("Band",)),
            track("c", "Song (feat. X)", ("BAND", "X")),
            track("d", "Song", ("Other band",)),
        ]
    )
    assert pool.song_id.tolist()[:3] == [pool.song_id[0]] * 3
    assert pool.song_id[3] != pool.song_id[0]


def test_artists_are_one_artist_whatever_the_accents():
    """ "Beyoncé" and "BEYONCE" are the same artist id."""
    pool = Pool.from_records([track("a", artists=("Beyoncé",)), track("b", artists=("BEYONCE", "Jay-Z"))])
    assert pool.artist_set(0)[0] == pool.artist_set(1)[0]
    assert pool.artists(1) == ("Beyoncé", "Jay-Z")


def test_repeated_key_keeps_the_first_record():
    """A key given twice is one track."""
    pool = Pool.from_records([track("a", tempo=120.0), track("a", tempo=90.0), track("b")])
    assert len(pool) == 2
    assert pool.track_at(pool.index_of("a")).tempo == 120.0


def test_index_of_unknown_key_raises_key_error():
    """index_of answers KeyError for a key not in the pool."""
    with pytest.raises(KeyError):
        Pool.from_records([track("a")]).index_of("zzz")


def test_record_gives_back_the_track():
    """record(i) rebuilds the TrackRecord the pool was made from."""
    original = track("a", "Title", ("One", "Two"), genre="rock", explicit=True, plays=3, skips=1, liked=True)
    assert Pool.from_records([original]).track_at(0) == original


def test_tracks_without_tempo_or_energy_are_counted():
    """A track with no tempo, a tempo of 0 or no energy cannot follow a plan."""
    pool = Pool.from_records([track("a", tempo=None), track("b", tempo=0.0), track("c", energy=None), track("d")])
    assert pool.without_features == 3
    assert pool.usable.tolist() == [False, False, False, True]


def test_resample_gives_unique_keys_and_songs():
    """Resampled tracks are each a new track and a new song, with the source's features."""
    source = Pool.from_records(records(50))
    big = source.resample(500, seed=3)
    assert len(big) == 500
    assert len(set(big.keys)) == 500
    assert len(set(big.song_id.tolist())) == 500
    i = big.index_of(big.keys[7])
    assert big.tempo[i] == source.tempo[source.index_of(big.keys[7].split("~")[0])]


def test_tempo_window_includes_half_and_double_time():
    """in_tempo_window finds tracks whose tempo, double or half falls in the window."""
    pool = Pool.from_records([track("a", tempo=80.0), track("b", tempo=160.0), track("c", tempo=120.0)])
    found = sorted(pool.keys[i] for i in pool.in_tempo_window(155, 165))
    assert found == ["a", "b"]


def test_tidytuesday_csv_is_read_and_deduplicated(tmp_path):
    """The TidyTuesday layout: one row per playlist, read once per id; tempo 0 means unknown."""
    path = write_tidy(
        tmp_path / "songs.csv",
        [
            ("id1", "Hello, World", "Adele", "pop", "160.5", "0.7", "200000"),
            ("id1", "Hello, World", "Adele", "rock", "160.5", "0.7", "200000"),
            ("id2", "Zero", "Band", "rock", "0", "2.33e-1", "180000"),
        ],
    )
    pool = read_pool(path)
    assert pool.keys == ["id1", "id2"]
    assert pool.track_at(0).title == "Hello, World"
    assert pool.track_at(0).genre == "pop"
    assert pool.track_at(1).tempo is None
    assert pool.track_at(1).energy == pytest.approx(0.233)


def test_kaggle_csv_splits_artists_and_reads_explicit(tmp_path):
    """The Kaggle layout: artists joined with ';', an explicit flag and a leading index column."""
    path = write_kaggle(
        tmp_path / "tracks.csv",
        [("k1", "Duet", "Ariana Grande;The Weeknd", "pop", "120", "0.8", "210000", "True")],
    )
    record = read_pool(path).track_at(0)
    assert record.artists == ("Ariana Grande", "The Weeknd")
    assert record.explicit is True
    assert record.genre == "pop"


def test_csv_rows_without_duration_are_skipped(tmp_path):
    """A row without a duration cannot be placed; it is counted, not loaded."""
    path = write_tidy(
        tmp_path / "songs.csv", [("a", "A", "X", "pop", "120", "0.5", ""), ("b", "B", "X", "pop", "1", "0.5", "1")]
    )
    pool = read_pool(path)
    assert pool.keys == ["b"]
    assert pool.skipped_rows == 1


def test_unknown_csv_layout_is_a_catalog_error(tmp_path):
    """A CSV with other columns is refused with the columns we expect."""
    path = tmp_path / "other.csv"
    path.write_text("id,name\n1,x\n")
    with pytest.raises(CatalogError, match="not a catalog layout we know"):
        read_pool(path)


def test_missing_csv_is_a_catalog_error(tmp_path):
    """A path with no file is a clear error."""
    with pytest.raises(CatalogError, match="No catalog file"):
        read_pool(tmp_path / "none.csv")


def test_binary_file_is_a_catalog_error(tmp_path):
    """A file that is not UTF-8 text is refused."""
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(CatalogError):
        read_pool(path)


def test_tracks_by_finds_lead_and_featured_credits():
    """tracks_by finds every track crediting an artist, wherever the credit stands."""
    pool = Pool.from_records([track("a", artists=("X",)), track("b", artists=("Y", "X")), track("c", artists=("Y",))])
    assert sorted(pool.keys[i] for i in pool.tracks_by(pool.artist_ids_named(["x"]))) == ["a", "b"]
