"""Save to Spotify through a real `celery worker` process and Redis (not eager), and through a worker killed mid-save.

Runs only on PostgreSQL with REDIS_URL set (CI's first `make test`): the worker is a separate process, so it
needs a database it can share with the test (the live test database, committed: `transactional_db`) and a
broker. The worker gets Redis db 5 of REDIS_URL's server (its own, flushed), the test database's name, the
sandbox's URL, and short fault windows: it beats every 0.3 s, a running job is presumed dead after 2 s of
silence, and an unacknowledged message comes back after 2 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from mixes.models import MixTrack, PlaylistExport, SessionMix
from mixes.tasks import enqueue_save
from music.models import SpotifySync
from music.tasks import enqueue_sync
from tests.factories import ArtistFactory, SessionMixFactory, TrackFactory

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not REDIS_URL or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="a real worker needs REDIS_URL and DATABASE_URL on PostgreSQL",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
STALE_S = 2.0


def worker_broker_url() -> str:
    parts = urlsplit(REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/5", "", ""))


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


class Worker:
    """`celery -A config worker` in its own process group, on the test database and the worker's Redis db."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log, self.process = env, log, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: b"ready." in self.log.read_bytes() or self.process.poll() is not None, 30, "the worker")
        assert self.process.poll() is None, self.log.read_text()[-3000:]

    def kill_pool_process(self) -> None:
        """kill -9 of the pool process running the task; the worker itself lives on and starts another."""
        pid = self.process.pid
        (child,) = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        os.kill(int(child), signal.SIGKILL)

    def kill(self) -> None:
        """kill -9 of the whole worker, its pool process too: the machine lost."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(transactional_db, spotify_sandbox, tmp_path) -> Iterator[Worker]:
    """A real worker; the test's tasks go to its broker instead of running eagerly."""
    broker = worker_broker_url()
    redis.Redis.from_url(broker).flushdb()
    database = settings.DATABASES["default"]
    parts = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit((parts.scheme, parts.netloc, f"/{database['NAME']}", "", "")),
        "REDIS_URL": broker,
        "SPOTIFY_SANDBOX_URL": spotify_sandbox.url,
        "JOB_HEARTBEAT_S": "0.3",
        "JOB_RUNNING_STALE_S": str(STALE_S),
        "CELERY_VISIBILITY_TIMEOUT_S": "2",
    }
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = broker, False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    assert connection.vendor == "postgresql"
    process = Worker(env, tmp_path / "worker.log")
    process.start()
    yield process
    process.stop()
    conf.broker_url, conf.task_always_eager = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    redis.Redis.from_url(broker).flushdb()


def sandbox_mix(owner, sandbox, count: int) -> SessionMix:
    """A mix of `count` tracks the sandbox knows, in a known order."""
    mix = SessionMixFactory(owner=owner)
    artist = ArtistFactory()
    tracks = [
        TrackFactory(spotify_id=song["id"], title=song["name"], artist=artist) for song in sandbox.catalog[:count]
    ]
    MixTrack.objects.bulk_create(
        MixTrack(mix=mix, track=track, section=0, position=n) for n, track in enumerate(tracks)
    )
    return mix


def uris(mix: SessionMix) -> list[str]:
    return [f"spotify:track:{t.track.spotify_id}" for t in mix.tracks.select_related("track").order_by("position")]


def playlists_named(sandbox, name: str) -> list[dict]:
    return [p for p in sandbox.playlists("sandbox-demo") if not p["deleted"] and p["name"] == name]


def status(mix: SessionMix) -> str:
    return PlaylistExport.objects.get(mix=mix).status


def test_save_goes_through_a_real_worker(worker, connected_user, spotify_sandbox):
    """A save sent to Redis is done by the worker process: one playlist, every track once, in order."""
    mix = sandbox_mix(connected_user, spotify_sandbox, 30)
    enqueue_save(mix, name="Real worker", description="", public=False)
    wait_for(lambda: status(mix) in ("done", "failed"), 30, "the save")
    assert status(mix) == "done", PlaylistExport.objects.get(mix=mix).message
    (playlist,) = playlists_named(spotify_sandbox, "Real worker")
    assert playlist["items"] == uris(mix)


def test_save_whose_worker_was_killed_finishes_once_after_a_restart(worker, connected_user, spotify_sandbox):
    """kill -9 of the worker mid-save, then a restart: the save finishes, one playlist with every track once."""
    count = min(len(spotify_sandbox.catalog), 250)
    assert count > 100, "the sandbox's catalog is too small for two add-items calls"
    mix = sandbox_mix(connected_user, spotify_sandbox, count)
    # The second add-items call hangs for 1.5 s: the worker is killed inside it.
    spotify_sandbox.fault(path="/v1/playlists/*/items", method="POST", delay_s=1.5, skip=1, times=1)
    enqueue_save(mix, name="Killed worker", description="", public=False)
    wait_for(lambda: spotify_sandbox.count("POST", "/v1/playlists/*/items") >= 2, 30, "the second add-items call")
    worker.kill()
    assert status(mix) == "running"
    time.sleep(STALE_S + 2)  # the dead run's lease and the message's visibility both run out
    worker.start()  # the restarted worker gets the unacknowledged message back and takes the save over
    wait_for(lambda: status(mix) in ("done", "failed"), 30, "the save after the restart")
    assert status(mix) == "done", PlaylistExport.objects.get(mix=mix).message
    (playlist,) = playlists_named(spotify_sandbox, "Killed worker")
    assert playlist["items"] == uris(mix)
    assert len(set(playlist["items"])) == len(playlist["items"])
    assert PlaylistExport.objects.get(mix=mix).attempts == 2  # the killed run, and the one that took over


def test_save_whose_pool_process_was_killed_finishes_once(worker, connected_user, spotify_sandbox):
    """kill -9 of the pool process mid-save: the message goes back to the queue, waits out the dead run's lease,
    and the save finishes once."""
    mix = sandbox_mix(connected_user, spotify_sandbox, min(len(spotify_sandbox.catalog), 250))
    spotify_sandbox.fault(path="/v1/playlists/*/items", method="POST", delay_s=1.5, skip=1, times=1)
    enqueue_save(mix, name="Killed pool", description="", public=False)
    wait_for(lambda: spotify_sandbox.count("POST", "/v1/playlists/*/items") >= 2, 30, "the second add-items call")
    worker.kill_pool_process()
    wait_for(lambda: status(mix) in ("done", "failed"), 30, "the save after the pool process died")
    assert status(mix) == "done", PlaylistExport.objects.get(mix=mix).message
    (playlist,) = playlists_named(spotify_sandbox, "Killed pool")
    assert playlist["items"] == uris(mix)
    assert PlaylistExport.objects.get(mix=mix).attempts == 2  # the killed run, and the redelivered one


def test_sync_goes_through_a_real_worker(worker, connected_user, spotify_sandbox):
    """Refresh my music sent to Redis is done by the worker process."""
    assert enqueue_sync(connected_user)
    wait_for(lambda: SpotifySync.of(connected_user).status in ("done", "failed"), 30, "the sync")
    sync = SpotifySync.of(connected_user)
    assert sync.status == "done", sync.message
    assert sync.plays_added > 0
