"""The taste model (mixes.engine.taste): neutral, monotone, generalising, forgetting, deterministic."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mixes.engine.pool import Pool
from mixes.engine.taste import HALF_LIFE_DAYS, Evidence, Forget, Taste, fit
from tests.mixes.engine.helpers import track


def catalog(per_genre: int = 30, genres=("metal", "pop", "jazz")) -> Pool:
    """Tracks that differ only by genre and artist: one artist per track, all else equal."""
    return Pool.from_records(
        [
            track(f"{genre}{i}", artists=(f"{genre} artist {i}",), genre=genre)
            for genre in genres
            for i in range(per_genre)
        ]
    )


def evidence(pool: Pool, signals, avoided=()) -> Evidence:
    """Evidence from (track key, kind) or (track key, kind, age in days) tuples."""
    rows = [(s[0], s[1], s[2] if len(s) > 2 else 0.0) for s in signals]
    return Evidence(
        pool=pool,
        track=np.array([pool.index_of(key) for key, _, _ in rows], dtype=np.int64),
        kind=[kind for _, kind, _ in rows],
        age_days=np.array([age for _, _, age in rows], dtype=np.float64),
        count=np.ones(len(rows)),
        avoided_artists=tuple(avoided),
    )


def score_of(taste: Taste, pool: Pool, key: str) -> float:
    return float(taste.apply(pool, np.array([pool.index_of(key)])).mean[0])


def test_without_evidence_the_model_is_neutral():
    """No evidence: no weights, and every track scores exactly 0."""
    pool = catalog()
    taste = fit(Evidence.empty(pool))
    assert taste.is_neutral
    assert not taste.apply(pool).mean.any()


def test_skipping_twenty_metal_songs_lowers_the_twenty_first():
    """It generalises over what a track is: an unseen metal track scores below an unseen pop track."""
    pool = catalog()
    taste = fit(evidence(pool, [(f"metal{i}", "skip") for i in range(20)] + [(f"pop{i}", "play") for i in range(20)]))
    assert score_of(taste, pool, "metal25") < 0 < score_of(taste, pool, "pop25")


def test_a_little_evidence_moves_the_model_a_little():
    """One skip moves an unseen track of the genre less than ten skips do."""
    pool = catalog()
    one = fit(evidence(pool, [("metal0", "skip")]))
    ten = fit(evidence(pool, [(f"metal{i}", "skip") for i in range(10)]))
    assert score_of(ten, pool, "metal25") < score_of(one, pool, "metal25") < 0
    assert abs(score_of(one, pool, "metal25")) < 1


@settings(max_examples=25, deadline=None)
@given(skips=st.integers(0, 15), extra=st.integers(1, 5))
def test_more_negative_evidence_never_raises_the_score(skips, extra):
    """Monotone: adding skips of a genre never raises an unseen track of that genre."""
    pool = catalog(per_genre=25)
    base = [(f"pop{i}", "play") for i in range(5)]
    fewer = fit(evidence(pool, base + [(f"metal{i}", "skip") for i in range(skips)]))
    more = fit(evidence(pool, base + [(f"metal{i}", "skip") for i in range(skips + extra)]))
    assert score_of(more, pool, "metal24") <= score_of(fewer, pool, "metal24") + 1e-9


def test_recent_evidence_counts_more_than_old():
    """The same skips a year and a half ago move the model less than today's."""
    pool = catalog()
    skips = [f"metal{i}" for i in range(10)]
    today = fit(evidence(pool, [(key, "skip") for key in skips]))
    old = fit(evidence(pool, [(key, "skip", 3 * HALF_LIFE_DAYS) for key in skips]))
    assert score_of(today, pool, "metal25") < score_of(old, pool, "metal25") < 0


def test_a_forgotten_dislike_is_gone():
    """Forgetting "metal" leaves no learned dislike of it, and unseen metal is neutral again."""
    pool = catalog()
    signals = [(f"metal{i}", "skip", 2.0) for i in range(15)]
    taste = fit(evidence(pool, signals), forgotten=[Forget("genre:metal", age_days=1.0)])
    assert "genre:metal" not in [learned.feature for learned in taste.learned()]
    assert score_of(taste, pool, "metal25") == 0


def test_evidence_after_the_forget_still_counts():
    """What the person does after forgetting teaches the model again."""
    pool = catalog()
    signals = [(f"metal{i}", "skip", 0.0) for i in range(15)]
    taste = fit(evidence(pool, signals), forgotten=[Forget("genre:metal", age_days=1.0)])
    assert score_of(taste, pool, "metal25") < 0


def test_the_fit_is_deterministic():
    """The same evidence gives the same model, to the last digit."""
    pool = catalog()
    signals = [(f"metal{i}", "skip") for i in range(8)] + [(f"jazz{i}", "play") for i in range(8)]
    assert fit(evidence(pool, signals)).to_dict() == fit(evidence(pool, signals)).to_dict()


def test_unfamiliar_music_is_more_uncertain():
    """A genre the evidence never touched has a larger uncertainty than one it saw often."""
    pool = catalog()
    taste = fit(evidence(pool, [(f"pop{i}", "play") for i in range(20)]))
    sd = taste.apply(pool).sd
    assert sd[pool.index_of("jazz25")] > sd[pool.index_of("pop25")]


def test_a_never_play_artist_is_strongly_avoided():
    """A never-play artist weighs as much as many skips, with no track of theirs in the evidence."""
    pool = catalog()
    taste = fit(evidence(pool, [], avoided=["Metal Artist 3"]))
    assert taste.weight("artist:metal artist 3") < -1
    assert taste.attributes["artist:metal artist 3"].avoided


def test_the_evidence_is_told_in_counts():
    """A learned dislike says what it rests on: "skipped 14 of 16 metal tracks"."""
    pool = catalog()
    signals = [(f"metal{i}", "skip") for i in range(14)] + [(f"metal{i}", "play") for i in range(14, 16)]
    learned = {item.feature: item for item in fit(evidence(pool, signals)).learned()}
    assert not learned["genre:metal"].liked
    assert learned["genre:metal"].evidence == "skipped 14 of 16 metal tracks"


def test_a_stored_model_scores_as_the_fitted_one():
    """to_dict / from_dict keep everything the scores and the words need."""
    pool = catalog()
    taste = fit(evidence(pool, [(f"metal{i}", "skip") for i in range(6)] + [("pop1", "like")]))
    again = Taste.from_dict(taste.to_dict())
    assert np.allclose(again.apply(pool).mean, taste.apply(pool).mean, atol=1e-4)
    assert again.learned()[0].evidence == taste.learned()[0].evidence


def test_audio_features_and_length_are_learned():
    """Skipping long songs lowers an unseen long song, whatever its genre and artist."""
    records = [track(f"long{i}", artists=(f"A{i}",), duration_ms=420_000) for i in range(15)]
    records += [track(f"short{i}", artists=(f"B{i}",), duration_ms=200_000) for i in range(15)]
    pool = Pool.from_records(records)
    signals = [(f"long{i}", "skip") for i in range(12)] + [(f"short{i}", "play") for i in range(12)]
    taste = fit(evidence(pool, signals))
    assert score_of(taste, pool, "long14") < score_of(taste, pool, "short14")
