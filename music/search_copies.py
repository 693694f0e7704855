"""The track's columns AudioFeatures carries for Generate's search, kept by the database itself.

Generate's search (mixes.nearby) ranks tracks from one index on AudioFeatures (music.models.catalog), which must
therefore hold what it reads of the track too: its genre, release year, length, explicit flag and whether it is the
catalog's, and what the engine tells songs and artists apart by (its song key and its credited artists' ids).
Triggers copy them whenever a features row is inserted (or saved with other values), whenever a track changes them
and whenever its credits change, whoever writes: the ORM, a bulk import, the admin, raw SQL.

They are installed after every `migrate` (post_migrate), not in a migration: SQLite rebuilds a table for many an
ALTER, which a trigger naming the other table would break, so on SQLite they are dropped before each `migrate`
(pre_migrate) and put back after it, the copies filled again. PostgreSQL refuses to change the type of a column a
trigger names, so there they are dropped before a `migrate` that runs a music migration, and put back (the copies
filled) after it; their functions are replaced after every `migrate`. An importer may give the copies of the tracks
it makes itself (fresh_tracks()). Table and column names are ours.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import transaction

from music.models.catalog import ARTISTS_COPIED, SONG_COPIED

if TYPE_CHECKING:
    from music.catalog_csv import TrackRow

# Each copy on AudioFeatures, as read from its track (`{track}` is "music_track." or "NEW."); the artists' copy is
# the vendor's (ARTISTS).
COPIES = {
    "track_genre": "{track}genre",
    "track_release_year": "{track}release_year",
    "track_duration_ms": "{track}duration_ms",
    "track_explicit": "{track}explicit",
    "in_catalog": "{track}added_by_id IS NULL",
    "track_song": f"substr({{track}}song_key, 1, {SONG_COPIED})",
    "track_artists": "{artists}",
}
TRACK_COLUMNS = ("genre", "release_year", "duration_ms", "explicit", "added_by_id", "song_key")
# The artist ids of the track with id {track_id}, in credit order, comma-separated.
_CREDITS = (
    "(SELECT artist_id, position FROM music_trackartist WHERE track_id = {track_id} "
    f"ORDER BY position LIMIT {ARTISTS_COPIED}) AS c"
)
ARTISTS = {
    "postgresql": f"COALESCE((SELECT string_agg(c.artist_id::text, ',' ORDER BY c.position) FROM {_CREDITS}), '')",
    "sqlite": f"COALESCE((SELECT group_concat(c.artist_id, ',') FROM {_CREDITS}), '')",
}
# Set (for the transaction) while an importer writes tracks it has just made: see fresh_tracks().
FRESH = "music.fresh_tracks"
# The triggers, and the table each is on.
TRIGGERS = {
    "music_features_copy_track": "music_audiofeatures",
    "music_features_recopy_track": "music_audiofeatures",
    "music_track_copy_to_features": "music_track",
    "music_credits_added": "music_trackartist",
    "music_credits_removed": "music_trackartist",
    "music_credits_changed": "music_trackartist",
}


def given(track: TrackRow, artist_ids: Sequence[int]) -> tuple:
    """The copies, in COPIES' order, of a catalog track a writer has in hand with its credited artists' ids in
    order: what the triggers would read from the database."""
    values = {
        "track_genre": track.genre,
        "track_release_year": track.release_year,
        "track_duration_ms": track.duration_ms,
        "track_explicit": track.explicit,
        "in_catalog": True,
        "track_song": track.song_key[:SONG_COPIED],
        "track_artists": ",".join(map(str, artist_ids[:ARTISTS_COPIED])),
    }
    return tuple(values[copy] for copy in COPIES)


def _copied(vendor: str, track: str = "music_track.") -> str:
    artists = ARTISTS[vendor].format(track_id=f"{track}id")
    return ", ".join(value.format(track=track, artists=artists) for value in COPIES.values())


def _credits_of(vendor: str, tracks: str) -> str:
    """The artists' copy set again on the features of the tracks whose id is `tracks` ("= NEW.track_id", "IN …"),
    those whose track is still there (a flush may empty the tracks table before the credits table)."""
    artists = ARTISTS[vendor].format(track_id="music_audiofeatures.track_id")
    track = "SELECT 1 FROM music_track WHERE music_track.id = music_audiofeatures.track_id"
    return f"UPDATE music_audiofeatures SET track_artists = {artists} WHERE track_id {tracks} AND EXISTS ({track})"


_CHANGED = f"(OLD.{', OLD.'.join(COPIES)}) {{differs}} (NEW.{', NEW.'.join(COPIES)})"
_TRACK_CHANGED = " OR ".join(f"OLD.{column} {{differs}} NEW.{column}" for column in TRACK_COLUMNS)


def backfill(vendor: str) -> str:
    return f"""UPDATE music_audiofeatures SET ({", ".join(COPIES)}) =
    (SELECT {_copied(vendor)} FROM music_track WHERE music_track.id = music_audiofeatures.track_id)"""


# The triggers' functions, replaced at every install: a changed body reaches a database whose triggers are in place.
FUNCTIONS = [
    # A new track's features from an importer carry the copies already (fresh_tracks()): they are kept.
    f"""CREATE OR REPLACE FUNCTION music_features_copy_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' AND current_setting('{FRESH}', true) = 'on' THEN
            RETURN NEW;
        END IF;
        SELECT {_copied("postgresql")} INTO {", ".join(f"NEW.{copy}" for copy in COPIES)}
        FROM music_track WHERE music_track.id = NEW.track_id;
        RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION music_track_copy_to_features() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE music_audiofeatures SET ({", ".join(COPIES)}) = ROW({_copied("postgresql", "NEW.")})
        WHERE track_id = NEW.id;
        RETURN NULL;
    END $$""",
    # Once per statement (an import's COPY of thousands of credits is one UPDATE), with the credits it changed.
    f"""CREATE OR REPLACE FUNCTION music_credits_copy_to_features() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF current_setting('{FRESH}', true) = 'on' THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            {_credits_of("postgresql", "IN (SELECT track_id FROM changed UNION SELECT track_id FROM gone)")};
        ELSE
            {_credits_of("postgresql", "IN (SELECT track_id FROM changed)")};
        END IF;
        RETURN NULL;
    END $$""",
]
POSTGRESQL = [
    # A new features row takes the copies from its track (an upsert's insert attempt included); an update that
    # would change them (a stale model instance saved) takes them again; a track passes its changes on, and so do
    # its credits.
    """CREATE TRIGGER music_features_copy_track BEFORE INSERT ON music_audiofeatures
    FOR EACH ROW EXECUTE FUNCTION music_features_copy_track()""",
    f"""CREATE TRIGGER music_features_recopy_track BEFORE UPDATE ON music_audiofeatures
    FOR EACH ROW WHEN ({_CHANGED.format(differs="IS DISTINCT FROM")}) EXECUTE FUNCTION music_features_copy_track()""",
    f"""CREATE TRIGGER music_track_copy_to_features AFTER UPDATE OF {", ".join(TRACK_COLUMNS)} ON music_track
    FOR EACH ROW WHEN ({_TRACK_CHANGED.format(differs="IS DISTINCT FROM")})
    EXECUTE FUNCTION music_track_copy_to_features()""",
    """CREATE TRIGGER music_credits_added AFTER INSERT ON music_trackartist REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION music_credits_copy_to_features()""",
    """CREATE TRIGGER music_credits_removed AFTER DELETE ON music_trackartist REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION music_credits_copy_to_features()""",
    """CREATE TRIGGER music_credits_changed AFTER UPDATE ON music_trackartist
    REFERENCING OLD TABLE AS gone NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION music_credits_copy_to_features()""",
]
# SQLite's triggers cannot set NEW: they update the row just written (a trigger does not fire itself again).
_FROM_TRACK = f"""UPDATE music_audiofeatures SET ({", ".join(COPIES)}) =
    (SELECT {_copied("sqlite")} FROM music_track WHERE music_track.id = NEW.track_id) WHERE track_id = NEW.track_id;"""
SQLITE = [
    f"CREATE TRIGGER music_features_copy_track AFTER INSERT ON music_audiofeatures BEGIN {_FROM_TRACK} END",
    f"""CREATE TRIGGER music_features_recopy_track AFTER UPDATE OF {", ".join(COPIES)} ON music_audiofeatures
    WHEN {_CHANGED.format(differs="IS NOT")} BEGIN {_FROM_TRACK} END""",
    f"""CREATE TRIGGER music_track_copy_to_features AFTER UPDATE OF {", ".join(TRACK_COLUMNS)} ON music_track
    WHEN {_TRACK_CHANGED.format(differs="IS NOT")} BEGIN UPDATE music_audiofeatures SET ({", ".join(COPIES)}) =
    (SELECT {_copied("sqlite")} FROM music_track WHERE music_track.id = NEW.id) WHERE track_id = NEW.id; END""",
    f"""CREATE TRIGGER music_credits_added AFTER INSERT ON music_trackartist
    BEGIN {_credits_of("sqlite", "= NEW.track_id")}; END""",
    f"""CREATE TRIGGER music_credits_removed AFTER DELETE ON music_trackartist
    BEGIN {_credits_of("sqlite", "= OLD.track_id")}; END""",
    f"""CREATE TRIGGER music_credits_changed AFTER UPDATE ON music_trackartist
    BEGIN {_credits_of("sqlite", "IN (OLD.track_id, NEW.track_id)")}; END""",
]


def installed(connection) -> set[str]:
    """The copy triggers the database has."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s)", [list(TRIGGERS)])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()} & set(TRIGGERS)


def install(connection) -> bool:
    """Put the copy triggers in and fill the copies, unless every trigger is there already; whether it did. On
    PostgreSQL the triggers' functions are replaced either way."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in FUNCTIONS:
                cursor.execute(sql)
    if installed(connection) == set(TRIGGERS):
        return False
    uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute(backfill(connection.vendor))
        if connection.vendor == "postgresql":
            # Filling the copies wrote every row again: the search index is built anew rather than left twice its size.
            cursor.execute("REINDEX INDEX features_search")
        for sql in POSTGRESQL if connection.vendor == "postgresql" else SQLITE:
            cursor.execute(sql)
    return True


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TRIGGERS[name]}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@contextmanager
def fresh_tracks(connection) -> Iterator[None]:
    """Within it, what is written is of tracks just made, by a writer that has them whole (an import), so
    PostgreSQL's triggers skip looking (at a million tracks, each look cost a fifth of the import): their credits
    have no features yet to copy to, and their features carry the copies given (given()). SQLite's triggers find
    no features for the credits, and copy the features' anyway (the same values).

    In a savepoint of its own: if what it wraps fails, the setting goes back with it and the error raised is the
    writer's."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [FRESH])
        yield
        cursor.execute("SELECT set_config(%s, 'off', true)", [FRESH])
