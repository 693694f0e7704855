"""The database's search for the tracks that can matter near a plan's targets (mixes.nearby)."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mixes import nearby
from mixes.engine import candidates
from mixes.engine.candidates import Piece, pieces
from mixes.engine.plan import PlanSpec
from mixes.engine.scorer import Preferences, Weights
from mixes.engine.taste import Taste
from music.catalog_csv import TrackRow
from music.features import Need, _apply
from music.importers import save_tracks
from music.models import AudioFeatures, Track
from tests.factories import TrackFactory, UserFactory

pytestmark = pytest.mark.django_db


def point(tempo: float, energy: float, tracks: int = 5, kind: str = "steady") -> Piece:
    return Piece((tempo, energy), (tempo, energy), kind, tracks)


def ramp(low: float, high: float, energy: float = 0.5, tracks: int = 5) -> Piece:
    return Piece((low, energy), (high, energy), "warm_up", tracks)


def found(piece_list, prefs=Preferences(), taste=None) -> set[int]:  # noqa: B008 - frozen
    return set(nearby.search(piece_list, Weights(), prefs, taste))


def test_the_nearest_tracks_are_found_and_far_ones_left_out():
    """With enough tracks near the target, the search hands back those and none far off."""
    near = [TrackFactory(features__tempo=150 + i / 10, features__energy=0.7).pk for i in range(8)]
    far = TrackFactory(features__tempo=100, features__energy=0.3).pk
    result = found([point(150, 0.7, tracks=5)])
    assert len(result) == 5 and result <= set(near) and far not in result


def test_half_and_double_time_readings_are_found():
    """A 75 BPM and a 300 BPM track both play at 150: both are found for a 150 BPM target."""
    half = TrackFactory(features__tempo=75, features__energy=0.7).pk
    double = TrackFactory(features__tempo=300, features__energy=0.7).pk
    TrackFactory.create_batch(3, features__tempo=110, features__energy=0.7)
    assert {half, double} <= found([point(150, 0.7, tracks=2)])


def test_a_sparse_catalog_is_searched_wider():
    """Nothing near the target: the search widens until it has the piece's share, however far."""
    far = {TrackFactory(features__tempo=100 + i, features__energy=0.2).pk for i in range(3)}
    assert found([point(170, 0.95, tracks=3)]) == far


def test_a_track_two_readings_find_takes_one_place():
    """Far off, a track lies in the wide boxes of several readings (as itself and at double time): it is handed back
    once, so a catalog of five tracks fills a piece's share of five."""
    tracks = {TrackFactory(features__tempo=100 + 7 * i, features__energy=0.2 + i / 100).pk for i in range(5)}
    assert found([point(170, 0.95, tracks=5)]) == tracks


def test_a_tempo_is_read_as_the_engine_reads_it():
    """The search reads a tempo as itself, at double or at half time as the engine does: the reading nearest the
    piece's tempos, the tempo itself of equals (mixes.engine.candidates.reading)."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        low, high = sorted(rng.uniform(30, 250, 2))
        named = dict(zip(nearby.PIECE_COLUMNS, nearby._piece_values(ramp(low, high), Weights()), strict=False))
        tempos = rng.uniform(10, 500, 500)
        searched = np.where(tempos < named["below"], 2.0, np.where(tempos > named["above"], 0.5, 1.0))
        assert (searched == candidates.reading(tempos, low, high) / tempos).all()


def test_every_column_the_search_hands_back_is_in_its_index():
    """The search reads its index alone: each of its COLUMNS is one the index leads with or carries."""
    (index,) = (index for index in AudioFeatures._meta.indexes if index.name == "features_search")
    carried = {AudioFeatures._meta.get_field(name).column for name in (*index.fields, *index.include)}
    assert set(nearby.COLUMNS) <= carried


def test_the_columns_handed_back_are_the_tracks_own():
    """Each track comes with its tempo, energy, genre, year, length and explicit flag, from the index."""
    track = TrackFactory(features__tempo=128, features__energy=0.8, genre="edm", release_year=1999, explicit=True)
    row = nearby.search([point(128, 0.8, tracks=1)], Weights(), Preferences())[track.pk]
    named = dict(zip(nearby.COLUMNS, row, strict=True))
    assert (named["tempo"], named["energy"], named["track_genre"]) == (128, 0.8, "edm")
    assert (named["track_release_year"], named["track_duration_ms"], bool(named["track_explicit"])) == (
        1999,
        200000,
        True,
    )


def test_other_peoples_uploads_are_not_found():
    """A track someone's history upload added is theirs until staff vouch for it: the search leaves it out."""
    theirs = TrackFactory(features__tempo=150, features__energy=0.7, added_by=UserFactory()).pk
    catalog = TrackFactory(features__tempo=150, features__energy=0.7).pk
    assert found([point(150, 0.7, tracks=5)]) == {catalog} and theirs not in found([point(150, 0.7, tracks=5)])


def test_explicit_tracks_are_left_out_when_not_allowed():
    """The explicit filter applies in the search too."""
    explicit = TrackFactory(features__tempo=150, features__energy=0.7, explicit=True).pk
    clean = TrackFactory(features__tempo=150, features__energy=0.7).pk
    assert found([point(150, 0.7)], Preferences(explicit_allowed=False)) == {clean}
    assert explicit in found([point(150, 0.7)])


def test_tracks_too_short_to_play_are_left_out():
    """An interlude under a minute is never a candidate."""
    TrackFactory(features__tempo=150, features__energy=0.7, duration_ms=45_000)
    song = TrackFactory(features__tempo=150, features__energy=0.7).pk
    assert found([point(150, 0.7)]) == {song}


def test_a_ramp_is_searched_along_its_length():
    """A warm-up ramp from 100 to 140 BPM finds tracks near both ends, not just near one point."""
    for tempo in range(96, 146, 2):
        TrackFactory.create_batch(3, features__tempo=tempo, features__energy=0.5)
    plan = PlanSpec.from_dict(
        {"name": "Ramp", "phases": [{"kind": "warm_up", "duration_s": 600, "tempo_bpm": [100, 140], "energy": 0.5}]}
    )
    result = nearby.search(pieces(plan, 40), Weights(), Preferences())
    tempos = [row[nearby.COLUMNS.index("tempo")] for row in result.values()]
    assert min(tempos) <= 102 and max(tempos) >= 138


def test_the_persons_taste_chooses_among_tracks_that_fit_equally():
    """Of two genres equally near the target, the one the taste model likes is handed back."""
    liked = {TrackFactory(features__tempo=150, features__energy=0.7, genre="rock").pk for _ in range(4)}
    TrackFactory.create_batch(4, features__tempo=150, features__energy=0.7, genre="pop")
    taste = Taste(weights={"genre:rock": 2.0, "genre:pop": -2.0})
    assert found([point(150, 0.7, tracks=4)], taste=taste) == liked


def test_a_seed_genre_chooses_among_tracks_that_fit_equally():
    """A seed genre counts in the search as in the scorer."""
    seeded = {TrackFactory(features__tempo=150, features__energy=0.7, genre="latin").pk for _ in range(3)}
    TrackFactory.create_batch(3, features__tempo=150, features__energy=0.7, genre="pop")
    assert found([point(150, 0.7, tracks=3)], Preferences(seed_genres=frozenset({"Latin"}))) == seeded


def test_no_pieces_search_nothing():
    """A plan with nothing to fill reads nothing."""
    TrackFactory()
    assert nearby.search([], Weights(), Preferences()) == {}


def test_an_imported_track_is_found_at_once(tmp_path):
    """Nothing to refresh after an import: its tracks are in the search index as soon as they are written."""
    row = TrackRow(spotify_id="imported0000000000000a", title="New", artists=["Someone"], duration_ms=200_000)
    row.features = {"tempo": 150.0, "energy": 0.7, "valence": 0.5, "danceability": 0.5}
    save_tracks([row], "catalog")
    assert found([point(150, 0.7)]) == {Track.objects.get(spotify_id=row.spotify_id).pk}


def test_a_track_a_provider_fills_is_found_at_once():
    """A track a sync made without features is found once a provider fills them, with nothing to invalidate."""
    track = TrackFactory(features__tempo=150, features__energy=0.7)
    AudioFeatures.objects.filter(track=track).delete()
    assert found([point(150, 0.7)]) == set()
    need = Need(track.pk, track.spotify_id, "", {"tempo", "energy"}, set())
    _apply("reccobeats", [need], {track.pk: {"tempo": 150.0, "energy": 0.7}})
    assert found([point(150, 0.7)]) == {track.pk}


def search_plans() -> dict[str, int]:
    """The search's prepared statements on this connection, and how many times each was planned or run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["SELECT n.* FROM unnest(%"],
        )
        return dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan; CI runs the suite on SQLite too")
def test_sqlite_searches_through_the_index():
    """The embedded default reads each box through the search index, not by scanning every track's features (a
    28 k catalog took 2.6 s to search that way, 0.26 s through the index)."""
    TrackFactory.create_batch(3, features__tempo=150, features__energy=0.7)
    with CaptureQueriesContext(connection) as queries:
        found([point(150, 0.7, tracks=2)])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {queries.captured_queries[-1]['sql']}")
        plan = [row[-1] for row in cursor.fetchall()]
    reads = [step for step in plan if step.startswith(("SCAN f", "SEARCH f"))]
    assert reads and all("USING INDEX features_search" in step for step in reads), plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prepares nothing; CI runs it on PostgreSQL")
def test_the_search_is_prepared_once_per_connection():
    """PostgreSQL parses and plans the search once per connection: the next search runs the same statement."""
    TrackFactory(features__tempo=150, features__energy=0.7)
    found([point(150, 0.7)])
    first = search_plans()
    found([point(150, 0.7)])
    again = search_plans()
    assert first and again.keys() == first.keys() and sum(again.values()) == sum(first.values()) + 1
