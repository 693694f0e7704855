"""Catalog tracks without a Spotify id are found by search, at most 10 results a call, each searched once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.spotify import RateLimited
from music.catalog_csv import DEMO as DEMO_LAYOUT
from music.importers import import_csv
from music.models import Track
from music.resolve import resolve_spotify_ids
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db

SEARCH = "/v1/search"


@pytest.fixture
def demo_catalog(db):
    """The demo catalog as `load_demo` imports it: no Spotify ids."""
    import_csv("music/demo/catalog.csv", layouts=(DEMO_LAYOUT,), source="demo")
    return Track.objects.all()


def test_demo_tracks_are_resolved_by_search(connected_user, spotify_sandbox, demo_catalog):
    """Each demo track is searched by title and artist; the match's id and ISRC are stored on the track."""
    tracks = list(demo_catalog.order_by("pk")[:12])
    songs = {(s["name"], s["artists"][0]): s for s in spotify_sandbox.catalog}

    report = resolve_spotify_ids(connected_user, tracks)

    assert report.unresolved == []
    assert [t.pk for t in report.resolved] == [t.pk for t in tracks]
    for track in Track.objects.filter(pk__in=[t.pk for t in tracks]).prefetch_related("artists"):
        song = songs[(track.title, track.artists.order_by("trackartist__position").first().name)]
        assert (track.spotify_id, track.isrc) == (song["id"], song["isrc"])
    assert report.searches == spotify_sandbox.count("GET", SEARCH) == len(tracks)


def test_searches_ask_for_at_most_ten_results(connected_user, spotify_sandbox, demo_catalog):
    """Development-mode apps get at most 10 items a search: the app never asks for more."""
    resolve_spotify_ids(connected_user, demo_catalog[:5])

    limits = {int(r.query["limit"]) for r in spotify_sandbox.requests if r.path == SEARCH}
    assert limits and max(limits) <= 10


def test_a_track_spotify_does_not_have_is_listed_and_not_searched_again(connected_user, spotify_sandbox):
    """No match: the track is unresolved, remembered as searched, and a second save does not search again."""
    track = TrackFactory(spotify_id=None, title="A Song Nobody Wrote", artist=ArtistFactory(name="Nobody At All"))

    first = resolve_spotify_ids(connected_user, [track])
    second = resolve_spotify_ids(connected_user, [Track.objects.get(pk=track.pk)])

    assert [t.pk for t in first.unresolved] == [t.pk for t in second.unresolved] == [track.pk]
    assert spotify_sandbox.count("GET", SEARCH) == 1
    assert Track.objects.get(pk=track.pk).spotify_search_failed_at is not None


def test_a_failed_search_can_be_retried_when_asked(connected_user, spotify_sandbox):
    """retry_failed=True searches the remembered failures again."""
    track = TrackFactory(spotify_id=None, title="A Song Nobody Wrote", artist=ArtistFactory(name="Nobody At All"))
    resolve_spotify_ids(connected_user, [track])

    resolve_spotify_ids(connected_user, [Track.objects.get(pk=track.pk)], retry_failed=True)

    assert spotify_sandbox.count("GET", SEARCH) == 2


def test_a_song_the_catalog_already_holds_under_an_id_needs_no_search(connected_user, spotify_sandbox, demo_catalog):
    """The same song twice in the catalog: the demo row is resolved to the other row's id, no search, no crash."""
    demo = demo_catalog.order_by("pk").first()
    song = next(s for s in spotify_sandbox.catalog if s["name"] == demo.title)
    twin = TrackFactory(spotify_id=song["id"], title=demo.title, song_key=demo.song_key)

    report = resolve_spotify_ids(connected_user, [demo])

    assert report.resolved == [demo] and demo.spotify_id == song["id"]
    assert report.same_song == [(demo, twin)]
    assert Track.objects.get(pk=demo.pk).spotify_id is None  # the id stays unique in the table
    assert spotify_sandbox.count("GET", SEARCH) == 0


def test_the_closest_duration_wins_among_same_song_results():
    """Several results of the same song: the one within 3 s of the track's length is chosen."""
    from music.resolve import best_match

    track = TrackFactory.build(song_key="run|band", duration_ms=200_000)
    far = {"id": "far", "name": "Run", "artists": [{"name": "Band"}], "duration_ms": 260_000}
    near = {"id": "near", "name": "Run - Remastered", "artists": [{"name": "Band"}], "duration_ms": 201_500}
    other = {"id": "other", "name": "Walk", "artists": [{"name": "Band"}], "duration_ms": 200_000}

    assert best_match(track, [far, other, near])["id"] == "near"
    assert best_match(track, [other]) is None


def test_tracks_with_an_id_cost_nothing(connected_user, spotify_sandbox):
    """A track that has its Spotify id is resolved as it is."""
    track = TrackFactory()

    report = resolve_spotify_ids(connected_user, [track])

    assert report.resolved == [track]
    assert len(spotify_sandbox.requests) == 0


def resolve_counting_queries(user, tracks: list[Track]) -> int:
    """The database queries of one resolve of these tracks (HTTP calls to the sandbox are not queries)."""
    with CaptureQueriesContext(connection) as queries:
        resolve_spotify_ids(user, tracks)
    return len(queries)


def test_resolving_20_tracks_costs_the_same_few_queries_as_5(connected_user, spotify_sandbox, demo_catalog):
    """Main artists, known ids, failures and matches are read and written in bulk: no query per track."""
    demo = list(demo_catalog.order_by("pk")[:25])
    nobody = ArtistFactory(name="Nobody At All")
    lost = [TrackFactory(spotify_id=None, title=f"A Song Nobody Wrote {n}", artist=nobody) for n in range(2)]

    five = resolve_counting_queries(connected_user, [*demo[:5], lost[0]])
    twenty = resolve_counting_queries(connected_user, [*demo[5:25], lost[1]])

    assert spotify_sandbox.count("GET", SEARCH) == 27
    assert Track.objects.filter(pk__in=[t.pk for t in demo], spotify_id__isnull=False).count() == 25
    assert twenty == five <= 10


def test_matches_found_before_a_rate_limit_are_kept(connected_user, spotify_sandbox, demo_catalog):
    """A 429 on the fourth search: the first three matches are stored, so the next save does not search them."""
    tracks = list(demo_catalog.order_by("pk")[:6])
    spotify_sandbox.fault(SEARCH, status=429, retry_after=5, skip=3)

    with pytest.raises(RateLimited):
        resolve_spotify_ids(connected_user, tracks)

    stored = Track.objects.filter(pk__in=[t.pk for t in tracks], spotify_id__isnull=False)
    assert set(stored.values_list("pk", flat=True)) == {t.pk for t in tracks[:3]}
