"""Import of the listening history in Spotify's account-data export.

Two formats, as uploaded JSON files or in a zip of them:

- `StreamingHistory*.json` (the account data, one year): `endTime` ("2024-01-31 18:22", UTC),
  `artistName`, `trackName`, `msPlayed`. A play under 30 s counts as a skip.
- `Streaming_History_Audio_*.json` (the extended history, years): `ts` (ISO, UTC), `ms_played`,
  `master_metadata_track_name`, `master_metadata_album_artist_name`,
  `master_metadata_album_album_name`, `spotify_track_uri`, `skipped`, `reason_end`, ... A play
  with `skipped: true` or `reason_end == "fwdbtn"` counts as a skip. Podcast and audiobook rows
  (no track name) are ignored.

Plays are matched to catalog tracks by Spotify URI, else by normalized title and artist (song key):
the artist the export names may be any of the track's credited artists, and a title the catalog does
not know is tried once more without a trailing year or remaster note ("Here I Go Again 87").
A play of an unmatched song in the extended format creates the track from the row (Spotify id from
the URI) — but only when its longest play lasted at least a minute, because the export does not say
how long a track is: its duration is taken as that longest play, a lower bound, which Spotify's own
value replaces the next time a history sync sees the track. Unmatched plays in the basic format,
which has no Spotify id, are counted and reported, not created.

Every file is read and checked before anything is written; then one transaction writes it all. Each
value is checked for its type and range (milliseconds played up to 24 hours, times from 2006 to now,
names and URIs as text), so a file that cannot be read, or holds a value no export could, gets a
HistoryFileError naming the file, the play and what is wrong, and nothing changes. Plays are stored
with the time they started (end − ms played), so importing the same file again adds nothing.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import IO, Protocol

from django.db import transaction
from django.db.models import F

from music.bulk import add_plays, chunks
from music.models import Play, Track, TrackAffinity, TrackArtist
from music.normalize import fold, join_song_key, loose_title, song_key
from music.spotify_tracks import save_spotify_tracks

SOURCE = "export"
MAX_FILE_BYTES = 50 * 1024 * 1024  # a history file, uploaded or inside a zip
MAX_ZIP_BYTES = 200 * 1024 * 1024  # the zip Spotify sends, compressed
MAX_TOTAL_BYTES = 300 * 1024 * 1024  # all history files of one upload together (they are held in memory)
MAX_ZIP_MEMBERS = 500
SKIP_MS = 30_000  # a play shorter than this is a skip, in the basic format
MIN_CREATE_MS = 60_000  # a song new to the catalog needs one play this long to be added
MAX_MS_PLAYED = 24 * 3600 * 1000  # no play lasts longer; it also keeps the value a 32-bit integer
EARLIEST = datetime(2006, 1, 1, tzinfo=UTC)  # Spotify did not exist before
# Of two catalog tracks for one song, the one with a Spotify id, else the oldest.
PREFERRED = (F("spotify_id").asc(nulls_last=True), "pk")
_URI = re.compile(r"spotify:track:([A-Za-z0-9]{1,32})")
_HISTORY_FILE = re.compile(r"(^|/)(StreamingHistory(_music)?_?\d*|Streaming_History_Audio_[^/]*)\.json$")
BASIC_FIELDS = ("endTime", "artistName", "trackName", "msPlayed")
EXTENDED_FIELDS = ("ts", "ms_played", "master_metadata_track_name", "master_metadata_album_artist_name")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8)


class HistoryFileError(ValueError):
    """A file that cannot be imported; the message names the file and says what is wrong."""


class Upload(Protocol):
    name: str
    size: int

    def read(self, size: int = -1) -> bytes: ...

    def seek(self, offset: int) -> int: ...


@dataclass
class HistoryPlay:
    """One play from an export file, checked."""

    started_at: datetime
    ms_played: int
    title: str
    artist: str
    album: str
    spotify_id: str | None
    skipped: bool

    @cached_property
    def song_key(self) -> str:
        return _song_key(self.title, self.artist)

    @property
    def song_title(self) -> str:
        """The song key's title part (as `Track.song_title`)."""
        return self.song_key.partition("|")[0]

    @cached_property
    def loose_key(self) -> str:
        """The song key with the loose title (`normalize.loose_title`): the second try."""
        return _loose_key(self.song_key)


@lru_cache(maxsize=100_000)
def _song_key(title: str, artist: str) -> str:
    """Song keys repeat across tens of thousands of plays: work each out once."""
    return song_key(title, artist)


@lru_cache(maxsize=100_000)
def _loose_key(key: str) -> str:
    title, _, artist = key.partition("|")
    return f"{loose_title(title)}|{artist}"


@dataclass
class HistoryImportReport:
    files: list[str] = field(default_factory=list)
    plays_read: int = 0
    plays_added: int = 0
    skips: int = 0  # among the plays added
    ignored: int = 0  # podcast and audiobook rows
    tracks_created: int = 0
    new_track_ids: list[int] = field(default_factory=list)
    unmatched_plays: int = 0
    unmatched_songs: int = 0

    @property
    def already_there(self) -> int:
        return self.plays_read - self.ignored - self.unmatched_plays - self.plays_added

    def message(self) -> str:
        """The summary shown to the person after an upload."""
        files = f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        parts = [f"Imported {self.plays_added:,} new plays ({self.skips:,} skips) from {files}."]
        if self.already_there:
            parts.append(f"{self.already_there:,} were already there.")
        if self.tracks_created:
            parts.append(f"{self.tracks_created:,} new tracks added to the catalog.")
        if self.unmatched_plays:
            parts.append(
                f"{self.unmatched_plays:,} plays of {self.unmatched_songs:,} songs not in the catalog were left out."
            )
        if self.ignored:
            parts.append(f"{self.ignored:,} podcast or audiobook plays ignored.")
        return " ".join(parts)


# Reading and checking -----------------------------------------------------------------------------------


def read_uploads(uploads: Iterable[Upload]) -> list[tuple[str, list[HistoryPlay | None]]]:
    """Each history file's plays (None for a podcast row), from uploaded JSON files and zips of them."""
    raw: list[tuple[str, bytes]] = []
    for upload in uploads:
        name = upload.name or "upload"
        head = upload.read(4)
        upload.seek(0)
        is_zip = head.startswith(b"PK") or name.lower().endswith(".zip")
        limit = MAX_ZIP_BYTES if is_zip else MAX_FILE_BYTES
        if upload.size is not None and upload.size > limit:
            raise HistoryFileError(f"{name}: is larger than {_size(limit)}.")
        raw += _unzip(name, upload) if is_zip else [(name, upload.read())]
        if sum(len(data) for _, data in raw) > MAX_TOTAL_BYTES:
            raise HistoryFileError(f"{name}: the history files come to more than {_size(MAX_TOTAL_BYTES)} in all.")
    if not raw:
        raise HistoryFileError("No file was uploaded.")
    return [(name, parse_history(name, data)) for name, data in raw]


def _unzip(name: str, upload: IO[bytes]) -> list[tuple[str, bytes]]:
    """The history files in a zip, each checked against the size limit before and while it is read."""
    try:
        archive = zipfile.ZipFile(upload)
        members = [info for info in archive.infolist() if _HISTORY_FILE.search(info.filename)]
    except (zipfile.BadZipFile, OSError) as error:
        raise HistoryFileError(f"{name}: is not a readable zip file ({error}).") from None
    members = [info for info in members if not info.is_dir() and "__MACOSX" not in info.filename]
    if not members:
        raise HistoryFileError(f"{name}: has no StreamingHistory*.json or Streaming_History_Audio_*.json file in it.")
    if len(members) > MAX_ZIP_MEMBERS:
        raise HistoryFileError(f"{name}: has more than {MAX_ZIP_MEMBERS} history files.")
    if sum(info.file_size for info in members) > MAX_TOTAL_BYTES:
        raise HistoryFileError(f"{name}: its history files come to more than {_size(MAX_TOTAL_BYTES)} in all.")
    files = []
    for info in members:
        label = f"{name}/{info.filename}"
        if info.file_size > MAX_FILE_BYTES:
            raise HistoryFileError(f"{label}: is larger than {_size(MAX_FILE_BYTES)}.")
        try:
            with archive.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)  # a zip may lie about sizes
        except (zipfile.BadZipFile, OSError, RuntimeError) as error:
            raise HistoryFileError(f"{label}: cannot be read from the zip ({error}).") from None
        if len(data) > MAX_FILE_BYTES:
            raise HistoryFileError(f"{label}: is larger than {_size(MAX_FILE_BYTES)}.")
        files.append((label, data))
    return files


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 2**10} kB"


def parse_history(name: str, data: bytes) -> list[HistoryPlay | None]:
    """The plays of one history file, either format; a HistoryFileError says what is wrong and where."""
    try:
        rows = json.loads(data)
    except UnicodeDecodeError:
        raise HistoryFileError(f"{name}: is not a text file.") from None
    except json.JSONDecodeError as error:
        raise HistoryFileError(f"{name}: is not valid JSON (line {error.lineno}, column {error.colno}).") from None
    except RecursionError:
        raise HistoryFileError(f"{name}: is nested too deeply to be a Spotify streaming history.") from None
    except ValueError:  # a number of more than 4,300 digits
        raise HistoryFileError(f"{name}: has a number far too long to be a Spotify streaming history.") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise HistoryFileError(f"{name}: is not a Spotify streaming history (expected a list of plays).")
    if not rows:
        return []
    if "ts" in rows[0]:
        return [_extended(name, number, row) for number, row in enumerate(rows, start=1)]
    if "endTime" in rows[0]:
        return [_basic(name, number, row) for number, row in enumerate(rows, start=1)]
    raise HistoryFileError(
        f"{name}: is not a Spotify streaming history: its plays have neither "
        f"{', '.join(BASIC_FIELDS)} nor {', '.join(EXTENDED_FIELDS)}."
    )


def _missing(name: str, number: int, row: dict, fields: tuple[str, ...]) -> None:
    absent = [column for column in fields if column not in row]
    if absent:
        raise HistoryFileError(f"{name}: play {number} has no {', '.join(absent)}.")


def _shown(value) -> str:
    """A value as the error message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _ms(name: str, number: int, row: dict, column: str) -> int:
    """Milliseconds played: a whole number from 0 to 24 hours (it also has to fit the database's integer)."""
    value = row[column]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MS_PLAYED:
        raise HistoryFileError(
            f"{name}: play {number} has {column} {_shown(value)}, not a number of milliseconds up to 24 hours."
        )
    return value


def _text(name: str, number: int, row: dict, column: str, *, optional: bool = False) -> str | None:
    value = row.get(column)
    if value is None and optional:
        return None
    if value is not None and not isinstance(value, str):
        raise HistoryFileError(f"{name}: play {number} has {column} {_shown(value)}, not text.")
    if value is None or not value.strip():
        raise HistoryFileError(f"{name}: play {number} has no {column}.")
    if not _storable(value):
        raise HistoryFileError(
            f"{name}: play {number} has {column} {_shown(value)}, with a character text cannot hold."
        )
    return value.strip()


def _storable(text: str) -> bool:
    """Text the database can hold: no NUL byte (PostgreSQL refuses it) and no lone surrogate (not UTF-8)."""
    return not _UNSTORABLE.search(text)


def _when(name: str, number: int, column: str, text: str, moment: datetime) -> datetime:
    """A play's time in UTC, if Spotify could have recorded it: from 2006 (Spotify's start) to tomorrow."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST <= moment <= datetime.now(UTC) + timedelta(days=1):  # checked before converting: year 1 overflows
        raise HistoryFileError(f"{name}: play {number} has {column} {_shown(text)}, not a time between 2006 and now.")
    return moment.astimezone(UTC)


def _basic(name: str, number: int, row: dict) -> HistoryPlay:
    _missing(name, number, row, BASIC_FIELDS)
    ended = _text(name, number, row, "endTime")
    try:
        end = datetime.strptime(ended, "%Y-%m-%d %H:%M")
    except ValueError:
        raise HistoryFileError(
            f"{name}: play {number} has endTime {_shown(ended)}, not like 2024-01-31 18:22."
        ) from None
    end = _when(name, number, "endTime", ended, end)
    ms = _ms(name, number, row, "msPlayed")
    return HistoryPlay(
        started_at=end - timedelta(milliseconds=ms),
        ms_played=ms,
        title=_text(name, number, row, "trackName")[:500],
        artist=_text(name, number, row, "artistName")[:300],
        album="",
        spotify_id=None,
        skipped=ms < SKIP_MS,
    )


def _extended(name: str, number: int, row: dict) -> HistoryPlay | None:
    _missing(name, number, row, EXTENDED_FIELDS)
    ended = _text(name, number, row, "ts")
    try:
        end = datetime.fromisoformat(ended.replace("Z", "+00:00"))
    except ValueError:
        raise HistoryFileError(f"{name}: play {number} has ts {_shown(ended)}, not an ISO date and time.") from None
    end = _when(name, number, "ts", ended, end)
    ms = _ms(name, number, row, "ms_played")
    title = _text(name, number, row, "master_metadata_track_name", optional=True)
    if title is None:
        return None  # a podcast episode or an audiobook chapter
    uri = _URI.fullmatch(_optional_text(name, number, row, "spotify_track_uri"))
    return HistoryPlay(
        started_at=end - timedelta(milliseconds=ms),
        ms_played=ms,
        title=title[:500],
        artist=_text(name, number, row, "master_metadata_album_artist_name")[:300],
        album=_optional_text(name, number, row, "master_metadata_album_album_name")[:500],
        spotify_id=uri.group(1) if uri else None,
        skipped=row.get("skipped") is True or row.get("reason_end") == "fwdbtn",
    )


def _optional_text(name: str, number: int, row: dict, column: str) -> str:
    """A column that may be absent, null or empty (""), but is text when given."""
    value = row.get(column)
    if value is not None and not isinstance(value, str):
        raise HistoryFileError(f"{name}: play {number} has {column} {_shown(value)}, not text.")
    if value and not _storable(value):
        raise HistoryFileError(
            f"{name}: play {number} has {column} {_shown(value)}, with a character text cannot hold."
        )
    return (value or "").strip()


# Writing -----------------------------------------------------------------------------------------------------


def import_streaming_history(user, uploads: Iterable[Upload]) -> HistoryImportReport:
    """Read, check, then store the plays of these uploads for the user and rebuild their affinities.

    Raises HistoryFileError, having changed nothing, when any file is unreadable.
    """
    files = read_uploads(uploads)
    report = HistoryImportReport(files=[name for name, _ in files])
    plays = [play for _, rows in files for play in rows if play is not None]
    report.plays_read = sum(len(rows) for _, rows in files)
    report.ignored = report.plays_read - len(plays)
    with transaction.atomic():
        by_id, by_key = _match(plays)
        new = _new_tracks([play for play in plays if _track_of(play, by_id, by_key) is None])
        report.tracks_created = new.created
        report.new_track_ids = [pk for sid, pk in new.ids.items() if sid not in by_id]
        by_id.update(new.ids)
        rows, unmatched = [], set()
        for play in plays:
            track_id = _track_of(play, by_id, by_key)
            if track_id is None:
                unmatched.add(play.song_key)
                report.unmatched_plays += 1
                continue
            rows.append(
                Play(
                    user=user,
                    track_id=track_id,
                    played_at=play.started_at,
                    ms_played=play.ms_played,
                    skipped=play.skipped,
                    source=SOURCE,
                )
            )
        report.unmatched_songs = len(unmatched)
        new = add_plays(rows)
        report.plays_added, report.skips = new.count, new.skips
        TrackAffinity.rebuild_play_counts(user)
    return report


def _track_of(play: HistoryPlay, by_id: dict[str, int], by_key: dict[str, int]) -> int | None:
    if play.spotify_id and play.spotify_id in by_id:
        return by_id[play.spotify_id]
    found = by_key.get(play.song_key)
    return found if found is not None else by_key.get(play.loose_key)


def _match(plays: list[HistoryPlay]) -> tuple[dict[str, int], dict[str, int]]:
    """Catalog track ids by Spotify id and by song key, in a few queries for the whole upload.

    A play's song key is its title and the artist the export names. It is first looked up as the
    catalog keys songs (title and first credited artist); the plays that find nothing then try
    the same title under any credited artist, and last the loose title (`normalize.loose_title`).
    """
    by_id: dict[str, int] = {}
    for chunk in chunks(sorted({play.spotify_id for play in plays if play.spotify_id})):
        by_id.update(Track.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"))
    rest = [play for play in plays if not (play.spotify_id and play.spotify_id in by_id)]
    by_key: dict[str, int] = {}
    for chunk in chunks(sorted({play.song_key for play in rest})):
        tracks = Track.objects.filter(song_key__in=chunk).order_by(*PREFERRED)
        for key, pk in tracks.values_list("song_key", "pk"):
            by_key.setdefault(key, pk)
    for key, pk in _credited_keys([play for play in rest if play.song_key not in by_key]).items():
        by_key.setdefault(key, pk)
    return by_id, by_key


def _credited_keys(plays: list[HistoryPlay]) -> dict[str, int]:
    """Song keys under each credited artist of the catalog tracks that these plays' titles, exact or loose, name.

    A track credited to Styles Of Beyond and Fort Minor is keyed "title|styles of beyond" in the
    catalog; here it is also "title|fort minor". Two queries a couple of thousand titles or tracks.
    """
    titles = sorted({title for play in plays for title in (play.song_title, play.loose_key.partition("|")[0])})
    candidates: list[tuple[int, str, str]] = []
    for chunk in chunks(titles):
        tracks = Track.objects.filter(song_title__in=chunk).order_by(*PREFERRED)
        candidates += tracks.values_list("pk", "song_title", "artist_names")
    credited: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks([pk for pk, _, _ in candidates]):
        for track_id, name in TrackArtist.objects.filter(track_id__in=chunk).values_list("track_id", "artist__name"):
            credited[track_id].append(name)
    keys: dict[str, int] = {}
    for pk, title, artist_names in candidates:
        for name in [*credited[pk], *artist_names.split(", ")]:
            keys.setdefault(join_song_key(title, fold(name)), pk)
    return keys


def _new_tracks(unmatched: list[HistoryPlay]):
    """Catalog tracks for the unmatched extended-format songs long enough to know (see the module docstring)."""
    longest: dict[str, HistoryPlay] = {}
    for play in unmatched:
        if play.spotify_id and play.ms_played > getattr(longest.get(play.spotify_id), "ms_played", -1):
            longest[play.spotify_id] = play
    return save_spotify_tracks(
        {
            "id": spotify_id,
            "name": play.title,
            "artists": [{"name": play.artist}],
            "album": {"name": play.album},
            "duration_ms": play.ms_played,
        }
        for spotify_id, play in longest.items()
        if play.ms_played >= MIN_CREATE_MS
    )
