"""The track's own columns AudioFeatures carries for Generate's search, kept by the database (music.search_copies)."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.models.signals import pre_migrate

from music import search_copies
from music.bulk import insert, save_credits
from music.catalog_csv import TrackRow
from music.importers import save_tracks
from music.models import Artist, AudioFeatures, Track, TrackArtist
from music.models.catalog import SONG_COPIED
from tests.factories import ArtistFactory, AudioFeaturesFactory, TrackFactory, UserFactory

pytestmark = pytest.mark.django_db

COPIED = ("track_genre", "track_release_year", "track_duration_ms", "track_explicit", "in_catalog")


def copies(track: Track) -> tuple:
    return AudioFeatures.objects.filter(track=track).values_list(*COPIED).get()


def test_new_features_take_the_tracks_columns():
    """Features written for a track carry its genre, year, length, explicit flag and catalog flag."""
    track = TrackFactory(genre="rock", release_year=1994, duration_ms=245_000, explicit=True)
    assert copies(track) == ("rock", 1994, 245_000, True, True)


def test_a_change_to_the_track_reaches_its_features():
    """Editing the track (the admin, a sync, an import) updates the copies."""
    track = TrackFactory(genre="rock")
    Track.objects.filter(pk=track.pk).update(genre="latin", duration_ms=190_000)
    assert copies(track)[0] == "latin" and copies(track)[2] == 190_000


def test_an_uploaded_track_leaves_the_catalog_until_vouched_for():
    """A track a history upload added is no catalog track in the search index until staff vouch for it."""
    track = TrackFactory(added_by=UserFactory())
    assert copies(track)[-1] is False
    Track.objects.filter(pk=track.pk).vouch()
    assert copies(track)[-1] is True


def test_saving_a_stale_features_object_keeps_the_copies_right():
    """A features row saved from an old object (copies read before the track changed) keeps the track's values."""
    track = TrackFactory(genre="rock")
    stale = AudioFeatures.objects.get(track=track)
    Track.objects.filter(pk=track.pk).update(genre="edm")
    stale.tempo = 128
    stale.save()
    assert copies(track)[0] == "edm"


def test_features_written_in_bulk_take_the_copies():
    """A bulk upsert (the import, the provider chain) is copied as a row written one by one is."""
    track = TrackFactory(genre="pop", release_year=2001)
    AudioFeatures.objects.filter(track=track).delete()
    AudioFeatures.objects.bulk_create([AudioFeatures(track=track, tempo=100, energy=0.5, sources={})])
    assert copies(track)[:2] == ("pop", 2001)


def song_and_artists(track: Track) -> tuple[str, str]:
    return AudioFeatures.objects.filter(track=track).values_list("track_song", "track_artists").get()


def test_features_carry_the_song_and_the_credited_artists_in_order():
    """The song key and the credited artists' ids, in credit order, are on the features: the engine tells songs and
    artists apart by them."""
    main, guest = ArtistFactory(), ArtistFactory()
    track = TrackFactory(artist=main)
    TrackArtist.objects.create(track=track, artist=guest, position=1)
    assert song_and_artists(track) == (track.song_key, f"{main.pk},{guest.pk}")


def test_an_import_copies_the_song_and_the_artists():
    """An import writes credits before features in bulk: the features still carry both."""
    save_tracks(
        [TrackRow(spotify_id="imp1", title="Run", artists=["A", "B"], duration_ms=200_000, features={"tempo": 120})],
        "catalog",
    )
    track = Track.objects.get(spotify_id="imp1")
    credited = ",".join(
        str(pk)
        for pk in TrackArtist.objects.filter(track=track).order_by("position").values_list("artist_id", flat=True)
    )
    assert song_and_artists(track) == (track.song_key, credited)


def test_an_import_that_changes_a_tracks_artists_copies_them():
    """Importing a track again with other artists replaces the copy (only a new track's credits skip the triggers:
    its features come after them)."""
    row = {"spotify_id": "imp2", "title": "Run", "duration_ms": 200_000, "features": {"tempo": 120}}
    save_tracks([TrackRow(artists=["A"], **row)], "catalog")
    save_tracks([TrackRow(artists=["B", "A"], **row)], "catalog")
    track = Track.objects.get(spotify_id="imp2")
    ids = dict(Artist.objects.filter(name__in=["A", "B"]).values_list("name", "pk"))
    assert song_and_artists(track)[1] == f"{ids['B']},{ids['A']}"


def test_new_credits_reach_the_features():
    """Credits changed after the features were written (a provider fill, an import, the admin) are copied."""
    track = TrackFactory()
    other = ArtistFactory()
    save_credits({track.pk: [other.pk]})
    assert song_and_artists(track)[1] == str(other.pk)


def test_removed_credits_leave_the_features():
    """A track whose credits are all removed carries no artist ids."""
    track = TrackFactory()
    TrackArtist.objects.filter(track=track).delete()
    assert song_and_artists(track)[1] == ""


def test_credits_written_before_the_features_are_taken_by_them():
    """Features written for a track that has credits already take them."""
    track = TrackFactory()
    AudioFeatures.objects.filter(track=track).delete()
    AudioFeaturesFactory(track=track)
    assert song_and_artists(track)[1] == str(TrackArtist.objects.get(track=track).artist_id)


def test_a_long_song_key_is_copied_in_part():
    """The copy is the key's first SONG_COPIED characters: an index entry has a size limit."""
    track = TrackFactory(song_key="x" * 500 + "|someone")
    assert song_and_artists(track)[0] == "x" * SONG_COPIED


def test_migrating_again_keeps_the_triggers():
    """Another migrate (on SQLite: the triggers out before it, back after it) leaves them in place."""
    call_command("migrate", verbosity=0)
    assert search_copies.installed(connection) == set(search_copies.TRIGGERS)
    track = TrackFactory(genre="edm")
    assert copies(track)[0] == "edm"


def test_installing_twice_changes_nothing():
    """The triggers in place, installing again neither fails nor fills the copies again."""
    assert search_copies.install(connection) is False


def test_an_imports_new_tracks_carry_the_copies_the_database_would_read():
    """The importer gives its new tracks' copies itself (PostgreSQL's triggers then skip looking them up): they are
    what the database reads from the tracks and credits, a long song and a long list of artists included."""
    rows = [
        TrackRow(spotify_id="given1", title="Run", artists=["A", "B"], duration_ms=200_000, genre="rock",
                 release_year=1994, explicit=True, features={"tempo": 120}),
        TrackRow(spotify_id="given2", title="Walk " * 60, artists=[f"Guest {n}" for n in range(25)],
                 duration_ms=180_000, features={"energy": 0.5}),
    ]  # fmt: skip
    save_tracks(rows, "catalog")
    given = list(AudioFeatures.objects.order_by("track_id").values_list(*search_copies.COPIES))
    with connection.cursor() as cursor:
        cursor.execute(search_copies.backfill(connection.vendor))
    assert list(AudioFeatures.objects.order_by("track_id").values_list(*search_copies.COPIES)) == given
    assert len(given) == 2 and given[1][-1].count(",") == search_copies.ARTISTS_COPIED - 1


def test_features_written_after_an_import_take_their_copies_again():
    """The importer's word holds for its own rows only: features written later in the same transaction are copied."""
    save_tracks([TrackRow(spotify_id="given3", title="Run", artists=["A"], duration_ms=200_000)], "catalog")
    track = TrackFactory(genre="latin")
    assert copies(track)[0] == "latin"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's triggers are put back at every migrate")
def test_installing_replaces_the_trigger_functions():
    """A database whose triggers are in place takes a changed function body at the next install."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION music_features_copy_track() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN NEW; END $$"
        )
    search_copies.install(connection)
    assert copies(TrackFactory(genre="edm"))[0] == "edm"


def test_a_migrate_running_a_music_migration_takes_the_triggers_out_first():
    """PostgreSQL refuses to change the type of a column a trigger names: before music's migrations run the triggers
    come out (on SQLite, before every migrate), and after them they are put back."""
    music = apps.get_app_config("music")
    migration = MigrationLoader(connection).graph.nodes[("music", "0012_search_song_and_artists")]
    pre_migrate.send(music, app_config=music, verbosity=0, interactive=False, using=connection.alias,
                     apps=apps, plan=[(migration, False)])  # fmt: skip
    assert search_copies.installed(connection) == set()
    assert search_copies.install(connection) is True
    assert copies(TrackFactory(genre="edm"))[0] == "edm"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no setting to leave behind")
def test_a_failed_write_of_fresh_tracks_raises_its_own_error_and_leaves_the_setting():
    """A write that fails within fresh_tracks() raises the database's error, not a later one of the aborted
    transaction, and the triggers look again afterwards."""
    track = TrackFactory()
    AudioFeatures.objects.filter(track=track).delete()
    with pytest.raises(IntegrityError), search_copies.fresh_tracks(connection):
        insert(AudioFeatures, ("track_id", "key", "sources", "asked"), [(track.pk, -1, "{}", "[]")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [search_copies.FRESH])
        assert cursor.fetchone()[0] != "on"
