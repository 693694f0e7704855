"""Seeds say what happened: the generator's SeedNote for each seed artist and genre."""

from mixes.engine.generator import generate
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences
from mixes.engine.seeds import closest_slot
from tests.mixes.engine import helpers


def pool_with(*extra) -> Pool:
    return Pool.from_records(helpers.records(1500) + list(extra))


def daft_punk_tracks():
    return [
        helpers.track(f"dp{i}", artists=("Daft Punk",), tempo=tempo, energy=0.7)
        for i, tempo in enumerate((116.0, 119.0, 121.0, 123.0))
    ]


def note_for(result, name):
    return next(n for n in result.notes if isinstance(n, dict) and n["seed"] == name)


def test_a_seed_artist_that_fits_counts_its_tracks():
    """A seed artist with tracks at the plan's tempo gets a note with how many made it."""
    theirs = [helpers.track(f"s{i}", artists=("Seedy",), tempo=160.0 + i) for i in range(3)]
    result = generate(pool_with(*theirs), helpers.steady(1200), Preferences(seed_artists=frozenset({"Seedy"})))
    note = note_for(result, "Seedy")
    in_mix = sum(p.key.startswith("s") for p in result.picks)
    assert note["count"] == in_mix > 0 and note["text"] == f"Seedy: {in_mix} track{'s' * (in_mix != 1)} in this mix."


def test_a_seed_artist_too_slow_for_the_plan_says_why_and_names_the_closest():
    """Daft Punk at 116–123 BPM seeded for a 160 BPM run: no track near 160; the closest is 123."""
    result = generate(
        pool_with(*daft_punk_tracks()), helpers.steady(1200), Preferences(seed_artists=frozenset({"Daft Punk"}))
    )
    note = note_for(result, "Daft Punk")
    assert note["count"] == 0 and note["reason"] == "tempo" and note["track"] == "dp3"
    assert str(note) == "Daft Punk: no track near 160 BPM; closest 123 BPM."


def test_a_seed_genre_that_fits_counts_its_tracks():
    """A seed genre gets a note counting its tracks in the mix."""
    result = generate(helpers.pool(1500), helpers.steady(1200), Preferences(seed_genres=frozenset({"edm"})))
    note = note_for(result, "edm")
    assert note["seed_type"] == "genre" and note["count"] > 0


def test_an_unknown_seed_artist_is_said_to_be_missing():
    """A seed artist not in the music at all gets a note saying so, with nothing to offer."""
    result = generate(helpers.pool(1500), helpers.steady(1200), Preferences(seed_artists=frozenset({"Nobody"})))
    note = note_for(result, "Nobody")
    assert note["reason"] == "missing" and "track" not in note


def test_without_seeds_there_are_no_seed_notes():
    """No seeds, no seed notes."""
    result = generate(helpers.pool(1500), helpers.steady(1200))
    assert not [n for n in result.notes if isinstance(n, dict)]


def test_closest_slot_is_where_the_target_tempo_is_nearest():
    """A 123 BPM track fits the slot of a warm-up ramp nearest 123 BPM, not the 160 BPM main set."""
    pool = pool_with(*daft_punk_tracks())
    plan = helpers.plan(("warm_up", 600, [100, 150], 0.7), ("steady", 1200, 160, 0.7))
    result = generate(pool, plan)
    keys = [[p.key for p in s.picks] for s in result.sections]
    free = [(p.section, slot) for s in result.sections for slot, p in enumerate(s.picks)]
    section, slot = closest_slot(pool, plan, keys, "dp3", free)
    target = result.sections[section].picks[slot].target_tempo
    assert section == 0 and all(abs(target - 123) <= abs(p.target_tempo - 123) + 8 for p in result.picks)
