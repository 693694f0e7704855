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
the URI), as the uploader's own (`Track.added_by`: nobody else sees it until staff vouch for it or a
Spotify sync brings Spotify's title) — but only when its longest play lasted at least a minute,
because the export does not say how long a track is: its duration is taken as that longest play, a
lower bound, which Spotify's own value replaces the next time a history sync sees the track.
Unmatched plays in the basic format, which has no Spotify id, are counted and reported, not created.

The files are streamed (ijson; a zip member is inflated as it is read), in two passes: every play is
read and checked before anything is written, then the plays are stored in batches. Each value is
checked for its type and range (milliseconds played up to 24 hours, times from 2006 to now, names and
URIs as text), so a file that cannot be read, or holds a value no export could, gets a
HistoryFileError naming the file, the play and what is wrong, and nothing changes; a damaged zip says
so. Plays are stored with the time they started (end − ms played), so importing the same file again
adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from music.bulk import add_plays, chunks
from music.history_files import (
    CHECK_SHARE,
    MIN_CREATE_MS,
    PLAY_BATCH,
    PREFERRED,
    PROGRESS_BYTES,
    SOURCE,
    STORE_SHARE,
    HistoryFileError,
    HistoryPlay,
    Upload,
    history_files,
    read_plays,
)
from music.models import HistoryUpload, Play, Track, TrackAffinity, TrackArtist
from music.normalize import fold, join_song_key
from music.spotify_tracks import save_spotify_tracks


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


# Writing -----------------------------------------------------------------------------------------------------


def import_streaming_history(
    user, uploads: Iterable[Upload], progress: Callable[[int, str], None] | None = None
) -> HistoryImportReport:
    """Read and check, then store the plays of these uploads for the user and rebuild their affinities.

    Two passes over the streamed files, so memory holds one batch of plays and one entry per song, never
    the history: the first checks every play and gathers the songs (raising HistoryFileError, having
    changed nothing, when any file is unreadable); the songs are matched to the catalog (the tracks the
    user may see) and the new ones created as the user's own; the second pass stores the plays,
    PLAY_BATCH at a time, each batch committed, so `progress(percent, message)` can be watched.
    """
    files = history_files(uploads)
    report = HistoryImportReport(files=[file.label for file in files])
    tell = progress or (lambda percent, message: None)
    total = max(1, sum(file.size for file in files))
    read = _Progress(lambda done: tell(round(CHECK_SHARE * done / total), f"Checking {done * 100 // total}%…"))
    songs: dict[tuple[str | None, str], HistoryPlay] = {}  # the longest play of each song
    for file in files:
        for play in read_plays(file, read):
            report.plays_read += 1
            if play is None:
                report.ignored += 1
                continue
            seen = songs.setdefault((play.spotify_id, play.song_key), play)
            if play.ms_played > seen.ms_played:
                songs[play.spotify_id, play.song_key] = play
    tell(CHECK_SHARE, "Matching songs to the catalog…")
    with transaction.atomic():
        by_id, by_key = _match(list(songs.values()), user)
        new = _new_tracks([play for play in songs.values() if _track_of(play, by_id, by_key) is None], user)
    report.tracks_created = new.created
    report.new_track_ids = [pk for sid, pk in new.ids.items() if sid not in by_id]
    by_id.update(new.ids)
    del songs
    unmatched: set[str] = set()
    stored = _Progress(
        lambda done: tell(
            CHECK_SHARE + round((STORE_SHARE - CHECK_SHARE) * done / total), f"Storing plays {done * 100 // total}%…"
        )
    )
    batch: list[Play] = []
    for file in files:
        for play in read_plays(file, stored):
            if play is None:
                continue
            track_id = _track_of(play, by_id, by_key)
            if track_id is None:
                unmatched.add(play.song_key)
                report.unmatched_plays += 1
                continue
            batch.append(
                Play(
                    user=user,
                    track_id=track_id,
                    played_at=play.started_at,
                    ms_played=play.ms_played,
                    skipped=play.skipped,
                    source=SOURCE,
                )
            )
            if len(batch) >= PLAY_BATCH:
                _store(batch, report)
    _store(batch, report)
    report.unmatched_songs = len(unmatched)
    tell(STORE_SHARE, "Counting plays per track…")
    with transaction.atomic():
        TrackAffinity.rebuild_play_counts(user)
    return report


class _Progress:
    """Adds up the bytes read and calls `tell(bytes so far)` every PROGRESS_BYTES."""

    def __init__(self, tell: Callable[[int], None]):
        self.tell, self.done, self.told = tell, 0, 0

    def __call__(self, count: int) -> None:
        self.done += count
        if self.done - self.told >= PROGRESS_BYTES:
            self.told = self.done
            self.tell(self.done)


def _store(batch: list[Play], report: HistoryImportReport) -> None:
    """Store a batch of plays in one transaction, count what was new, and empty the batch."""
    with transaction.atomic():
        new = add_plays(batch)
    report.plays_added += new.count
    report.skips += new.skips
    batch.clear()


def run_upload(job: HistoryUpload) -> HistoryImportReport | None:
    """The background job: import the upload's stored files with progress, then delete them.

    Ends the job DONE with the summary as its message, or FAILED saying what is wrong with a file.
    """
    job.begin()
    try:
        report = import_streaming_history(job.user, job.stored_files(), progress=lambda p, m: job.report(p, m))
    except HistoryFileError as error:
        job.fail(str(error))
        return None
    except Exception:
        # A time limit, a database error: the plays stored so far stay (a second upload adds only the rest).
        job.fail("The import stopped before the end. Upload the files again: plays already imported are not doubled.")
        raise
    finally:
        job.delete_files()
    job.finish(report)
    return report


def _track_of(play: HistoryPlay, by_id: dict[str, int], by_key: dict[str, int]) -> int | None:
    if play.spotify_id and play.spotify_id in by_id:
        return by_id[play.spotify_id]
    found = by_key.get(play.song_key)
    return found if found is not None else by_key.get(play.loose_key)


def _match(plays: list[HistoryPlay], user) -> tuple[dict[str, int], dict[str, int]]:
    """Catalog track ids by Spotify id and by song key, in a few queries for the whole upload.

    By song, only the tracks the user may see are found (`Track.objects.visible_to`): the catalog and
    their own; a Spotify id is unique, so whoever's track holds it is the one.

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
        tracks = Track.objects.visible_to(user).filter(song_key__in=chunk).order_by(*PREFERRED)
        for key, pk in tracks.values_list("song_key", "pk"):
            by_key.setdefault(key, pk)
    for key, pk in _credited_keys([play for play in rest if play.song_key not in by_key], user).items():
        by_key.setdefault(key, pk)
    return by_id, by_key


def _credited_keys(plays: list[HistoryPlay], user) -> dict[str, int]:
    """Song keys under each credited artist of the catalog tracks that these plays' titles, exact or loose, name.

    A track credited to Styles Of Beyond and Fort Minor is keyed "title|styles of beyond" in the
    catalog; here it is also "title|fort minor". Two queries a couple of thousand titles or tracks.
    """
    titles = sorted({title for play in plays for title in (play.song_title, play.loose_key.partition("|")[0])})
    candidates: list[tuple[int, str, str]] = []
    for chunk in chunks(titles):
        tracks = Track.objects.visible_to(user).filter(song_title__in=chunk).order_by(*PREFERRED)
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


def _new_tracks(unmatched: list[HistoryPlay], user):
    """The user's own tracks for the unmatched extended-format songs long enough to know (see the module
    docstring): the export's title and artist are the user's word, not Spotify's, so nobody else sees them
    until staff vouch for the track or a Spotify sync brings Spotify's own."""
    longest: dict[str, HistoryPlay] = {}
    for play in unmatched:
        if play.spotify_id and play.ms_played > getattr(longest.get(play.spotify_id), "ms_played", -1):
            longest[play.spotify_id] = play
    return save_spotify_tracks(
        (
            {
                "id": spotify_id,
                "name": play.title,
                "artists": [{"name": play.artist}],
                "album": {"name": play.album},
                "duration_ms": play.ms_played,
            }
            for spotify_id, play in longest.items()
            if play.ms_played >= MIN_CREATE_MS
        ),
        owner=user,
    )
