"""The shared catalog CSV reader: plain Python, the models' limits, one verdict per row for both readers."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from mixes.engine.catalog_csv import read_catalog
from music import catalog_csv
from music.catalog_csv import KAGGLE, TIDYTUESDAY, RowError, find_layout
from music.models import Artist, AudioFeatures, Track
from tests.engine.helpers import TIDY_COLUMNS, write_tidy


def test_reader_and_engine_import_without_django_settings():
    """The shared reader and the engine load with no settings module and import no Django."""
    code = (
        "import sys, mixes.engine.pool, mixes.engine.generator, mixes.engine.catalog_csv\n"
        "assert not [name for name in sys.modules if name.split('.')[0] == 'django'], 'django imported'"
    )
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, check=True)


def test_limits_are_the_models():
    """The reader's feature names and length limits are those of AudioFeatures, Artist and Track."""
    assert catalog_csv.FEATURE_FIELDS == AudioFeatures.FIELDS
    assert Artist._meta.get_field("name").max_length == catalog_csv.ARTIST_NAME_MAX_LENGTH
    assert Track._meta.get_field("song_key").max_length == catalog_csv.SONG_KEY_MAX_LENGTH


def test_core_columns_are_a_layout_for_a_pool_but_not_for_an_import():
    """A header with only the columns a pool needs is TidyTuesday for the engine; the import wants them all."""
    assert find_layout(TIDY_COLUMNS, core=True) is TIDYTUESDAY
    assert find_layout(TIDY_COLUMNS) is None


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
