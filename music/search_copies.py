"""The track's columns AudioFeatures carries for Generate's search, kept by the database itself.

Generate's search (mixes.nearby) ranks tracks from one index on AudioFeatures (music.models.catalog), which must
therefore hold what it reads of the track too: its genre, release year, length, explicit flag and whether it is the
catalog's. Triggers copy them whenever a features row is inserted (or saved with other values) and whenever a track
changes them, whoever writes: the ORM, a bulk import, the admin, raw SQL.

They are installed after every `migrate` (post_migrate), not in a migration: SQLite rebuilds a table for many an
ALTER, which a trigger naming the other table would break, so on SQLite they are dropped before each `migrate`
(pre_migrate) and put back after it, the copies filled again. On PostgreSQL they are put back (and filled) only if
missing. Table and column names are ours.
"""

from __future__ import annotations

# Each copy on AudioFeatures, as read from its track (`{track}` is "" or "NEW.").
COPIES = {
    "track_genre": "{track}genre",
    "track_release_year": "{track}release_year",
    "track_duration_ms": "{track}duration_ms",
    "track_explicit": "{track}explicit",
    "in_catalog": "{track}added_by_id IS NULL",
}
TRACK_COLUMNS = ("genre", "release_year", "duration_ms", "explicit", "added_by_id")
TRIGGERS = ("music_features_copy_track", "music_features_recopy_track", "music_track_copy_to_features")


def _copied(track: str = "") -> str:
    return ", ".join(value.format(track=track) for value in COPIES.values())


_CHANGED = f"(OLD.{', OLD.'.join(COPIES)}) {{differs}} (NEW.{', NEW.'.join(COPIES)})"
_TRACK_CHANGED = " OR ".join(f"OLD.{column} {{differs}} NEW.{column}" for column in TRACK_COLUMNS)
BACKFILL = f"""UPDATE music_audiofeatures SET ({", ".join(COPIES)}) =
    (SELECT {_copied()} FROM music_track WHERE music_track.id = music_audiofeatures.track_id)"""

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION music_features_copy_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT {_copied()} INTO {", ".join(f"NEW.{copy}" for copy in COPIES)} FROM music_track WHERE id = NEW.track_id;
        RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION music_track_copy_to_features() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE music_audiofeatures SET ({", ".join(COPIES)}) = ROW({_copied("NEW.")}) WHERE track_id = NEW.id;
        RETURN NULL;
    END $$""",
    # A new features row takes the copies from its track (an upsert's insert attempt included); an update that
    # would change them (a stale model instance saved) takes them again; a track passes its changes on.
    """CREATE TRIGGER music_features_copy_track BEFORE INSERT ON music_audiofeatures
    FOR EACH ROW EXECUTE FUNCTION music_features_copy_track()""",
    f"""CREATE TRIGGER music_features_recopy_track BEFORE UPDATE ON music_audiofeatures
    FOR EACH ROW WHEN ({_CHANGED.format(differs="IS DISTINCT FROM")}) EXECUTE FUNCTION music_features_copy_track()""",
    f"""CREATE TRIGGER music_track_copy_to_features AFTER UPDATE OF {", ".join(TRACK_COLUMNS)} ON music_track
    FOR EACH ROW WHEN ({_TRACK_CHANGED.format(differs="IS DISTINCT FROM")})
    EXECUTE FUNCTION music_track_copy_to_features()""",
]
# SQLite's triggers cannot set NEW: they update the row just written (a trigger does not fire itself again).
_FROM_TRACK = f"""UPDATE music_audiofeatures SET ({", ".join(COPIES)}) =
    (SELECT {_copied()} FROM music_track WHERE id = NEW.track_id) WHERE track_id = NEW.track_id;"""
SQLITE = [
    f"CREATE TRIGGER music_features_copy_track AFTER INSERT ON music_audiofeatures BEGIN {_FROM_TRACK} END",
    f"""CREATE TRIGGER music_features_recopy_track AFTER UPDATE OF {", ".join(COPIES)} ON music_audiofeatures
    WHEN {_CHANGED.format(differs="IS NOT")} BEGIN {_FROM_TRACK} END""",
    f"""CREATE TRIGGER music_track_copy_to_features AFTER UPDATE OF {", ".join(TRACK_COLUMNS)} ON music_track
    WHEN {_TRACK_CHANGED.format(differs="IS NOT")} BEGIN UPDATE music_audiofeatures SET ({", ".join(COPIES)}) =
    (SELECT {_copied()} FROM music_track WHERE id = NEW.id) WHERE track_id = NEW.id; END""",
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
    """Put the copy triggers in and fill the copies, unless every trigger is there already; whether it did."""
    if installed(connection) == set(TRIGGERS):
        return False
    uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL)
        for sql in POSTGRESQL if connection.vendor == "postgresql" else SQLITE:
            cursor.execute(sql)
    return True


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            if connection.vendor == "postgresql":
                table = "music_track" if name == "music_track_copy_to_features" else "music_audiofeatures"
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
