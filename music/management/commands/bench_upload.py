"""Benchmark of the streaming-history upload job: a realistic export, imported by the job's own domain function.

Generates Spotify's basic-format export (StreamingHistory*.json, `--files` files of ~430 k plays each for
the default 1.3 M) zipped as Spotify sends it, in a temporary directory; makes a catalog of `--songs`
tracks that most plays match (5% are of songs it does not know); then stores the zip as an upload and runs
`music.streaming_history.run_upload` on it, as the Celery task does. Prints the wall time and the peak
RSS (resource.getrusage) before and after. Everything is written inside a transaction that is rolled back.
"""

from __future__ import annotations

import json
import random
import resource
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from music.models import HistoryUpload, Track
from music.normalize import song_key
from music.streaming_history import run_upload

UNKNOWN_SHARE = 0.05


class Rollback(Exception):
    """Raised to undo the benchmark's writes."""


class Command(BaseCommand):
    help = "Time a streaming-history upload of --plays plays (default 1.3 M) and print its peak memory (RSS)."

    def add_arguments(self, parser):
        parser.add_argument("--plays", type=int, default=1_300_000)
        parser.add_argument("--files", type=int, default=3, help="History files the plays are split into.")
        parser.add_argument("--songs", type=int, default=20_000, help="Catalog tracks the plays are of.")
        parser.add_argument("--seed", type=int, default=9)

    def handle(self, *args, plays: int, files: int, songs: int, seed: int, **options):
        rng = random.Random(seed)
        self.stdout.write(f"Peak RSS with Django loaded: {peak_rss_mb():.0f} MB.")
        with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
            started = time.perf_counter()
            archive = write_export(Path(folder), plays, files, songs, rng)
            self.stdout.write(
                f"Generated {plays:,} plays in {files} files, zipped to {archive.stat().st_size / 2**20:.1f} MB "
                f"({time.perf_counter() - started:.1f} s)."
            )
            try:
                with transaction.atomic(), override_settings(MEDIA_ROOT=folder):
                    self.run(archive, songs)
                    raise Rollback
            except Rollback:
                pass

    def run(self, archive: Path, songs: int) -> None:
        """Make the catalog and the user, store the upload, and run the job on it, measured."""
        for first in range(0, songs, 2000):  # in chunks: the catalog's making is not what is measured
            Track.objects.bulk_create(
                Track(title=title, artist_names=artist, duration_ms=200_000, song_key=song_key(title, artist))
                for title, artist in (song(n) for n in range(first, min(songs, first + 2000)))
            )
        user = get_user_model().objects.create_user(username=f"bench-upload-{time.time_ns()}")
        with archive.open("rb") as handle:
            job = HistoryUpload.request(user, [File(handle, name=archive.name)])
        assert job is not None
        before = peak_rss_mb()
        started = time.perf_counter()
        report = run_upload(job)
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
        self.stdout.write(f"Job: {job.status}, {job.message}")
        if report is not None:
            self.stdout.write(f"Plays read {report.plays_read:,}, stored {report.plays_added:,}.")
        self.stdout.write(
            f"Wall time {elapsed:.1f} s; peak RSS {peak_rss_mb():.0f} MB (before the job: {before:.0f} MB)."
        )


def song(n: int) -> tuple[str, str]:
    """The title and artist of catalog song n."""
    return f"Track number {n}", f"Artist {n // 12}"


def write_export(folder: Path, plays: int, files: int, songs: int, rng: random.Random) -> Path:
    """Spotify's basic export, zipped: each file written and deflated play by play, never held whole."""
    archive = folder / "my_spotify_data.zip"
    start = datetime(2019, 1, 1, tzinfo=UTC)  # a play every 2 minutes: 1.3 M plays end in 2023
    per_file = -(-plays // files)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for index in range(files):
            count = min(per_file, plays - index * per_file)
            with zipped.open(f"Spotify Account Data/StreamingHistory_music_{index}.json", "w") as member:
                member.write(b"[\n")
                for n in range(count):
                    number = index * per_file + n
                    if rng.random() < UNKNOWN_SHARE:
                        title, artist = f"Unknown song {rng.randrange(5000)}", "Someone else"
                    else:
                        title, artist = song(min(songs - 1, int(rng.paretovariate(1.2)) * 7 % songs))
                    row = {
                        "endTime": (start + timedelta(minutes=2 * number)).strftime("%Y-%m-%d %H:%M"),
                        "artistName": artist,
                        "trackName": title,
                        "msPlayed": rng.choice((200_000, 185_000, 12_000, 230_000)),
                    }
                    member.write((b",\n" if n else b"") + json.dumps(row).encode())
                member.write(b"\n]\n")
    return archive


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
