"""The generator with a person in it: "familiar or new" as a share, taste deciding near-ties, exploration, words."""

import dataclasses

import numpy as np
import pytest

from mixes.engine.generator import generate
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Weights, explain
from mixes.engine.taste import Evidence, fit
from tests.mixes.engine import helpers
from tests.mixes.engine.helpers import track

W = Weights()


def with_history(n_known: int = 400, seed: int = 2) -> Pool:
    """A 3,000-track pool whose first n_known tracks the person has played."""
    rows = helpers.records(3000, seed=seed)
    return Pool.from_records([dataclasses.replace(r, plays=3) if i < n_known else r for i, r in enumerate(rows)])


def known_share(result) -> float:
    return sum(p.known for p in result.picks) / len(result.picks)


def taught(pool: Pool, signals) -> Pool:
    """The pool with a taste model fitted to (key, kind) signals."""
    evidence = Evidence(
        pool=pool,
        track=np.array([pool.index_of(key) for key, _ in signals], dtype=np.int64),
        kind=[kind for _, kind in signals],
        age_days=np.zeros(len(signals)),
        count=np.ones(len(signals)),
    )
    pool.taste = fit(evidence).bind(pool)
    return pool


@pytest.fixture(scope="module")
def known_pool():
    return with_history()


def test_at_zero_no_known_track_is_chosen(known_pool):
    """Familiar or new at 0: none of the mix is music the person knows."""
    result = generate(known_pool, helpers.steady(1800), Preferences(familiarity=0), W, seed=1)
    assert known_share(result) == 0


def test_at_one_every_slot_a_known_track_can_fill_gets_one(known_pool):
    """Familiar or new at 100: with plenty of known tracks at the tempo, (nearly) the whole mix is known."""
    result = generate(known_pool, helpers.steady(1800), Preferences(familiarity=1), W, seed=1)
    assert known_share(result) >= 0.9


def test_in_between_the_share_follows_the_setting(known_pool):
    """Familiar or new at 50: about half the mix is known."""
    result = generate(known_pool, helpers.steady(2400), Preferences(familiarity=0.5), W, seed=1)
    assert 0.35 <= known_share(result) <= 0.65


def test_familiar_keeps_the_section_on_its_duration(known_pool):
    """Drawing on known music does not cost the fit: the section still ends within a few seconds."""
    result = generate(known_pool, helpers.steady(1800), Preferences(familiarity=1), W, seed=1)
    assert abs(sum(p.duration_s for p in result.picks) - 1800) <= 5


def test_known_tracks_off_the_tempo_are_not_forced_in():
    """At 100 a known track outside the tempo tolerance does not take a slot from one that fits."""
    rows = helpers.records(2000, seed=3)
    rows = [dataclasses.replace(r, plays=5, tempo=100.0) if i < 200 else r for i, r in enumerate(rows)]
    result = generate(Pool.from_records(rows), helpers.steady(1200, tempo=160), Preferences(familiarity=1), W, seed=1)
    assert known_share(result) == 0


def test_taste_decides_between_tracks_that_fit_equally():
    """Two equal fits: the one whose genre the person plays to the end wins over the one they skip."""
    rows = [track(f"m{i}", artists=(f"M{i}",), genre="metal") for i in range(20)]
    rows += [track(f"p{i}", artists=(f"P{i}",), genre="pop") for i in range(20)]
    signals = [(f"m{i}", "skip") for i in range(10)] + [(f"p{i}", "play") for i in range(10)]
    pool = taught(Pool.from_records(rows), signals)
    a, b = pool.index_of("m15"), pool.index_of("p15")
    scores = generate_scores(pool, [a, b])
    assert scores[1] > scores[0]


def test_taste_never_wins_a_slot_far_off_the_tempo():
    """A much-liked 120 BPM song does not beat an unknown 170 BPM one for a 170 BPM slot."""
    rows = [track(f"liked{i}", artists=("Muse",), tempo=120.0) for i in range(12)] + [track("fit", tempo=170.0)]
    pool = taught(Pool.from_records(rows), [(f"liked{i}", "play") for i in range(10)] + [("liked0", "like")])
    scores = generate_scores(pool, [pool.index_of("liked11"), pool.index_of("fit")], tempo=170)
    assert scores[1] > scores[0]


def generate_scores(pool: Pool, indexes, tempo=160.0) -> np.ndarray:
    from mixes.engine.scorer import score

    return score(pool, np.array(indexes), tempo, 0.7, "steady", Preferences(), W).scores


def test_explanation_names_a_skipped_genre():
    """A chosen track of a genre they skip says so: "you often skip metal"."""
    rows = [track(f"m{i}", artists=(f"M{i}",), genre="metal") for i in range(20)]
    pool = taught(Pool.from_records(rows), [(f"m{i}", "skip") for i in range(12)])
    why = explain(pool, pool.index_of("m15"), 160, 0.7, "steady", Preferences(), W)
    assert "you often skip metal" in why


def test_explanation_names_an_artist_played_to_the_end():
    """A Muse track never played here says "like the Muse songs you play to the end"."""
    rows = [track(f"muse{i}", artists=("Muse",)) for i in range(10)] + [track("other", artists=("Other",))]
    pool = taught(Pool.from_records(rows), [(f"muse{i}", "play") for i in range(8)])
    why = explain(pool, pool.index_of("muse9"), 160, 0.7, "steady", Preferences(familiarity=0.2), W)
    assert "like the Muse songs you play to the end" in why


def test_explanation_of_a_new_track_close_to_what_they_like():
    """A new track whose features the person likes, with no artist or genre standing out: "new to you, but close"."""
    rows = [track(f"a{i}", artists=(f"A{i}",), energy=0.9, valence=0.9) for i in range(30)]
    rows += [track("new", artists=("Someone new",), energy=0.9, valence=0.9)]
    pool = taught(Pool.from_records(rows), [(f"a{i}", "play") for i in range(30)])
    why = explain(pool, pool.index_of("new"), 160, 0.9, "steady", Preferences(familiarity=0.2), W)
    assert "new to you, but close to what you like" in why


def test_exploration_slots_are_marked_and_new(known_pool):
    """With a taste model, a mix below familiar 100 gets a few "something new" tracks the person does not know."""
    pool = taught(with_history(), [(f"t{i}", "play") for i in range(50)])
    result = generate(pool, helpers.steady(2400), Preferences(familiarity=0.5), W, seed=1)
    explored = [p for p in result.picks if p.explore]
    assert 1 <= len(explored) <= W.exploration_slots
    assert not any(p.known for p in explored)


def test_no_exploration_at_familiar_one():
    """At familiar 100 there are no exploration slots."""
    pool = taught(with_history(), [(f"t{i}", "play") for i in range(50)])
    result = generate(pool, helpers.steady(2400), Preferences(familiarity=1), W, seed=1)
    assert not any(p.explore for p in result.picks)


def test_a_mix_with_taste_is_deterministic_for_a_seed():
    """Same pool, taste, plan and seed: the same mix."""
    pool = taught(with_history(), [(f"t{i}", "skip") for i in range(30)])
    first = generate(pool, helpers.steady(1800), Preferences(), W, seed=7)
    again = generate(pool, helpers.steady(1800), Preferences(), W, seed=7)
    assert [p.key for p in first.picks] == [p.key for p in again.picks]
