"""Listening history from Spotify: recently played, top tracks, saved tracks and, if asked, the user's own playlists.

Then the steps other apps add (music.hooks.SyncStep): mixes reads back the playlists it saved.

`sync_history(user)` runs the steps in order. Each step commits on its own, and recently played
commits page by page together with its cursor, so a failure (a 429, a revoked token) loses nothing
already read; the next run resumes after the finished steps and reads recently played only from the
stored cursor. Spotify errors reach the caller (the Celery task decides whether to retry) after the
sync state says what happened.

Spotify's track objects become catalog rows in music.spotify_tracks; plays are stored by music.bulk.add_plays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Count, Q

from accounts.spotify import SpotifyClient, SpotifyError, spotify_account
from music.bulk import add_plays
from music.hooks import SyncStep, sync_steps
from music.models import Play, SpotifySync, TrackAffinity
from music.spotify_tracks import save_spotify_tracks

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


# How a run goes ------------------------------------------------------------------------------------------


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


# Plays ---------------------------------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """Spotify's ISO 8601 timestamps ("2024-01-31T18:22:01.123Z")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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
