"""Spotify account-data history files, read and checked as a stream: the limits, the two formats, the plays
(music.streaming_history stores them)."""

from __future__ import annotations

import itertools
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import IO, Protocol

import ijson
import ijson.backends.python as ijson_python
from django.db.models import F

from music.normalize import loose_title, song_key

SOURCE = "export"
MAX_FILE_BYTES = 50 * 1024 * 1024  # a history file, uploaded or inside a zip
MAX_ZIP_BYTES = 200 * 1024 * 1024  # the zip Spotify sends, compressed
MAX_TOTAL_BYTES = 300 * 1024 * 1024  # all history files of one upload together (streamed, never held whole)
MAX_ZIP_MEMBERS = 500
PLAY_BATCH = 5_000  # plays stored a transaction: memory holds one batch, the polling UI sees each commit
READ_BYTES = 64 * 1024  # read from a file (or inflated from a zip member) at a time
MAX_DEPTH = 8  # a play is a flat object: nothing in an export is nested this deep
PEEK_BYTES = 64  # enough to tell a JSON array from anything else
PROGRESS_BYTES = 1024 * 1024  # progress is written every megabyte read
POSITION_MAX_BYTES = 2 * 1024 * 1024  # a broken file this small is parsed again, to say where it breaks
CHECK_SHARE, STORE_SHARE = 40, 95  # progress: checking every play to 40%, storing them to 95%, then affinities
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


# Reading and checking -----------------------------------------------------------------------------------


@dataclass
class HistoryFile:
    """One history file of an upload (a JSON file, or a member of a zip), opened as a stream when read."""

    label: str
    size: int  # its JSON's bytes (a zip member's uncompressed size)
    upload: Upload
    member: zipfile.ZipInfo | None = None

    def open(self) -> IO[bytes]:
        """The file's bytes as a stream: a zip member is inflated as it is read, never whole."""
        self.upload.seek(0)
        if self.member is None:
            return self.upload  # type: ignore[return-value]
        try:
            return zipfile.ZipFile(self.upload).open(self.member)  # type: ignore[arg-type]
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, zlib.error) as error:
            raise HistoryFileError(f"The zip is damaged: {self.label} cannot be read ({error}).") from None


def history_files(uploads: Iterable[Upload]) -> list[HistoryFile]:
    """The history files of these uploads (JSON files and zips of them), checked against the size limits."""
    files: list[HistoryFile] = []
    for upload in uploads:
        name = upload.name or "upload"
        head = upload.read(4)
        upload.seek(0)
        is_zip = head.startswith(b"PK") or name.lower().endswith(".zip")
        limit = MAX_ZIP_BYTES if is_zip else MAX_FILE_BYTES
        if upload.size is not None and upload.size > limit:
            raise HistoryFileError(f"{name}: is larger than {_size(limit)}.")
        files += _unzip(name, upload) if is_zip else [HistoryFile(name, upload.size or 0, upload)]
        if sum(file.size for file in files) > MAX_TOTAL_BYTES:
            raise HistoryFileError(f"{name}: the history files come to more than {_size(MAX_TOTAL_BYTES)} in all.")
    if not files:
        raise HistoryFileError("No file was uploaded.")
    return files


def read_plays(file: HistoryFile, on_read: Callable[[int], None] | None = None) -> Iterator[HistoryPlay | None]:
    """The plays of one history file as it is read (None for a podcast row), checked one by one.

    The JSON array is parsed incrementally (ijson), so a file of a million plays never sits in memory
    whole; `on_read` is told how many bytes were read, for progress. A HistoryFileError says what is
    wrong and where.
    """
    read = 0
    try:
        for play in _plays(file, on_read, ijson):
            read += 1
            yield play
    except ijson.JSONError as error:
        if "integer overflow" not in str(error):
            raise HistoryFileError(f"{file.label}: is not valid JSON{_position(file)}.") from None
        # yajl (ijson's C parser) stops at 64-bit integers: Python's parser takes any, from where it stopped.
        yield from itertools.islice(_plays(file, on_read, ijson_python), read, None)


def _plays(file: HistoryFile, on_read: Callable[[int], None] | None, parser) -> Iterator[HistoryPlay | None]:
    """read_plays with one of ijson's parsers; errors of the stream and of the numbers said in words."""
    raw = file.open()
    try:
        yield from _rows(file.label, _Stream(raw, file.label, on_read), parser)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise HistoryFileError(f"The zip is damaged: {file.label} cannot be read ({error}).") from None
    except HistoryFileError:
        raise
    except ijson.JSONError:
        if parser is ijson:
            raise  # read_plays decides: a 64-bit overflow is read again by Python's parser
        raise HistoryFileError(f"{file.label}: is not valid JSON{_position(file)}.") from None
    except (ValueError, RecursionError) as error:  # a number too long for int(), a value nested too deep
        raise HistoryFileError(f"{file.label}: is not valid JSON ({_shown(str(error))}).") from None
    finally:
        if file.member is not None:
            raw.close()  # the member; the upload itself stays open for the next pass


def _rows(name: str, stream: _Stream, parser) -> Iterator[HistoryPlay | None]:
    start = stream.peek()
    if start.startswith(b"\xef\xbb\xbf"):
        start = start[3:]
    if not start.lstrip(b" \t\r\n").startswith(b"["):
        if start and not _is_text(start):
            raise HistoryFileError(f"{name}: is not a text file.")
        raise HistoryFileError(f"{name}: is not a Spotify streaming history (expected a list of plays).")
    parse = None
    for number, row in enumerate(_items(name, parser.basic_parse(stream, use_float=True)), start=1):
        if not isinstance(row, dict):
            raise HistoryFileError(f"{name}: is not a Spotify streaming history (expected a list of plays).")
        if parse is None:
            if "ts" in row:
                parse = _extended
            elif "endTime" in row:
                parse = _basic
            else:
                raise HistoryFileError(
                    f"{name}: is not a Spotify streaming history: its plays have neither "
                    f"{', '.join(BASIC_FIELDS)} nor {', '.join(EXTENDED_FIELDS)}."
                )
        yield parse(name, number, row)


def _items(name: str, events: Iterable[tuple[str, object]]) -> Iterator[object]:
    """The values of the top-level array, built from the parser's events, never nested deeper than MAX_DEPTH.

    ijson's own `items` keeps a path string per level (quadratic: a value nested 100,000 deep took
    gigabytes); a play is a flat object, so anything deep is refused as soon as it is seen.
    """
    stack: list[dict | list] = []
    keys: list[str] = []  # the pending key of each object on the stack
    for event, value in itertools.islice(events, 1, None):  # past the "[" the caller checked
        if event == "start_map" or event == "start_array":
            container: dict | list = {} if event == "start_map" else []
            if stack:
                _put(stack[-1], keys, container)
            stack.append(container)
            if event == "start_map":
                keys.append("")
            if len(stack) > MAX_DEPTH:
                raise HistoryFileError(f"{name}: holds a value nested more than {MAX_DEPTH} deep; no play is.")
        elif event == "end_map" or event == "end_array":
            if not stack:
                return  # the end of the top-level array
            done = stack.pop()
            if event == "end_map":
                keys.pop()
            if not stack:
                yield done
        elif event == "map_key":
            keys[-1] = value  # type: ignore[assignment]
        elif stack:
            _put(stack[-1], keys, value)
        else:
            yield value


def _put(container: dict | list, keys: list[str], value: object) -> None:
    if isinstance(container, dict):
        container[keys[-1]] = value
    else:
        container.append(value)


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(data) - 4  # a character cut at the end of the peek is still text
    return b"\x00" not in data


def _position(file: HistoryFile) -> str:
    """Where a small file's JSON breaks (line, column), from the standard parser; nothing for a big file."""
    if file.size > POSITION_MAX_BYTES:
        return ""
    raw = file.open()
    data = raw.read(POSITION_MAX_BYTES + 1)
    if file.member is not None:
        raw.close()
    try:
        json.loads(data)
    except json.JSONDecodeError as error:
        return f" (line {error.lineno}, column {error.colno})"
    except (ValueError, RecursionError):
        pass
    return ""


class _Stream:
    """A file read for ijson: counts the bytes (a zip may lie about sizes) and lets the start be peeked at."""

    def __init__(self, raw: IO[bytes], label: str, on_read: Callable[[int], None] | None):
        self.raw, self.label, self.on_read = raw, label, on_read
        self.buffer, self.count = b"", 0

    def peek(self) -> bytes:
        self.buffer = self._read(PEEK_BYTES)
        return self.buffer

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson asks for nothing first, to learn whether the stream gives bytes or text
        if self.buffer:
            data, self.buffer = self.buffer, b""
            return data
        return self._read(min(size, READ_BYTES) if size > 0 else READ_BYTES)

    def _read(self, size: int) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        if self.count > MAX_FILE_BYTES:
            raise HistoryFileError(f"{self.label}: is larger than {_size(MAX_FILE_BYTES)}.")
        if self.on_read is not None:
            self.on_read(len(data))
        return data


def _unzip(name: str, upload: Upload) -> list[HistoryFile]:
    """The history files in a zip, each checked against the size limit (and again while it is read)."""
    try:
        archive = zipfile.ZipFile(upload)  # type: ignore[arg-type]
        members = [info for info in archive.infolist() if _HISTORY_FILE.search(info.filename)]
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
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
        files.append(HistoryFile(label, info.file_size, upload, info))
    return files


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 2**10} kB"


def _missing(name: str, number: int, row: dict, fields: tuple[str, ...]) -> None:
    absent = [column for column in fields if column not in row]
    if absent:
        raise HistoryFileError(f"{name}: play {number} has no {', '.join(absent)}.")


def _shown(value) -> str:
    """A value as the error message quotes it: its repr, cut short."""
    try:
        text = repr(value)
    except RecursionError:
        return "a value nested too deep"
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
    value = value.replace("\x00", "")  # a NUL ("\u0000") is valid JSON, but no database stores it
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
    value = (value or "").replace("\x00", "")
    if value and not _storable(value):
        raise HistoryFileError(
            f"{name}: play {number} has {column} {_shown(value)}, with a character text cannot hold."
        )
    return value.strip()
