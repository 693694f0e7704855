"""Intervals the music follows: a block of short intervals aims at its work intervals (or, asked, the average)."""

import json
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mixes.engine.generator import generate
from mixes.engine.plan import PlanError, PlanSpec, template
from tests.mixes.engine import helpers


def hiit(interval_music: str = "work") -> PlanSpec:
    return replace(template("hiit"), interval_music=interval_music)


def block_picks(result):
    return next(s for s in result.sections if len(s.section.phase_indexes) > 1).picks


def test_the_hiit_block_follows_the_work_tempo_by_default():
    """By default every track of HIIT's Sprint / Easy block is aimed at the sprints' 172 BPM."""
    picks = block_picks(generate(helpers.pool(2000), template("hiit")))
    assert picks and all(p.target_tempo == pytest.approx(172) for p in picks)


def test_the_hiit_block_follows_the_work_energy_by_default():
    """By default the block's tracks are aimed at the sprints' energy, 0.95."""
    picks = block_picks(generate(helpers.pool(2000), template("hiit")))
    assert all(p.target_energy == pytest.approx(0.95) for p in picks)


def test_the_hiit_block_tracks_are_heard_near_the_work_tempo():
    """The block's music plays near 172 BPM (double or half time counted), not at the 145 BPM mean."""
    picks = block_picks(generate(helpers.pool(2000), template("hiit")))
    assert all(abs(p.tempo * p.tempo_factor - 172) <= 8 for p in picks)


def test_average_keeps_the_mean_of_work_and_rest():
    """interval_music "average": the block's targets are the plan's own mean over each track, about 145 BPM."""
    plan = hiit("average")
    picks = block_picks(generate(helpers.pool(2000), plan))
    for pick in picks:
        expected = plan.mean_target(pick.start_s, pick.start_s + pick.duration_s)
        assert (pick.target_tempo, pick.target_energy) == pytest.approx(expected)
    inside = [p for p in picks if p.start_s >= 480 + 60 and p.start_s + p.duration_s <= 480 + 960 - 60]
    assert inside and all(130 <= p.target_tempo <= 160 for p in inside)


def test_the_merged_section_says_it_follows_the_work_intervals():
    """The HIIT block's section says in words what its music follows, with the tempo."""
    block = template("hiit").sections()[1]
    assert block.music_follows == "the work intervals (172 BPM)"


def test_the_merged_section_says_it_follows_the_average():
    """With "average" the block's section says so, with the time-weighted mean tempo."""
    block = hiit("average").sections()[1]
    assert block.music_follows == "the average of work and rest (145 BPM)"


def test_single_phase_sections_say_nothing_about_intervals():
    """Warm-up and cool-down are sections of their own, with nothing about intervals."""
    sections = template("hiit").sections()
    assert sections[0].music_follows == sections[2].music_follows == ""


def test_work_is_the_phases_above_the_mean_whatever_their_kind_or_name():
    """A block labelled all "steady" still follows its faster phases."""
    plan = helpers.plan(*[("steady", 90, tempo, 0.6) for tempo in (150, 120) * 4])
    assert plan.sections()[0].music_target == pytest.approx((150, 0.6))


def test_a_block_of_equal_tempo_follows_the_higher_energy():
    """Same tempo throughout: the work intervals are the phases asking for more energy."""
    plan = helpers.plan(*[("steady", 60, 130, energy) for energy in (0.9, 0.5) * 5])
    assert plan.sections()[0].music_target == pytest.approx((130, 0.9))


def test_a_block_asking_the_same_throughout_keeps_its_targets():
    """Short phases that all ask for the same tempo and energy have no work intervals to follow."""
    plan = helpers.plan(*[("steady", 60, 130, 0.6)] * 6)
    assert plan.sections()[0].music_target is None and plan.music_plan() is plan


def test_uneven_work_intervals_are_weighted_by_time():
    """Work at 170 for 2 min and 160 for 1 min: the block follows 166.7 BPM."""
    plan = helpers.plan(("interval", 120, 170, 0.9), ("recovery", 60, 110, 0.5), ("interval", 60, 160, 0.9))
    assert plan.sections()[0].music_target[0] == pytest.approx(500 / 3)


def test_long_intervals_still_alternate():
    """Intervals of a song's length or more are sections of their own and the music alternates with them."""
    phases = [("interval", 360, 170, 0.9), ("recovery", 300, 120, 0.5)] * 3
    plan = helpers.plan(*phases)
    result = generate(helpers.pool(2000), plan)
    assert len(result.sections) == 6
    assert all(s.section.music_follows == "" for s in result.sections)
    means = [sum(p.target_tempo for p in s.picks) / len(s.picks) for s in result.sections]
    assert all(m > 160 for m in means[::2]) and all(m < 130 for m in means[1::2])


def test_plan_round_trip_keeps_interval_music():
    """to_dict and from_dict keep "average"."""
    assert PlanSpec.from_dict(hiit("average").to_dict()).interval_music == "average"


def test_a_plan_without_the_setting_follows_the_work_intervals():
    """A stored plan snapshot written before the setting existed loads, with the default "work"."""
    data = template("hiit").to_dict()
    del data["interval_music"]
    assert PlanSpec.from_dict(data).interval_music == "work"


def test_an_unknown_interval_music_is_refused_with_the_choices():
    """A plan file asking for something else is told what it may ask for."""
    data = {**template("hiit").to_dict(), "interval_music": "sprint"}
    with pytest.raises(PlanError, match='interval_music must be "work" or "average"'):
        PlanSpec.from_dict(data)


def test_selecting_a_mix_type_keeps_interval_music():
    """The main set of an "average" plan is still "average"."""
    assert hiit("average").select("main").interval_music == "average"


def interval_plan_file(tmp_path, interval_music):
    phases = [{"kind": "interval", "duration_s": 60, "tempo_bpm": 172, "energy": 0.95},
              {"kind": "recovery", "duration_s": 60, "tempo_bpm": 118, "energy": 0.55}] * 6  # fmt: skip
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"name": "Intervals", "phases": phases, "interval_music": interval_music}))
    return path


def mix_tempos(tmp_path, interval_music) -> list[float]:
    """The tempo readings (nearest 172 of x, 2x, x/2) of generate_mix --json's tracks for an intervals plan file."""
    rows = [(r.key, r.title, r.artists[0], r.genre, r.tempo, r.energy, r.duration_ms) for r in helpers.records(1500)]
    catalog = helpers.write_tidy(tmp_path / "spotify_songs.csv", rows)
    out = StringIO()
    call_command(
        "generate_mix", "--plan", interval_plan_file(tmp_path, interval_music), "--catalog", catalog, "--json",
        stdout=out,
    )  # fmt: skip
    tracks = [t for phase in json.loads(out.getvalue())["phases"] for t in phase["tracks"]]
    return [min((t["tempo"] * f for f in (1, 2, 0.5)), key=lambda x: abs(x - 172)) for t in tracks]


def test_generate_mix_plan_file_follows_the_work_intervals_by_default(tmp_path):
    """generate_mix's plan JSON with "interval_music": "work": every track plays near 172 BPM."""
    assert all(abs(tempo - 172) <= 8 for tempo in mix_tempos(tmp_path, "work"))


def test_generate_mix_plan_file_takes_average(tmp_path):
    """generate_mix's plan JSON with "interval_music": "average": tracks aim at the mean, well below 172 BPM."""
    assert any(abs(tempo - 172) > 12 for tempo in mix_tempos(tmp_path, "average"))


def test_generate_mix_refuses_an_unknown_interval_music(tmp_path):
    """A plan file with "interval_music": "fast" is a CommandError naming the choices."""
    rows = [(r.key, r.title, r.artists[0], r.genre, r.tempo, r.energy, r.duration_ms) for r in helpers.records(200)]
    catalog = helpers.write_tidy(tmp_path / "spotify_songs.csv", rows)
    with pytest.raises(CommandError, match='interval_music must be "work" or "average"'):
        call_command("generate_mix", "--plan", interval_plan_file(tmp_path, "fast"), "--catalog", catalog)
