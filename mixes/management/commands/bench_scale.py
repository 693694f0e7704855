"""Does Generate cost what the engine costs, whatever the catalog's size? Catalogs of N tracks on PostgreSQL.

    python manage.py bench_scale [--sizes 28356,200000,1000000] [--runs 7] [--seeds 10] [--load-at 200000] [--json]

For each size, in a throwaway database on the server of DATABASE_URL (dropped afterwards): the TidyTuesday
dataset resampled to N tracks (mixes/scale_bench/catalog.py) is imported with `import_tracks` (time and peak
memory), and imported again unchanged; then, inside that database, the requests are timed through the views for a
person without and one with a history, next to the engine's own time on the same plan with the whole catalog as
its pool, the price of caching the whole catalog per process, and the quality of the narrowed pool next to the
whole catalog's (mixes/scale_bench/). At --load-at, a bounded load run against gunicorn on that database
(mixes/scale_bench/load.py). Every step runs as an operator would: `manage.py` in a process of its own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mixes.scale_bench import catalog, load, measure

DATASET = Path("tidytuesday-2020-01-21-spotify-songs") / "spotify_songs.csv"
SIZES = "28356,200000,1000000"
BASE_DIR = Path(settings.BASE_DIR)
# The targets, checked with --check.
GENERATE_OVER_ENGINE = 5.0
AT_1M = {"swap": 0.100, "Screen 2": 0.060}
IMPORT_1M_S, IMPORT_MB = 120.0, 500.0
LOAD_OVER_BARE = 3.0


class Command(BaseCommand):
    help = "Import, request, engine, quality and load figures for catalogs of several sizes, on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default=SIZES, help="Catalog sizes, comma-separated.")
        parser.add_argument("--runs", type=int, default=7, help="Timed runs of each request; the median is shown.")
        parser.add_argument("--seeds", type=int, default=10, help="Seeds per template plan for the quality measures.")
        parser.add_argument("--load-at", type=int, default=200_000, help="The size to run the load at (0: none).")
        parser.add_argument("--load-users", type=int, default=20)
        parser.add_argument("--load-seconds", type=float, default=120.0)
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for the load run.")
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
        parser.add_argument("--check", action="store_true", help="Exit non-zero when a target is missed.")
        parser.add_argument(
            "--inside", action="store_true", help="(internal) Measure in this database and print JSON: the other steps."
        )
        parser.add_argument("--sessions", type=int, default=0, help="(internal, with --inside) People for a load run.")

    def handle(self, *args, **options):
        if options["inside"]:
            self.stdout.write(json.dumps(inside(options["runs"], options["seeds"], options["sessions"])))
            return
        if connection.vendor != "postgresql":
            raise CommandError("bench_scale builds its catalogs in PostgreSQL: set DATABASE_URL=postgres://…")
        dataset = settings.DATASETS_DIR / DATASET
        if not dataset.is_file():
            raise CommandError(f"The dataset is missing: no file at {dataset} (see ../shared/datasets, DATASETS_DIR).")
        try:
            sizes = [int(size) for size in options["sizes"].split(",") if size.strip()]
        except ValueError:
            raise CommandError("--sizes takes catalog sizes separated by commas, such as 28356,200000.") from None
        if options["runs"] < 1 or options["seeds"] < 1 or not sizes or min(sizes) < 100:
            raise CommandError("--runs and --seeds must be at least 1, and every size at least 100.")
        report = {"sizes": [self.one_size(dataset, size, options) for size in sizes]}
        report["missed"] = missed(report)
        self.stdout.write(json.dumps(report, indent=2) if options["json"] else as_text(report))
        if options["check"] and report["missed"]:
            raise CommandError(f"{len(report['missed'])} target(s) missed.")

    def one_size(self, dataset: Path, size: int, options: dict) -> dict:
        self.stderr.write(f"{size:,} tracks: building the catalog…")
        server = settings.DATABASES["default"]
        name = f"{server['NAME']}_bench_scale"
        url = f"postgres://{server['USER']}@{server['HOST'] or '127.0.0.1'}:{server['PORT'] or 5432}/{name}"
        if server.get("PASSWORD"):
            url = url.replace("@", f":{server['PASSWORD']}@", 1)
        # One secret for every step: the load run's sessions are made by one process and read by gunicorn.
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SECRET_KEY": "bench-" + os.urandom(24).hex()}
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = _redis_db(os.environ["REDIS_URL"], 14)  # a database of its own, emptied after
        with tempfile.TemporaryDirectory() as scratch:
            csv_path = Path(scratch) / f"tracks_{size}.csv"
            catalog.resample(dataset, size, csv_path)
            _recreate(server, name)
            try:
                run(["migrate", "--noinput", "-v0"], env)
                figures = {"tracks": size}
                figures["import"] = timed(["import_tracks", str(csv_path)], env)
                figures["reimport"] = timed(["import_tracks", str(csv_path)], env)
                self.stderr.write(f"{size:,} tracks: requests, engine and quality…")
                sessions = options["load_users"] if size == options["load_at"] else 0
                inside_args = [
                    "bench_scale",
                    "--inside",
                    "--runs",
                    str(options["runs"]),
                    "--seeds",
                    str(options["seeds"]),
                ]
                out = run([*inside_args, "--sessions", str(sessions)], env)
                figures.update(json.loads(out.strip().splitlines()[-1]))
                if sessions:
                    self.stderr.write(
                        f"{size:,} tracks: load run, {sessions} people for {options['load_seconds']:.0f} s…"
                    )
                    people = [tuple(person) for person in figures.pop("sessions")]
                    figures["load"] = load_run(env, Path(scratch), people, options)
            finally:
                _drop(server, name)
                if env.get("REDIS_URL") != os.environ.get("REDIS_URL"):
                    _flush_redis(env["REDIS_URL"])
        return figures


def inside(runs: int, seeds: int, sessions: int) -> dict:
    """The measures of mixes/scale_bench/measure.py for this database's catalog."""
    who = measure.people()
    # First, while no whole-catalog pool has been read yet: the memory it takes is then the process's growth.
    figures: dict = {"whole_catalog": measure.whole_catalog(who["listener"]), "requests": {}, "engine": {}, "ratio": {}}
    for name, user in who.items():
        pair = measure.side_by_side(user, runs)
        figures["requests"][name] = {"Generate": pair["Generate"], **measure.requests(user, runs)}
        figures["engine"][name] = {"whole catalog": pair["engine"], **measure.engine(user, runs)}
        figures["ratio"][name] = pair["ratio"]
    figures["quality"] = measure.quality(who, seeds)
    if sessions:
        figures["sessions"] = measure.sessions(sessions)
    return figures


def load_run(env: dict, scratch: Path, people: list[tuple[str, int]], options: dict) -> dict:
    """gunicorn on the catalog's database, as `make serve` runs it behind a TLS proxy, and the load run against it."""
    port = _free_port()
    serve = {
        **env,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "smtp://127.0.0.1:25",  # never used by the journey; production settings require one
        "DEFAULT_FROM_EMAIL": "bench@127.0.0.1",
        "STATIC_ROOT": str(scratch / "static"),
    }
    run(["collectstatic", "--noinput", "-v0"], serve)
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
    command += ["--workers", str(options["workers"]), "--bind", f"127.0.0.1:{port}", "--timeout", "60"]
    command += ["--forwarded-allow-ips", "127.0.0.1", "--no-control-socket"]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        report = load.run(port, people, options["load_seconds"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "users": report.users,
        "seconds": report.seconds,
        "workers": options["workers"],
        "requests": report.summary(),
        "failures": report.failures,
    }


def run(arguments: list[str], env: dict) -> str:
    """`manage.py` with these arguments in a process of its own; its output. CommandError if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise CommandError(f"manage.py {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def timed(arguments: list[str], env: dict) -> dict:
    """Wall time and peak memory (RSS) of a `manage.py` process."""
    # Its output goes to files, not pipes: a process writing to a full pipe nobody reads never ends.
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "manage.py", *arguments], cwd=BASE_DIR, env=env, stdout=stdout, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(), stderr.read().decode()
    if status:
        raise CommandError(f"manage.py {' '.join(arguments)} failed: {err[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_mb": round(usage.ru_maxrss / 1024), "summary": out.splitlines()[:4]}


def _recreate(server: dict, name: str) -> None:
    _drop(server, name)
    with _maintenance(server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def _drop(server: dict, name: str) -> None:
    with _maintenance(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _maintenance(server: dict):
    return psycopg.connect(
        host=server["HOST"] or "127.0.0.1",
        port=server["PORT"] or 5432,
        user=server["USER"],
        password=server.get("PASSWORD") or None,
        dbname=server["NAME"],
        autocommit=True,
    )


def _redis_db(url: str, number: int) -> str:
    base = url.rsplit("/", 1)[0] if url.rsplit("/", 1)[-1].isdigit() else url.rstrip("/")
    return f"{base}/{number}"


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise CommandError(f"gunicorn did not answer on 127.0.0.1:{port} within {seconds:.0f} s.")


# Targets and the text report ----------------------------------------------------------------------------------


def missed(report: dict) -> list[str]:
    """The issue's targets this report misses, in words."""
    found = []
    for figures in report["sizes"]:
        n = figures["tracks"]
        if n >= 200_000:
            for person, ratio in figures["ratio"].items():
                if ratio > GENERATE_OVER_ENGINE:
                    found.append(f"{n:,}: Generate is {ratio:.1f}× the engine's own time for {person}")
        if n >= 1_000_000:
            for name, limit in AT_1M.items():
                seconds = figures["requests"]["listener"][name]
                if seconds > limit:
                    found.append(f"{n:,}: {name} takes {seconds * 1000:.0f} ms (target {limit * 1000:.0f})")
            if figures["import"]["seconds"] > IMPORT_1M_S * n / 1_000_000:
                found.append(f"{n:,}: import takes {figures['import']['seconds']:.0f} s")
            if figures["import"]["peak_mb"] > IMPORT_MB:
                found.append(f"{n:,}: import peaks at {figures['import']['peak_mb']} MB")
        everyone = figures["quality"]["everyone"]
        found += [
            f"{n:,}: the narrowed pool's {name} is more than 5% off the whole catalog's" for name in everyone["missed"]
        ]
        if load_figures := figures.get("load"):
            requests = load_figures["requests"]
            if errors := sum(r["errors"] for r in requests.values()):
                found.append(f"{n:,}: {errors} errors under load")
            ratio = requests["Generate"]["p95_ms"] / requests["bare page"]["p95_ms"]
            if ratio > LOAD_OVER_BARE:
                found.append(f"{n:,}: under load Generate's p95 is {ratio:.1f}× the bare page's")
    return found


def as_text(report: dict) -> str:
    lines = []
    for f in report["sizes"]:
        n = f["tracks"]
        lines.append(f"\n== {n:,} tracks ==")
        imp, again = f["import"], f["reimport"]
        lines.append(f"import_tracks: {imp['seconds']:.1f} s, peak {imp['peak_mb']} MB; "
                     f"again, unchanged: {again['seconds']:.1f} s, peak {again['peak_mb']} MB")  # fmt: skip
        lines.append(f"{'median ms':<22}{'Generate':>10}{'Screen 2':>10}{'swap':>8}{'BPM fix':>9}"
                     f"{'engine, whole':>15}{'engine, read':>14}{'pool':>7}{'Generate/engine':>17}")  # fmt: skip
        for person, r in f["requests"].items():
            e = f["engine"][person]
            lines.append(
                f"{person:<22}{r['Generate'] * 1000:>10.0f}{r['Screen 2'] * 1000:>10.0f}{r['swap'] * 1000:>8.0f}"
                f"{r['BPM fix'] * 1000:>9.0f}{e['whole catalog'] * 1000:>15.0f}{e['narrowed'] * 1000:>14.0f}"
                f"{e['pool tracks']:>7}{f['ratio'][person]:>16.1f}×"
            )
        whole = f["whole_catalog"]
        lines.append(f"the whole catalog as a pool (a per-process cache): {whole['load_s']:.1f} s to read, "
                     f"{whole['rss_mb']:.0f} MB held")  # fmt: skip
        for person, q in f["quality"].items():
            verdict = f"; MISSED {', '.join(q['missed'])}" if q["missed"] else ""
            lines.append(f"quality for {person}, {q['mixes']} mixes (whole catalog → narrowed){verdict}:")
            lines.append("   " + ", ".join(
                f"{name} {q['full'][name]:.3g} → {q['narrowed'][name]:.3g}"
                + (f" (worse by {q['worse'][name][1]:+.2g}…{q['worse'][name][2]:+.2g})" if name in q["worse"] else "")
                for name in ("duration_median_s", "duration_max_s", "boundary_median_s", "tempo_median_bpm",
                             "within_8_bpm", "energy_median", "duplicates", "spacing_violations", "taste",
                             "known_share")
                if q["full"][name] is not None
            ))  # fmt: skip
        if load_figures := f.get("load"):
            lines.append(f"load run: {load_figures['users']} people, {load_figures['seconds']:.0f} s, "
                         f"{load_figures['workers']} gunicorn workers")  # fmt: skip
            for name, r in load_figures["requests"].items():
                lines.append(f"   {name:<12}{r['count']:>6} requests {r['errors']:>3} errors"
                             f"  p50 {r['p50_ms']:>7.1f} ms  p95 {r['p95_ms']:>7.1f} ms")  # fmt: skip
            for failure in load_figures["failures"]:
                lines.append(f"   failed: {failure}")
    lines.append("\nTargets: " + ("all met." if not report["missed"] else "MISSED: " + "; ".join(report["missed"])))
    return "\n".join(lines)
