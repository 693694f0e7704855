"""bench_scale's parts: the resampled catalog, the load run's journey, the quality comparison's verdict."""

import csv
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import override_settings

from mixes.management.commands.bench_scale import DATASET
from mixes.scale_bench import catalog, load, measure
from mixes.scale_bench.quality import Comparison
from music.catalog_csv import TIDYTUESDAY, read_rows
from music.normalize import song_key


@pytest.fixture
def small_dataset(tmp_path):
    """Three distinct tracks, one of them on two rows (as the dataset lists a track once per playlist)."""
    path = tmp_path / "songs.csv"
    rows = [
        {"track_id": "a" * 22, "track_name": "Run (Remix) - Live", "track_artist": "X"},
        {"track_id": "b" * 22, "track_name": "Walk", "track_artist": "Y"},
        {"track_id": "a" * 22, "track_name": "Run (Remix) - Live", "track_artist": "X"},
        {"track_id": "c" * 22, "track_name": "Jog", "track_artist": "Z"},
    ]
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, TIDYTUESDAY.columns)
        writer.writeheader()
        writer.writerows({column: row.get(column, "1") for column in TIDYTUESDAY.columns} for row in rows)
    return path


def test_a_resampled_catalog_has_the_size_asked_and_every_track_its_own(small_dataset, tmp_path):
    """Ten tracks from three: ten distinct ids and ten distinct songs, each copy with its base's artist."""
    out = tmp_path / "ten.csv"
    assert catalog.resample(small_dataset, 10, out) == 3
    with out.open(newline="") as file:
        _, rows = read_rows(file)
        rows = [raw for _, raw in rows]
    assert len(rows) == 10
    assert len({row["track_id"] for row in rows}) == 10
    assert len({song_key(row["track_name"], row["track_artist"]) for row in rows}) == 10


@pytest.mark.dataset
def test_the_dataset_resamples(tmp_path):
    """The real dataset gives its 28,356 distinct tracks as the bases."""
    assert catalog.resample(settings.DATASETS_DIR / DATASET, 100, tmp_path / "out.csv") == 28_356


def test_bench_scale_asks_for_postgresql(db):
    """On SQLite the benchmark says it needs PostgreSQL rather than build its catalogs somewhere else."""
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is SQLite's; on PostgreSQL the benchmark would run")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_scale", "--sizes", "1000")


def mix_measures(**values) -> dict:
    measures = {"duration_error_s": 1.0, "section_duration_errors_s": [], "boundary_distances_s": [1.0], "tracks": 10}
    measures |= {"tempo_errors_bpm": [1.0], "energy_errors": [0.02], "duplicates": 0, "artist_spacing_violations": 0}
    return measures | {"taste": 0.5, "known_share": 0.4} | values


def test_a_comparison_misses_what_is_worse_beyond_doubt():
    """Taste lower in every mix, and one duplicate more: both are misses."""
    full = [mix_measures() for _ in range(20)]
    narrowed = [mix_measures(taste=0.4)] + [mix_measures(taste=0.4, duplicates=1)] + [mix_measures(taste=0.4)] * 18
    assert set(Comparison(full_mixes=full, narrowed_mixes=narrowed).missed) == {"taste", "duplicates"}


def test_a_comparison_does_not_call_chance_a_miss():
    """Taste 10 % lower on average only because two mixes of twenty went to nothing: no miss."""
    full = [mix_measures(taste=t) for t in (0.2, 0.8) * 10]
    narrowed = [mix_measures(taste=0.0)] * 2 + full[2:]
    assert Comparison(full_mixes=full, narrowed_mixes=narrowed).missed == []


def test_a_comparison_takes_a_plans_seeds_as_one_draw():
    """One plan of four loses taste in every seed, the other three keep it: 15 % less on average, beyond doubt if its
    ten seeds were ten draws, but one plan's lot, not the narrowed pool's, when the plans are the draws."""
    full = [mix_measures() for _ in range(40)]
    narrowed = full[:10] + [mix_measures(taste=0.2)] * 10 + full[20:]
    plans = [plan for plan in range(4) for _ in range(10)]
    assert Comparison(full_mixes=full, narrowed_mixes=narrowed).missed == ["taste"]
    assert Comparison(full_mixes=full, narrowed_mixes=narrowed, plans=plans).missed == []


def test_comparisons_added_keep_their_plans_apart():
    """Two people's comparisons added: each plan's mixes still drawn together, never with another person's."""
    one = Comparison(full_mixes=[mix_measures()] * 4, narrowed_mixes=[mix_measures()] * 4, plans=[0, 0, 1, 1])
    two = Comparison(full_mixes=[mix_measures()] * 2, narrowed_mixes=[mix_measures()] * 2)
    assert (one + two).plans == [0, 0, 1, 1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_the_load_run_takes_the_whole_journey_without_errors(live_server, catalog):
    """Signed-in people take Screen 1 → Generate → Screen 2 → swaps → lock → regenerate against a live server, every
    request answered (two at once on PostgreSQL; one on the test's in-memory SQLite, which locks whole tables)."""
    people = measure.sessions(2 if connection.vendor == "postgresql" else 1)
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        report = load.run(urlparse(live_server.url).port, people, seconds=2)
    figures = report.summary()
    assert report.failures == []
    assert {"Screen 1", "Generate", "Screen 2", "swap", "lock", "regenerate", "bare page"} <= set(figures)
    assert all(kind["errors"] == 0 for kind in figures.values())
