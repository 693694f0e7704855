"""Listening history from Spotify: recently played, top tracks, saved tracks and, if asked, the user's own playlists.

Then the steps other apps add (music.hooks.SyncStep): mixes reads back the playlists it saved.

`sync_history(user)` runs the steps in order. Each step commits on its own, and recently played
commits page by page together with its cursor, so a failure (a 429, a revoked token) loses nothing
already read; the next run resumes after the finished steps and reads recently played only from the
stored cursor. Spotify errors reach the caller (the Celery task decides whether to retry) after the
sync state says what happened.

Spotify's track objects become catalog rows: matched by Spotify id, else by song (a demo track gets
its Spotify id and ISRC), else created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.db import connections, router, transaction
from django.db.models import Count, Q

from accounts.spotify import SpotifyClient, SpotifyError, spotify_account
from music.bulk import chunks, resolve_artists, save_credits
from music.hooks import SyncStep, sync_steps
from music.models import Artist, Play, SpotifySync, Track, TrackAffinity
from music.normalize import song_key

SOURCE = "spotify"
TOP_RANGES = ("short_term", "medium_term", "long_term")
# A play is a skip when the next one started before this track could have got far.
SKIP_FLOOR = timedelta(seconds=30)
SKIP_SHARE = 0.5

Progress = Callable[[int, str], None]


@dataclass
class SyncReport:
    """What one call of sync_history did."""

    plays_added: int = 0
    top_tracks: int = 0
    saved_tracks: int = 0
    playlist_tracks: int = 0
    tracks_added: int = 0
    resumed: bool = False
    track_ids: set[int] = field(default_factory=set)
    calls: dict[str, int] = field(default_factory=dict)
    step_counts: dict[str, int] = field(default_factory=dict)  # what each app's sync step counted (music.hooks)


# Spotify track objects → catalog rows --------------------------------------------------------------


@dataclass
class SpotifyTrack:
    """The parts of a Spotify track object the catalog keeps."""

    spotify_id: str
    title: str
    artists: list[tuple[str, str | None]]  # (name, Spotify id), in credit order
    duration_ms: int
    album: str = ""
    release_year: int | None = None
    explicit: bool = False
    isrc: str = ""

    @property
    def song_key(self) -> str:
        return song_key(self.title, self.artists[0][0])[: Track._meta.get_field("song_key").max_length]

    @classmethod
    def parse(cls, item: dict | None) -> SpotifyTrack | None:
        """A track object, or None for what is not a catalog track (episodes, local files, broken items)."""
        if not item or item.get("type", "track") != "track" or item.get("is_local") or not item.get("id"):
            return None
        artists = [(a["name"].strip()[:300], a.get("id")) for a in item.get("artists") or [] if a.get("name")]
        if not item.get("name") or not artists or not item.get("duration_ms"):
            return None
        album = item.get("album") or {}
        year = (album.get("release_date") or "")[:4]
        return cls(
            spotify_id=item["id"][:32],
            title=item["name"][:500],
            artists=artists,
            duration_ms=int(item["duration_ms"]),
            album=(album.get("name") or "")[:500],
            release_year=int(year) if year.isdigit() and 1000 < int(year) <= 2100 else None,
            explicit=bool(item.get("explicit")),
            isrc=((item.get("external_ids") or {}).get("isrc") or "")[:12],
        )


@dataclass
class CatalogWrite:
    ids: dict[str, int]  # Spotify id → track pk
    created: int


def save_spotify_tracks(items: Iterable[dict | None]) -> CatalogWrite:
    """Make these Spotify track objects catalog rows, in a handful of queries, and map their ids to tracks.

    A track already known by its Spotify id gets what it lacks (ISRC, album) and Spotify's duration
    and explicit flag. A catalog track without a Spotify id for the same song takes this id and ISRC
    and keeps its title and credits. Anything else becomes a new track with its credited artists.
    """
    parsed: dict[str, SpotifyTrack] = {}
    for item in items:
        track = SpotifyTrack.parse(item)
        if track is not None:
            parsed.setdefault(track.spotify_id, track)
    if not parsed:
        return CatalogWrite({}, 0)
    with transaction.atomic():
        existing: dict[str, Track] = {}
        for chunk in chunks(list(parsed)):
            existing.update((t.spotify_id, t) for t in Track.objects.filter(spotify_id__in=chunk))
        changed = [track for sid, track in existing.items() if _refresh(track, parsed[sid])]
        missing = [row for sid, row in parsed.items() if sid not in existing]
        unclaimed: dict[str, Track] = {}
        for chunk in chunks(list({row.song_key for row in missing})):
            unclaimed.update((t.song_key, t) for t in Track.objects.filter(song_key__in=chunk, spotify_id__isnull=True))
        new: list[Track] = []
        for row in missing:
            track = unclaimed.pop(row.song_key, None)
            if track is not None:
                track.spotify_id, track.isrc = row.spotify_id, row.isrc or track.isrc
                track.spotify_search_failed_at = None
                changed.append(track)
            else:
                new.append(_new_track(row))
        Track.objects.bulk_update(
            changed, ["spotify_id", "isrc", "album", "duration_ms", "explicit", "spotify_search_failed_at"]
        )
        # Another sync may have created the same track meanwhile: the id is unique, the first one stays.
        Track.objects.bulk_create(new, ignore_conflicts=True)
        ids: dict[str, int] = {}
        for chunk in chunks(list(parsed)):
            ids.update(Track.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"))
        created = [parsed[track.spotify_id] for track in new]
        artist_ids = _artist_ids(name_id for row in created for name_id in row.artists)
        save_credits({ids[row.spotify_id]: list(dict.fromkeys(artist_ids[a] for a in row.artists)) for row in created})
    return CatalogWrite(ids, len(new))


def _refresh(track: Track, row: SpotifyTrack) -> bool:
    """Spotify's own facts about the track with its id; say whether anything changed."""
    before = (track.isrc, track.album, track.duration_ms, track.explicit)
    track.isrc = track.isrc or row.isrc
    track.album = track.album or row.album
    track.duration_ms, track.explicit = row.duration_ms, row.explicit
    return before != (track.isrc, track.album, track.duration_ms, track.explicit)


def _new_track(row: SpotifyTrack) -> Track:
    return Track(
        spotify_id=row.spotify_id,
        isrc=row.isrc,
        title=row.title,
        artist_names=", ".join(name for name, _ in row.artists)[:1000],
        album=row.album,
        release_year=row.release_year,
        duration_ms=row.duration_ms,
        explicit=row.explicit,
        song_key=row.song_key,
    )


def _artist_ids(credits: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str | None], int]:
    """Artist pks for (name, Spotify id) pairs: by Spotify id, else by name (created if new).

    An artist found by name takes the Spotify id if it has none and no other artist holds it.
    """
    credits = set(credits)
    by_spotify: dict[str, int] = {}
    for chunk in chunks([sid for _, sid in credits if sid]):
        by_spotify.update(Artist.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"))
    by_name = resolve_artists(name for name, sid in credits if sid not in by_spotify)
    claims: dict[int, str] = {}
    for name, sid in sorted(credits, key=lambda credit: credit[0]):
        if sid and sid not in by_spotify and sid not in claims.values():
            claims.setdefault(by_name[name], sid)
    artists = list(Artist.objects.filter(pk__in=claims, spotify_id__isnull=True))
    for artist in artists:
        artist.spotify_id = claims[artist.pk]
    Artist.objects.bulk_update(artists, ["spotify_id"])
    return {(name, sid): by_spotify.get(sid) or by_name[name] for name, sid in credits}


# Plays ---------------------------------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """Spotify's ISO 8601 timestamps ("2024-01-31T18:22:01.123Z")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class NewPlays:
    """What add_plays stored: the plays that were new, and how many of those are skips."""

    count: int = 0
    skips: int = 0


def add_plays(plays: list[Play]) -> NewPlays:
    """Store new plays (a play already there is left alone); count the new ones and their skips.

    INSERT ... ON CONFLICT DO NOTHING, many rows a statement: PostgreSQL takes each column as one
    array (unnest), SQLite takes rows of parameters. With bulk_create, most of a 30,000-play import
    went into compiling SQL and binding parameters, row by row. RETURNING gives back only the rows
    inserted, so a play uploaded again counts neither as new nor as a skip.
    """
    new = NewPlays()
    if not plays:
        return new
    connection = connections[router.db_for_write(Play)]
    quote = connection.ops.quote_name
    columns = {
        "user_id": "bigint",
        "track_id": "bigint",
        "played_at": "timestamptz",
        "ms_played": "integer",
        "skipped": "boolean",
        "source": "varchar",
    }
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(p.user_id, p.track_id, adapt(p.played_at), p.ms_played, p.skipped, p.source) for p in plays]
    insert = f"INSERT INTO {quote(Play._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
    returning = f" ON CONFLICT DO NOTHING RETURNING {quote('skipped')}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
            statements = [
                (
                    f"{insert}SELECT * FROM unnest({arrays}){returning}",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
                for chunk in chunks(rows, 10_000)
            ]
        else:
            row_sql = f"({', '.join(['%s'] * len(columns))})"
            per_query = (connection.features.max_query_params or 6000) // len(columns)
            statements = [
                (f"{insert}VALUES {', '.join([row_sql] * len(chunk))}{returning}", [v for row in chunk for v in row])
                for chunk in chunks(rows, min(1000, per_query))
            ]
        for sql, params in statements:
            cursor.execute(sql, params)
            inserted = cursor.fetchall()
            new.count += len(inserted)
            new.skips += sum(1 for (skipped,) in inserted if skipped)
    return new


def is_skip(gap: timedelta, duration_ms: int) -> bool:
    """The next play came well before this one could have ended: under 30 s, or under half the track."""
    duration = timedelta(milliseconds=duration_ms)
    return gap < min(duration, max(SKIP_FLOOR, duration * SKIP_SHARE))


def infer_skips(user) -> int:
    """Mark Spotify plays whose successor is now known as skipped or not; return how many were decided.

    The newest play stays undecided (None) until the next one arrives. A skip stays here, on the play:
    `TrackAffinity.rebuild_play_counts` turns it into the track's skip count, which the scorer reads.
    It is deliberately not also recorded as `Feedback`, which would count it twice.
    """
    undecided = Play.objects.filter(user=user, source=SOURCE, skipped__isnull=True).order_by("played_at").first()
    if undecided is None:
        return 0
    plays = list(
        Play.objects.filter(user=user, source=SOURCE, played_at__gte=undecided.played_at)
        .order_by("played_at")
        .select_related("track")
        .only("pk", "played_at", "skipped", "track__duration_ms")
    )
    decided = []
    for play, following in zip(plays, plays[1:], strict=False):
        if play.skipped is None:
            play.skipped = is_skip(following.played_at - play.played_at, play.track.duration_ms)
            decided.append(play)
    Play.objects.bulk_update(decided, ["skipped"], batch_size=2000)
    return len(decided)


# The sync ---------------------------------------------------------------------------------------------------


class _Run:
    """One sync run: the client, the state the UI polls, the report."""

    def __init__(self, user, state: SpotifySync, client: SpotifyClient, progress: Progress):
        self.user, self.state, self.client, self.progress = user, state, client, progress
        self.report = SyncReport()

    def steps(self) -> list[tuple[str, int, str, Callable[[], object]]]:
        """(name, start %, message, what to do): music's steps in order, then those other apps added."""
        own = [
            (name, percent, message, getattr(self, name))
            for name, percent, message in STEPS
            if name != "playlists" or self.state.include_playlists
        ]
        added = [(step.name, HOOK_STEPS_PERCENT, step.message, partial(self.hook, step)) for step in sync_steps()]
        return own + added

    def hook(self, step: SyncStep) -> None:
        """A step another app added (music.hooks): it counts what it did."""
        self.report.step_counts[step.name] = step.run(self.user, self.client)

    def tell(self, percent: int, message: str) -> None:
        self.state.report(percent, message)
        self.progress(percent, message)

    def save_tracks(self, items: Iterable[dict | None]) -> dict[str, int]:
        written = save_spotify_tracks(items)
        self.report.tracks_added += written.created
        self.state.tracks_added += written.created
        self.report.track_ids.update(written.ids.values())
        return written.ids

    def recent(self) -> None:
        """Recently played, 50 a page, oldest first from the stored cursor; each page commits with its cursor.

        The first run reads from 0: everything Spotify still holds, paging forward.
        """
        for page in self.client.recently_played(after_ms=self.state.recent_cursor or 0):
            items = [item for item in page.get("items") or [] if item.get("played_at")]
            with transaction.atomic():
                ids = self.save_tracks(item.get("track") for item in items)
                plays = [
                    Play(
                        user=self.user,
                        track_id=ids[item["track"]["id"]],
                        played_at=parse_time(item["played_at"]),
                        source=SOURCE,
                    )
                    for item in items
                    if (item.get("track") or {}).get("id") in ids
                ]
                added = add_plays(plays).count
                self.report.plays_added += added
                self.state.plays_added += added
                self.state.recent_cursor = _cursor(page, items, self.state.recent_cursor)
                self.state.save(update_fields=["recent_cursor", "plays_added", "tracks_added", "updated_at"])
            self.tell(5 + min(30, self.report.plays_added // 10), f"Read {self.state.plays_added} recent plays…")
        with transaction.atomic():
            infer_skips(self.user)
            TrackAffinity.rebuild_play_counts(self.user)

    def top(self) -> None:
        """Top tracks of the last 4 weeks, 6 months and all time; the best rank feeds familiarity."""
        ranks: dict[str, tuple[int, list[str]]] = {}
        items = []
        for time_range in TOP_RANGES:
            for rank, item in enumerate(self.client.top_tracks(time_range), start=1):
                if item and item.get("id"):
                    best, ranges = ranks.get(item["id"], (rank, []))
                    ranks[item["id"]] = (min(best, rank), [*ranges, time_range])
                    items.append(item)
        with transaction.atomic():
            ids = self.save_tracks(items)
            TrackAffinity.objects.filter(user=self.user, top_rank__isnull=False).update(top_rank=None, top_ranges=[])
            rows = [
                TrackAffinity(user=self.user, track_id=ids[sid], top_rank=rank, top_ranges=ranges)
                for sid, (rank, ranges) in ranks.items()
                if sid in ids
            ]
            _upsert_affinities(rows, ["top_rank", "top_ranges"])
            self.report.top_tracks = self.state.top_tracks = len(rows)
            self.state.save(update_fields=["top_tracks", "tracks_added", "updated_at"])

    def saved(self) -> None:
        """Liked Songs, 50 a page."""
        items = []
        for saved in self.client.saved_tracks():
            items.append(saved.get("track"))
            if len(items) % 250 == 0:
                self.tell(55 + min(25, len(items) // 100), f"Read {len(items)} saved tracks…")
        self.report.saved_tracks = self.state.saved_tracks = self._flag(items, "saved")
        self.state.save(update_fields=["saved_tracks", "tracks_added", "updated_at"])

    def playlists(self) -> None:
        """The tracks of the playlists the user owns or collaborates on (the only ones Spotify lets us read).

        Playlists an app wrote are left out (a SyncStep's `excludes`): Session Mix's own picks must not
        count as the user's library.
        """
        account = spotify_account(self.user)
        owner = account.uid if account else None
        excluded = [step.excludes(self.user) for step in sync_steps()]
        items = []
        for playlist in self.client.my_playlists():
            if not playlist or ((playlist.get("owner") or {}).get("id") != owner and not playlist.get("collaborative")):
                continue
            if any(written_by_an_app(playlist) for written_by_an_app in excluded):
                continue
            items.extend(self.client.playlist_tracks(playlist["id"]))
        self.report.playlist_tracks = self.state.playlist_tracks = self._flag(items, "in_playlists")
        self.state.save(update_fields=["playlist_tracks", "tracks_added", "updated_at"])

    def _flag(self, items: list[dict | None], flag: str) -> int:
        """Set a TrackAffinity flag on exactly these tracks, clearing it elsewhere, in one transaction; count them."""
        with transaction.atomic():
            ids = self.save_tracks(items)
            track_ids = set(ids.values())
            TrackAffinity.objects.filter(user=self.user, **{flag: True}).update(**{flag: False})
            _upsert_affinities([TrackAffinity(user=self.user, track_id=pk, **{flag: True}) for pk in track_ids], [flag])
        return len(track_ids)


def _upsert_affinities(rows: list[TrackAffinity], fields: list[str]) -> None:
    TrackAffinity.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["user", "track"], update_fields=fields, batch_size=2000
    )


def _cursor(page: dict, items: list[dict], current: int | None) -> int | None:
    """Where the next read starts: past the newest play seen (Spotify's `after` cursor, or our own count)."""
    candidates = [current or 0]
    after = (page.get("cursors") or {}).get("after")
    if after and str(after).isdigit():
        candidates.append(int(after))
    candidates += [round(parse_time(item["played_at"]).timestamp() * 1000) for item in items]
    return max(candidates) or None


# (name, start %, message): the order a run goes in.
STEPS = (
    ("recent", 0, "Reading what you played recently…"),
    ("top", 40, "Reading your top tracks…"),
    ("saved", 55, "Reading your saved tracks…"),
    ("playlists", 85, "Reading your playlists…"),
)
HOOK_STEPS_PERCENT = 95  # the steps other apps add run last


def sync_history(user, progress: Progress = lambda percent, message: None) -> SyncReport:
    """Sync the user's listening history from Spotify; resume an unfinished run where it stopped.

    Raises SpotifyError subclasses (RateLimited, ReconnectSpotify, SpotifyUnavailable, ...) after
    recording them in the user's SpotifySync, which the next run resumes from.
    """
    state = SpotifySync.of(user)
    try:
        client = SpotifyClient(user)
    except SpotifyError as error:  # not connected, or the token is gone
        state.fail(str(error))
        raise
    run = _Run(user, state, client, progress)
    run.report.resumed = state.begin()
    try:
        for name, percent, message, do in run.steps():
            if name in state.steps_done:
                continue
            run.tell(percent, message)
            do()
            state.steps_done = [*state.steps_done, name]
            state.save(update_fields=["steps_done", "updated_at"])
    except SpotifyError as error:
        state.fail(str(error))
        raise
    except Exception:
        state.fail("The sync stopped on an unexpected error; try again later.")
        raise
    finally:
        run.report.calls = dict(client.calls)
    state.finish()
    progress(100, state.summary)
    return run.report


def history_track_ids(user) -> list[int]:
    """Every track the user's history knows: played, saved, top or in their playlists."""
    return list(TrackAffinity.objects.filter(user=user).values_list("track_id", flat=True))


def library_counts(user) -> dict[str, int]:
    """What the My music page shows: plays by where they came from, and what the history knows."""
    by_source = Play.objects.filter(user=user).values("source").annotate(n=Count("pk"))
    plays = {row["source"]: row["n"] for row in by_source}
    known = TrackAffinity.objects.filter(user=user).aggregate(
        tracks=Count("pk"),
        saved=Count("pk", filter=Q(saved=True)),
        top=Count("pk", filter=Q(top_rank__isnull=False)),
        in_playlists=Count("pk", filter=Q(in_playlists=True)),
    )
    return {"plays": sum(plays.values()), "spotify_plays": plays.get(SOURCE, 0), **known}
