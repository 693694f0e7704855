"""The generate_mix and bench_generator management commands."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.mixes.engine.helpers import records, write_kaggle, write_tidy

PLAN = {
    "name": "Tuesday run",
    "phases": [
        {"name": "Warm-up", "kind": "warm_up", "duration_s": 480, "tempo_bpm": [110, 150], "energy": [0.45, 0.65]},
        {"name": "Tempo", "kind": "peak", "duration_s": 900, "tempo_bpm": 160, "energy": 0.8},
    ],
}


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN))
    return path


@pytest.fixture
def tidy_csv(tmp_path):
    rows = [(r.key, r.title, r.artists[0], r.genre, r.tempo, r.energy, r.duration_ms) for r in records(1500)]
    return write_tidy(tmp_path / "spotify_songs.csv", rows)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_generate_mix_prints_json_phases_and_tracks(plan_file, tidy_csv):
    """--json: generation time, one entry per section with its tracks, and the notes."""
    data = json.loads(run("generate_mix", "--plan", plan_file, "--catalog", tidy_csv, "--json"))
    assert data["generation_ms"] > 0
    assert [phase["name"] for phase in data["phases"]] == ["Warm-up", "Tempo"]
    track = data["phases"][1]["tracks"][0]
    assert set(track) >= {"track_id", "title", "artist", "duration_ms", "tempo", "energy", "why"}
    assert track["track_id"].startswith("t")
    assert data["notes"] == []


def test_generate_mix_reads_the_kaggle_layout(plan_file, tmp_path):
    """A Kaggle 'Spotify Tracks' CSV works too; credited artists are shown joined."""
    rows = [
        (r.key, r.title, f"{r.artists[0]};Guest {i % 7}", r.genre, r.tempo, r.energy, r.duration_ms, "False")
        for i, r in enumerate(records(1500))
    ]
    path = write_kaggle(tmp_path / "dataset.csv", rows)
    data = json.loads(run("generate_mix", "--plan", plan_file, "--catalog", path, "--json"))
    assert ", Guest " in data["phases"][0]["tracks"][0]["artist"]


def test_generate_mix_prints_a_table_without_json(plan_file, tidy_csv):
    """Without --json the mix is a readable table grouped by section."""
    text = run("generate_mix", "--plan", plan_file, "--catalog", tidy_csv)
    assert text.startswith("Tuesday run — ")
    assert "Warm-up (" in text and "of 8:00)" in text and "of 15:00)" in text
    assert "BPM" in text


def test_generate_mix_uses_the_mix_type_and_seed_artist(plan_file, tidy_csv):
    """--mix-type main leaves out the warm-up; --seed-artist is taken into account."""
    fitting = next(r for r in records(1500) if abs(r.tempo - 160) < 2 and abs(r.energy - 0.8) < 0.04)
    artist = fitting.artists[0]
    data = json.loads(
        run(
            "generate_mix",
            "--plan",
            plan_file,
            "--catalog",
            tidy_csv,
            "--json",
            "--mix-type",
            "main",
            "--seed-artist",
            artist,
        )
    )
    assert [phase["name"] for phase in data["phases"]] == ["Tempo"]
    assert any(f"seed artist {artist}" in t["why"] for t in data["phases"][0]["tracks"])


def test_generate_mix_refuses_a_bad_plan(tmp_path, tidy_csv):
    """A plan with an unknown phase kind is a CommandError naming the problem."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"phases": [{"kind": "nap", "duration_s": 60, "tempo_bpm": 100, "energy": 0.5}]}))
    with pytest.raises(CommandError, match="unknown kind 'nap'"):
        run("generate_mix", "--plan", path, "--catalog", tidy_csv)


def test_generate_mix_reads_phase_kinds_as_people_write_them(tmp_path, tidy_csv):
    """A plan file whose kinds read "Warm up" and "cool-down" gives a warm-up-only and a cool-down-only mix."""
    path = tmp_path / "plan.json"
    phases = [
        {"kind": "Warm up", "duration_s": 480, "tempo_bpm": [110, 150], "energy": [0.45, 0.65]},
        {"kind": "steady", "duration_s": 600, "tempo_bpm": 160, "energy": 0.8},
        {"kind": "cool-down", "duration_s": 300, "tempo_bpm": [140, 100], "energy": [0.6, 0.4]},
    ]
    path.write_text(json.dumps({"phases": phases}))
    for mix_type, name in (("warm_up", "Warm-up"), ("cool_down", "Cool-down")):
        data = json.loads(run("generate_mix", "--plan", path, "--catalog", tidy_csv, "--json", "--mix-type", mix_type))
        assert [phase["name"] for phase in data["phases"]] == [name]


def test_generate_mix_refuses_a_plan_that_is_not_json(tmp_path, tidy_csv):
    """A plan file that is not JSON is a CommandError."""
    path = tmp_path / "plan.json"
    path.write_text("{phases: nope")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("generate_mix", "--plan", path, "--catalog", tidy_csv)


def test_generate_mix_refuses_a_mix_type_the_plan_lacks(plan_file, tidy_csv):
    """Asking for the cool-down of a plan without one is a CommandError."""
    with pytest.raises(CommandError, match="no cool-down phase"):
        run("generate_mix", "--plan", plan_file, "--catalog", tidy_csv, "--mix-type", "cool_down")


def test_generate_mix_refuses_a_missing_catalog(plan_file, tmp_path):
    """A catalog path with no file is a CommandError."""
    with pytest.raises(CommandError, match="No catalog file"):
        run("generate_mix", "--plan", plan_file, "--catalog", tmp_path / "none.csv")


def test_generate_mix_refuses_an_unknown_csv_layout(plan_file, tmp_path):
    """A CSV that is neither layout is a CommandError listing the columns expected."""
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="TidyTuesday"):
        run("generate_mix", "--plan", plan_file, "--catalog", path)


def test_bench_generator_says_when_the_dataset_is_missing(tmp_path):
    """Without the dataset the benchmark stops with a clear message."""
    with pytest.raises(CommandError, match="dataset is missing"):
        run("bench_generator", "--catalog", tmp_path / "nowhere.csv")


def test_bench_generator_reports_every_template_and_size(tmp_path):
    """--json reports all 8 templates, ours and greedy, and the timings; a catalog too small misses targets."""
    rows = [(r.key, r.title, r.artists[0], r.genre, r.tempo, r.energy, r.duration_ms) for r in records(60)]
    catalog = write_tidy(tmp_path / "small.csv", rows)
    out = StringIO()
    with pytest.raises(CommandError, match="target"):
        call_command(
            "bench_generator",
            "--catalog",
            catalog,
            "--sizes",
            "500",
            "--runs",
            "1",
            "--seeds",
            "1",
            "--json",
            stdout=out,
        )
    report = json.loads(out.getvalue())
    assert len(report["quality"]) == 8
    assert set(report["quality"]["hiit"]) == {"ours", "greedy"}
    assert report["speed"][0]["size"] == 500
    assert report["missed"]


@pytest.mark.django_db
def test_generate_mix_without_catalog_uses_the_database(plan_file):
    """Without --catalog the tracks come from the database catalog (mixes.pools.load_pool)."""
    from tests.factories import TrackFactory

    for i in range(12):
        TrackFactory(duration_ms=150_000 + 10_000 * i, features__tempo=150 + i, features__energy=0.6 + i / 100)
    data = json.loads(run("generate_mix", "--plan", plan_file, "--json"))
    track_ids = [t["track_id"] for phase in data["phases"] for t in phase["tracks"]]
    assert track_ids
    assert all(track_id.isdigit() for track_id in track_ids)
