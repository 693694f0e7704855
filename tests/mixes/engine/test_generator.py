"""The generator: durations, ramps, the no-repeat and spacing rules, locks, filters, seeds, swaps and rescoring."""

import numpy as np
import pytest

from mixes.engine.fill import Curve
from mixes.engine.generator import Locked, generate, replacement, rescore
from mixes.engine.metrics import duplicates, spacing_violations
from mixes.engine.plan import template
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Weights
from music.normalize import song_key
from tests.mixes.engine import helpers
from tests.mixes.engine.helpers import records, section_totals, track

W = Weights()
P = Preferences()


@pytest.fixture(scope="module")
def rich():
    return helpers.pool(3000, seed=1)


def three_phase_plan():
    return helpers.plan(
        ("warm_up", 480, [110, 150], [0.45, 0.65]),
        ("steady", 1200, 160, 0.7),
        ("cool_down", 360, [140, 100], [0.6, 0.4]),
    )


def keys(result) -> list[str]:
    return [p.key for p in result.picks]


def test_each_section_is_filled_to_its_duration(rich):
    """On a rich pool every section ends within a few seconds of its duration."""
    plan = three_phase_plan()
    result = generate(rich, plan, seed=3)
    for total, section in zip(section_totals(result), plan.sections(), strict=True):
        assert abs(total - section.duration_s) <= 5
    assert result.notes == []


def test_ramp_is_followed_track_by_track(rich):
    """Through a 100→160 BPM ramp the tracks' tempo climbs with the target, within a few BPM of it."""
    plan = helpers.plan(("warm_up", 1500, [100, 160], [0.4, 0.8]))
    picks = generate(rich, plan, seed=0).picks
    heard = [p.tempo * p.tempo_factor for p in picks]
    assert all(abs(h - p.target_tempo) <= 4 for h, p in zip(heard, picks, strict=True))
    assert heard[-1] - heard[0] >= 35
    assert [p.target_tempo for p in picks] == sorted(p.target_tempo for p in picks)


def test_targets_are_the_plan_mean_over_each_track():
    """A pick's target is the plan's mean target over the span it plays."""
    pool = helpers.pool(1500)
    plan = three_phase_plan()
    for pick in generate(pool, plan).picks:
        expected = plan.mean_target(pick.start_s, pick.start_s + pick.duration_s)
        assert (pick.target_tempo, pick.target_energy) == pytest.approx(expected)


def test_curve_mean_matches_plan_mean_target():
    """The vectorized target curve gives what PlanSpec.mean_target gives, across phases and past the end."""
    plan = template("hiit")
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, plan.duration_s, 200)
    ends = starts + rng.uniform(30, 400, 200)
    tempo, energy = Curve(plan).mean(starts, ends)
    expected = np.array([plan.mean_target(s, e) for s, e in zip(starts, ends, strict=True)])
    assert np.allclose(tempo, expected[:, 0])
    assert np.allclose(energy, expected[:, 1])


def test_no_song_twice_even_under_other_titles():
    """ "Song - Remastered 2011" and "Song (feat. X)" never join "Song" in a mix."""
    variants = []
    for i in range(150):
        tempo = 155 + i % 10
        artist = f"Band {i % 40}"
        variants += [
            track(f"{i}a", f"Hit {i}", (artist,), tempo=tempo),
            track(f"{i}b", f"Hit {i} - Remastered 2011", (artist,), tempo=tempo),
            track(f"{i}c", f"Hit {i} (feat. Guest)", (artist, "Guest")),
        ]
    pool = Pool.from_records(variants)
    picks = generate(pool, helpers.steady(2400)).picks
    songs = [song_key(pool.titles[p.index], pool.artists(p.index)[0]) for p in picks]
    assert len(picks) > 8
    assert len(set(songs)) == len(songs)


def test_no_artist_within_three_consecutive_tracks():
    """With only six artists, each track still shares no artist with the two before it."""
    pool = Pool.from_records(records(600, seed=2, artists=6))
    result = generate(pool, three_phase_plan())
    assert len(result.picks) > 8
    assert spacing_violations(pool, [p.index for p in result.picks]) == 0


def test_featured_artists_count_for_spacing():
    """A featured credit counts: "A feat. B" is not placed next to a track by B."""
    tracks = [track(f"a{i}", artists=("A", "B")) for i in range(20)] + [
        track(f"b{i}", artists=("B",)) for i in range(20)
    ]
    tracks += [track(f"c{i}", artists=(f"C{i}",)) for i in range(40)]
    pool = Pool.from_records(tracks)
    picks = generate(pool, helpers.steady(3000)).picks
    assert spacing_violations(pool, [p.index for p in picks]) == 0


def test_locked_tracks_stay_at_their_slot(rich):
    """A locked track is placed at its (section, slot), marked locked, and not repeated elsewhere."""
    plan = three_phase_plan()
    first = generate(rich, plan, seed=1)
    outsider = next(k for k in rich.keys if k not in keys(first))
    locks = [Locked(section=1, slot=2, key=outsider), Locked(section=0, slot=0, key=first.sections[2].picks[0].key)]
    result = generate(rich, plan, seed=2, locked=locks)
    assert result.sections[1].picks[2].key == outsider
    assert result.sections[1].picks[2].locked
    assert result.sections[0].picks[0].key == locks[1].key
    assert keys(result).count(outsider) == 1
    assert duplicates(rich, [p.index for p in result.picks]) == 0


def test_tracks_next_to_a_lock_avoid_its_artist():
    """The free tracks around a locked track do not share its artist, though that artist fits best."""
    tracks = [track(f"s{i}", artists=("Star",), duration_ms=200_000 + i * 1000) for i in range(30)]
    tracks += [track(f"o{i}", artists=(f"Other {i}",), tempo=163.0, duration_ms=180_000 + i * 2000) for i in range(60)]
    pool = Pool.from_records(tracks)
    result = generate(pool, helpers.steady(2400), locked=[Locked(0, 3, "s0")])
    assert result.picks[3].key == "s0"
    assert spacing_violations(pool, [p.index for p in result.picks]) == 0


def test_excluded_keys_are_never_chosen(rich):
    """Keys the person removed do not come back."""
    plan = three_phase_plan()
    removed = frozenset(keys(generate(rich, plan)))
    assert not removed & set(keys(generate(rich, plan, exclude_keys=removed)))


def test_explicit_tracks_are_left_out_when_not_allowed():
    """explicit_allowed=False keeps explicit tracks out of the mix."""
    tracks = [
        track(f"{i}", artists=(f"A{i % 30}",), explicit=i % 2 == 0, duration_ms=170_000 + i * 900) for i in range(200)
    ]
    pool = Pool.from_records(tracks)
    picks = generate(pool, helpers.steady(1800), Preferences(explicit_allowed=False)).picks
    assert picks
    assert not any(pool.explicit[p.index] for p in picks)


def test_excluded_artists_are_left_out_even_when_featured():
    """An excluded artist's tracks, led or featured, are never chosen."""
    tracks = [track(f"x{i}", artists=(f"A{i}", "Nope")) for i in range(50)]
    tracks += [track(f"y{i}", artists=(f"B{i}",), duration_ms=150_000 + i * 3000) for i in range(50)]
    pool = Pool.from_records(tracks)
    picks = generate(pool, helpers.steady(1800), Preferences(excluded_artists=frozenset({"NOPE"}))).picks
    assert picks
    assert all("Nope" not in pool.artists(p.index) for p in picks)


def test_too_small_catalog_gives_a_partial_mix_and_a_note():
    """Three songs for a 20-minute phase: they are all used, and the note says how short the mix is."""
    pool = Pool.from_records([track(f"{i}", artists=(f"A{i}",)) for i in range(3)])
    result = generate(pool, helpers.plan(("cool_down", 1200, 120, 0.4)))
    assert len(result.picks) == 3
    assert result.notes == ["The catalog had too little music for cool_down 0: it is 10 min short."]


def test_one_track_catalog_gives_that_track():
    """A catalog of one song still gives a (short) mix, not an error."""
    result = generate(Pool.from_records([track("only")]), helpers.steady(420))
    assert [p.key for p in result.picks] == ["only"]
    assert result.notes == ["The catalog had too little music for steady 0: it is 4 min short."]


def test_tracks_without_tempo_are_left_out_with_a_note():
    """Tracks without a tempo are never chosen, and the notes count them."""
    tracks = [track(f"n{i}", tempo=None) for i in range(12)] + records(400)
    result = generate(Pool.from_records(tracks), helpers.steady(600))
    assert not any(p.key.startswith("n") for p in result.picks)
    assert "12 tracks without a tempo or energy were left out." in result.notes


def test_locked_key_missing_from_the_catalog_is_noted(rich):
    """A lock on a track the catalog no longer has is reported, not an error."""
    result = generate(rich, helpers.steady(600), locked=[Locked(0, 0, "gone")])
    assert "1 track you locked is no longer in the catalog." in result.notes


def test_same_seed_gives_the_same_mix(rich):
    """Deterministic for a given seed."""
    plan = three_phase_plan()
    assert keys(generate(rich, plan, seed=7)) == keys(generate(rich, plan, seed=7))


def test_different_seeds_give_different_mixes(rich):
    """Another seed, another take."""
    plan = three_phase_plan()
    assert keys(generate(rich, plan, seed=1)) != keys(generate(rich, plan, seed=2))


def test_hiit_intervals_are_one_section_filled_to_length(rich):
    """HIIT's sixteen 1-minute phases form one section, filled to its 16 minutes."""
    plan = template("hiit")
    result = generate(rich, plan)
    assert [s.section.name for s in result.sections] == ["Warm-up", "Sprint / Easy ×8", "Cool-down"]
    assert abs(section_totals(result)[1] - 16 * 60) <= 5


def test_seed_artist_tracks_are_preferred():
    """A seed artist's tracks 4 BPM off the target are chosen over exact fits by others."""
    star = [track(f"star{i}", artists=("Star",), tempo=164.0, duration_ms=180_000 + 9_000 * i) for i in range(8)]
    pool = Pool.from_records(star + records(3000, seed=4))
    plain = generate(pool, helpers.steady(1800), seed=1)
    seeded = generate(pool, helpers.steady(1800), Preferences(seed_artists=frozenset({"star"})), seed=1)
    count = [sum(p.key.startswith("star") for p in r.picks) for r in (plain, seeded)]
    assert count[0] == 0
    assert count[1] >= 2


def mix_of(pool, result) -> list[list[str]]:
    return [[p.key for p in section.picks] for section in result.sections]


def test_replacement_is_new_to_the_mix_and_respects_spacing(rich):
    """A swap never brings back a track (or song) already in the mix, nor a neighbour's artist."""
    plan = three_phase_plan()
    result = generate(rich, plan)
    sections = mix_of(rich, result)
    pick = replacement(rich, plan, sections, 1, 2, P, W)
    flat = [k for keys in sections for k in keys]
    position = len(sections[0]) + 2
    assert pick.key not in flat
    assert pick.section == 1
    neighbours = {
        a for k in flat[position - 2 : position + 3] if k != flat[position] for a in rich.artists(rich.index_of(k))
    }
    assert not neighbours & set(rich.artists(pick.index))


def test_replacement_skips_another_edition_of_a_song_in_the_mix():
    """A remaster of a song already in the mix is not a replacement, however well it fits."""
    tracks = [track("keep", "Anthem", ("Band",)), track("old", "Old", ("X",), tempo=150.0)]
    tracks += [track("remaster", "Anthem - Remastered 2011", ("Band",))]
    tracks += [track(f"f{i}", artists=(f"F{i}",), tempo=150.0 + i) for i in range(5)]
    pool = Pool.from_records(tracks)
    pick = replacement(pool, helpers.steady(400), [["keep", "old"]], 0, 1, P, W)
    assert pick.key != "remaster"


def test_replacement_prefers_a_duration_close_to_the_replaced_track():
    """Between two equally fitting tracks, the one nearer the old track's length wins."""
    tracks = [track("old", duration_ms=200_000, artists=("O",))]
    tracks += [track("long", duration_ms=320_000, artists=("L",)), track("close", duration_ms=205_000, artists=("C",))]
    pool = Pool.from_records(tracks)
    assert replacement(pool, helpers.steady(400), [["old"]], 0, 0, P, W).key == "close"


def test_replacement_respects_excluded_keys():
    """Keys excluded by the caller are not offered."""
    tracks = [track("old", artists=("O",)), track("a", artists=("A",)), track("b", artists=("B",), tempo=150.0)]
    pool = Pool.from_records(tracks)
    assert replacement(pool, helpers.steady(400), [["old"]], 0, 0, P, W, exclude_keys=frozenset({"a"})).key == "b"


def test_replacement_is_none_when_nothing_qualifies():
    """If every other track is in the mix or by a neighbour's artist, there is no swap."""
    pool = Pool.from_records([track("a", artists=("A",)), track("b", artists=("B",)), track("c", artists=("A",))])
    assert replacement(pool, helpers.steady(600), [["a", "b"]], 0, 1, P, W) is None


def test_rescore_follows_an_edited_order(rich):
    """After a move, start times run on from the new order and targets follow them."""
    plan = three_phase_plan()
    sections = mix_of(rich, generate(rich, plan))
    sections[1].insert(0, sections[1].pop())
    picks = [p for section in rescore(rich, plan, sections, P, W) for p in section]
    assert [p.key for p in picks] == [k for keys in sections for k in keys]
    starts = np.cumsum([0] + [p.duration_s for p in picks[:-1]])
    assert [p.start_s for p in picks] == pytest.approx(starts.tolist())
    assert (picks[5].target_tempo, picks[5].target_energy) == pytest.approx(
        plan.mean_target(picks[5].start_s, picks[5].start_s + picks[5].duration_s)
    )


def test_rescore_reads_a_corrected_tempo():
    """After a BPM fix (82 → 164), the track reads at its own tempo, not in double time."""
    plan = helpers.steady(600, tempo=164)
    before = rescore(Pool.from_records([track("a", tempo=82.0)]), plan, [["a"]], P, W)[0][0]
    after = rescore(Pool.from_records([track("a", tempo=164.0)]), plan, [["a"]], P, W)[0][0]
    assert (before.tempo_factor, after.tempo_factor) == (2.0, 1.0)
    assert "double time" in before.why and "matches the 164 BPM target" in after.why


def test_rescore_raises_for_an_unknown_key(rich):
    """A key the pool does not have is a KeyError."""
    with pytest.raises(KeyError):
        rescore(rich, helpers.steady(600), [["nope"]], P, W)


def test_seed_artist_tracks_compete_beyond_the_narrow_window():
    """On a pool dense around the target, a seed artist's track 3.5 BPM off is still considered, and wins."""
    exact = [track(f"e{i}", artists=(f"E{i}",), duration_ms=150_000 + 97 * i) for i in range(1500)]
    star = [track(f"star{i}", artists=("Star",), tempo=163.5, duration_ms=200_000 + 5_000 * i) for i in range(6)]
    pool = Pool.from_records(exact + star)
    picks = generate(pool, helpers.steady(1800), Preferences(seed_artists=frozenset({"Star"}))).picks
    assert any(p.key.startswith("star") for p in picks)
