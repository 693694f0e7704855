"""Properties of the generator over random pools, plans and locks (hypothesis)."""

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixes.engine.generator import Locked, generate
from mixes.engine.metrics import duplicates
from mixes.engine.plan import PHASE_KINDS, PlanSpec
from mixes.engine.pool import Pool, TrackRecord
from mixes.engine.scorer import Preferences
from tests.mixes.engine import helpers

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EDITIONS = ("", " - Remastered 2011", " (feat. Guest)", " - Live")


@st.composite
def pools(draw) -> Pool:
    """Small pools with few artists, featured credits, editions of the same song, explicit and tempo-less tracks."""
    n = draw(st.integers(5, 250))
    artists = draw(st.integers(1, 25))
    rng = draw(st.randoms(use_true_random=False))
    tracks = []
    for i in range(n):
        credits = [f"Artist {rng.randrange(artists)}"]
        if rng.random() < 0.2:
            credits.append(f"Artist {rng.randrange(artists)}")
        tracks.append(
            TrackRecord(
                key=f"k{i}",
                title=f"Song {rng.randrange(max(n // 2, 1))}{rng.choice(EDITIONS)}",
                artists=tuple(dict.fromkeys(credits)),
                duration_ms=rng.randrange(40_000, 420_000),
                tempo=None if rng.random() < 0.05 else rng.uniform(60, 200),
                energy=rng.uniform(0, 1),
                explicit=rng.random() < 0.2,
            )
        )
    return Pool.from_records(tracks)


@st.composite
def plans(draw, shortest: int = 10, longest: int = 1500) -> PlanSpec:
    phases = []
    for _ in range(draw(st.integers(1, 5))):
        tempo = draw(st.lists(st.floats(90, 175), min_size=1, max_size=2))
        energy = draw(st.lists(st.floats(0.35, 0.9), min_size=1, max_size=2))
        phases.append(
            (
                draw(st.sampled_from(PHASE_KINDS)),
                draw(st.integers(shortest, longest)),
                tempo[0] if len(tempo) == 1 else tempo,
                energy[0] if len(energy) == 1 else energy,
            )
        )
    return helpers.plan(*phases)


@cache
def rich_pool() -> Pool:
    return helpers.pool(5000, seed=11, artists=800)


def violations(pool: Pool, picks) -> list[tuple[int, int]]:
    """Pairs of positions (i, j), j − i ≤ 2, whose tracks share an artist."""
    credits = [set(pool.artists(p.index)) for p in picks]
    return [(i, j) for j in range(len(picks)) for i in (j - 2, j - 1) if i >= 0 and credits[i] & credits[j]]


@SETTINGS
@given(pool=pools(), plan=plans(), seed=st.integers(0, 1000), explicit=st.booleans())
def test_random_mixes_never_repeat_a_song_nor_crowd_an_artist(pool, plan, seed, explicit):
    """Whatever the pool and plan: no track or song twice, no artist within three tracks, filters kept."""
    result = generate(pool, plan, Preferences(explicit_allowed=explicit), seed=seed)
    picks = result.picks
    assert duplicates(pool, [p.index for p in picks]) == 0
    assert violations(pool, picks) == []
    assert all(p.tempo is not None for p in picks)
    assert explicit or not any(pool.explicit[p.index] for p in picks)


@SETTINGS
@given(pool=pools(), plan=plans(), seeds=st.tuples(st.integers(0, 99), st.integers(100, 199)), data=st.data())
def test_locked_tracks_are_kept_in_their_section_and_order(pool, plan, seeds, data):
    """Locks taken from one take survive another: in their section, marked locked, in order; only two locked
    tracks may ever stand too close to each other."""
    first = generate(pool, plan, seed=seeds[0])
    slots = [(s, i, p.key) for s, section in enumerate(first.sections) for i, p in enumerate(section.picks)]
    chosen = data.draw(st.lists(st.sampled_from(slots), unique=True, max_size=4)) if slots else []
    locks = [Locked(section=s, slot=i, key=key) for s, i, key in chosen]
    result = generate(pool, plan, seed=seeds[1], locked=locks)
    for section, section_result in enumerate(result.sections):
        expected = [lock.key for lock in sorted(locks, key=lambda lock: lock.slot) if lock.section == section]
        assert [p.key for p in section_result.picks if p.locked] == expected
    picks = result.picks
    assert duplicates(pool, [p.index for p in picks]) == 0
    assert all(picks[i].locked and picks[j].locked for i, j in violations(pool, picks))


@SETTINGS
@given(plan=plans(shortest=180, longest=1800), seed=st.integers(0, 1000))
def test_rich_pool_fills_every_section_to_its_duration(plan, seed):
    """From a rich pool each section ends within 15 s of its boundary, and the mix within 10 s of the plan."""
    result = generate(rich_pool(), plan, seed=seed)
    end = 0.0
    for section in result.sections:
        end += sum(p.duration_s for p in section.picks)
        assert abs(end - (section.section.start_s + section.section.duration_s)) <= 15
    assert abs(end - plan.duration_s) <= 10
    assert result.notes == []
