"""The scorer: each component, and the one-line explanation."""

import numpy as np

from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Weights, explain, score
from tests.mixes.engine.helpers import track

DEFAULT = Preferences()
W = Weights()


def scores_of(pool, target_tempo=160.0, target_energy=0.7, kind="steady", prefs=DEFAULT, weights=W):
    return score(pool, np.arange(len(pool)), target_tempo, target_energy, kind, prefs, weights)


def test_half_time_track_fits_a_fast_target():
    """An 85 BPM song fits a 170 cadence as well as a 170 BPM song does, read in double time."""
    pool = Pool.from_records([track("a", tempo=85.0), track("b", tempo=170.0), track("c", tempo=130.0)])
    result = scores_of(pool, target_tempo=170)
    assert result.tempo_factor.tolist() == [2.0, 1.0, 1.0]
    assert result.scores[0] == result.scores[1] > result.scores[2]


def test_double_time_track_fits_a_slow_target():
    """A 180 BPM song is read at half time (90) for a 90 BPM target."""
    pool = Pool.from_records([track("a", tempo=180.0)])
    result = scores_of(pool, target_tempo=90)
    assert result.tempo_factor[0] == 0.5
    assert result.tempo_error[0] == 0


def test_tempo_fit_falls_off_with_the_error():
    """Closer tempo, higher score."""
    pool = Pool.from_records([track("a", tempo=160.0), track("b", tempo=164.0), track("c", tempo=172.0)])
    scores = scores_of(pool).scores
    assert scores[0] > scores[1] > scores[2]


def test_energy_fit_prefers_the_closer_energy():
    """Closer energy, higher score."""
    pool = Pool.from_records([track("a", energy=0.7), track("b", energy=0.78), track("c", energy=0.4)])
    scores = scores_of(pool).scores
    assert scores[0] > scores[1] > scores[2]


def test_track_without_tempo_gets_no_tempo_credit():
    """An unknown tempo scores no tempo fit and keeps factor 1."""
    pool = Pool.from_records([track("a", tempo=None), track("b")])
    result = scores_of(pool)
    assert result.tempo_factor[0] == 1.0
    assert result.parts["tempo"][0] == 0
    assert result.scores[0] < result.scores[1]


def test_seed_artist_matches_whatever_the_case_and_accents():
    """ "beyonce" as a seed matches a track credited to "Beyoncé", as a featured artist too."""
    pool = Pool.from_records([track("a", artists=("Jay-Z", "Beyoncé")), track("b", artists=("Other",))])
    result = scores_of(pool, prefs=Preferences(seed_artists=frozenset({"beyonce"})))
    assert result.parts["seed_artist"].tolist() == [W.seed_artist, 0.0]


def test_seed_genre_adds_its_weight():
    """A track in a seed genre scores the seed-genre weight more."""
    pool = Pool.from_records([track("a", genre="Rock"), track("b", genre="pop")])
    result = scores_of(pool, prefs=Preferences(seed_genres=frozenset({"rock"})))
    assert result.scores[0] - result.scores[1] == W.seed_genre


def test_liked_track_beats_a_skipped_one():
    """Feedback: liked is positive, skipped and removed are negative."""
    pool = Pool.from_records([track("a", liked=True), track("b"), track("c", plays=4, skips=4), track("d", removed=2)])
    feedback = scores_of(pool).parts["feedback"]
    assert feedback[0] > feedback[1] == 0 > feedback[2]
    assert feedback[3] < 0


def test_familiar_setting_prefers_known_tracks():
    """familiarity 1 ranks a much-played track above a new one."""
    pool = Pool.from_records([track("a", plays=30), track("b")])
    scores = scores_of(pool, prefs=Preferences(familiarity=1.0)).scores
    assert scores[0] > scores[1]


def test_discover_setting_prefers_new_tracks():
    """familiarity 0 ranks a new track above a much-played one."""
    pool = Pool.from_records([track("a", plays=30), track("b")])
    scores = scores_of(pool, prefs=Preferences(familiarity=0.0)).scores
    assert scores[1] > scores[0]


def test_top_and_saved_tracks_count_as_familiar_without_plays():
    """A Spotify top track, then a saved one, rank above an unknown track for someone who likes the familiar."""
    pool = Pool.from_records([track("top", top=True), track("saved", saved=True), track("new")])
    scores = scores_of(pool, prefs=Preferences(familiarity=1.0)).scores
    assert scores[0] > scores[1] > scores[2]


def test_explain_names_a_top_track():
    """A top track with no plays here is explained as one of the person's top tracks."""
    pool = Pool.from_records([track("a", tempo=160.0, top=True)])
    assert "one of your top tracks" in explain(pool, 0, 160, 0.7, "steady", Preferences(familiarity=0.8), W)


def test_mood_follows_the_phase_kind():
    """A bright, danceable song fits a peak better than a cool-down; a calm one the other way round."""
    pool = Pool.from_records(
        [track("bright", valence=0.8, danceability=0.8), track("calm", valence=0.3, danceability=0.35)]
    )
    peak = scores_of(pool, kind="peak").parts["mood"]
    cool = scores_of(pool, kind="cool_down").parts["mood"]
    assert peak[0] > peak[1]
    assert cool[1] > cool[0]


def test_weights_from_dict_ignores_unknown_keys():
    """Admin settings may carry more than the scorer knows."""
    weights = Weights.from_dict({"tempo": 5, "energy_tolerance": 0.2, "colour": "blue"})
    assert weights == Weights(tempo=5.0, energy_tolerance=0.2)


def test_explain_says_the_tempo_matches_and_the_play_count():
    """The explanation names the tempo, the energy and the familiarity."""
    pool = Pool.from_records([track("a", tempo=160.0, energy=0.72, plays=14)])
    why = explain(pool, 0, 160, 0.7, "steady", DEFAULT, W)
    assert why.startswith("160 BPM — matches the 160 BPM target · energy 0.72")
    assert "you played this 14 times" in why


def test_explain_names_double_time_and_the_seed_artist():
    """Half-time songs are explained in double time; a seed artist is named."""
    pool = Pool.from_records([track("a", tempo=82.0, artists=("Daft Punk",))])
    why = explain(pool, 0, 165, 0.7, "peak", Preferences(seed_artists=frozenset({"daft punk"})), W)
    assert why.startswith("82 BPM in double time (164) for a 165 target")
    assert "seed artist Daft Punk" in why


def test_explain_shows_the_energy_target_when_far_off():
    """An energy far from the target is shown with the target."""
    pool = Pool.from_records([track("a", energy=0.4)])
    assert "energy 0.40 (target 0.80)" in explain(pool, 0, 160, 0.8, "steady", DEFAULT, W)
