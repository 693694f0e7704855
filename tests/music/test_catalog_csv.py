"""The shared catalog CSV reader: plain Python, the models' limits, one verdict per row for both readers."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from mixes.engine.catalog_csv import read_catalog
from music import catalog_csv, normalize
from music.catalog_csv import KAGGLE, TIDYTUESDAY, RowError, find_layout
from music.models import Artist, AudioFeatures, Track
from tests.mixes.engine.helpers import TIDY_COLUMNS, write_tidy


def test_reader_and_engine_import_without_django_settings():
    """The shared reader and the engine load with no settings module and import no Django."""
    code = (
        "import sys, mixes.engine.pool, mixes.engine.generator, mixes.engine.catalog_csv\n"
        "assert not [name for name in sys.modules if name.split('.')[0] == 'django'], 'django imported'"
    )
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, check=True)


def test_limits_are_the_models():
    """The reader's feature names are AudioFeatures' columns, and its length limits those of Artist and Track."""
    stored = {field.name for field in AudioFeatures._meta.concrete_fields} - {"track", "sources", "asked"}
    stored -= set(AudioFeatures.SEARCH_FIELDS)
    assert set(catalog_csv.ALL_FEATURE_FIELDS) == set(catalog_csv.FEATURE_RANGES) == stored
    assert catalog_csv.FEATURE_FIELDS == AudioFeatures.FIELDS
    assert catalog_csv.ALL_FEATURE_FIELDS == AudioFeatures.ALL_FIELDS
    assert Artist._meta.get_field("name").max_length == catalog_csv.ARTIST_NAME_MAX_LENGTH
    assert Track._meta.get_field("song_key").max_length == normalize.SONG_KEY_MAX_LENGTH


def test_core_columns_are_a_layout_for_a_pool_but_not_for_an_import():
    """A header with only the columns a pool needs is TidyTuesday for the engine; the import wants them all."""
    assert find_layout(TIDY_COLUMNS, core=True) is TIDYTUESDAY
    assert find_layout(TIDY_COLUMNS) is None


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("key", -1.0, None),
        ("time_signature", 0.0, None),
        ("tempo", 0.0, None),
        ("key", 11.0, 11),
        ("loudness", -5.1, -5.1),
    ],
)
def test_found_none_marks_are_unknown_and_whole_features_are_ints(name, raw, value):
    """No key (-1), no meter (0) and no beat (0) are None; key, mode and time signature are ints."""
    stored = catalog_csv.feature_value(name, raw)

    assert stored == value
    assert type(stored) is type(value)


@pytest.mark.parametrize(("name", "raw"), [("key", 12.0), ("key", 2.5), ("mode", 2.0), ("loudness", -70.0)])
def test_an_extra_feature_out_of_range_is_a_row_error(name, raw):
    """An extra feature is checked like a core one: out of range or not whole, the row is refused."""
    with pytest.raises(RowError, match=name):
        catalog_csv.feature_value(name, raw)


def test_row_with_more_fields_than_the_header_is_refused():
    """A row with cells beyond the header is a RowError, whatever its other cells."""
    with pytest.raises(RowError, match="more fields than the header"):
        KAGGLE.row({"track_id": "5SuOikwiRyPMVoIQDJUgSV", None: ["extra"]})


def test_pool_reader_skips_the_rows_the_import_refuses(tmp_path):
    """A row whose artist is R's "NA" or whose energy is not a number is skipped by the engine too."""
    path = write_tidy(
        tmp_path / "songs.csv",
        [
            ("id1", "Song", "NA", "pop", "120", "0.5", "200000"),
            ("id2", "Song", "Band", "pop", "120", "loud", "200000"),
            ("id3", "Song", "Band", "pop", "120", "0.5", "200000"),
        ],
    )
    records, skipped = read_catalog(path)
    assert [record.key for record in records] == ["id3"]
    assert skipped == 2
