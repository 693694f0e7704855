"""PRODUCT.md's quality targets on real Spotify data (the TidyTuesday 2020-01-21 songs)."""

from functools import cache
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from mixes.engine.catalog_csv import read_pool
from mixes.engine.generator import generate
from mixes.engine.metrics import measure
from mixes.engine.plan import template
from mixes.engine.pool import Pool

DATASET = settings.DATASETS_DIR / "tidytuesday-2020-01-21-spotify-songs" / "spotify_songs.csv"

pytestmark = [
    pytest.mark.dataset,
    pytest.mark.skipif(not DATASET.is_file(), reason=f"the TidyTuesday Spotify songs dataset is not at {DATASET}"),
]


@cache
def songs() -> Pool:
    return read_pool(DATASET)


def test_dataset_loads_as_its_readme_says():
    """28,356 distinct ids less the 4 whose 5 rows name no track or artist ("NA"); tempo 0 is without a tempo."""
    pool = songs()
    assert len(pool) == 28_352
    assert pool.skipped_rows == 5
    assert pool.without_features == 1


@pytest.mark.parametrize("key", ["tempo-run", "hiit", "yoga"])
@pytest.mark.parametrize("seed", [0, 1])
def test_template_mix_meets_the_quality_targets(key, seed):
    """Duration, boundaries, tempo, energy, duplicates and spacing within PRODUCT.md's targets."""
    m = measure(generate(songs(), template(key), seed=seed), songs())
    assert m["duration_error_s"] <= 5
    assert m["boundary_distance_s"] <= 5
    assert m["tempo_error_bpm"] <= 2.5
    assert m["within_8_bpm"] >= 0.9
    assert m["energy_error"] <= 0.06
    assert m["duplicates"] == 0
    assert m["artist_spacing_violations"] == 0


def test_benchmark_meets_its_quality_targets_on_one_seed():
    """bench_generator over all 8 templates (one seed, small pool) ends without a missed target."""
    out = StringIO()
    call_command("bench_generator", "--seeds", "1", "--runs", "1", "--sizes", "10000", stdout=out)
    assert "All targets met." in out.getvalue()
