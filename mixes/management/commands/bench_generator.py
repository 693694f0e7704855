"""Measure the generator against PRODUCT.md's targets, next to a greedy baseline, on real data.

    python manage.py bench_generator [--catalog PATH] [--runs 5] [--seeds 5] [--sizes 10000,100000,1000000] [--json]

Quality: every template plan, several seeds, on the catalog as it is. Speed: the 60-minute "spin" plan from
pools resampled from the catalog to each size (loading and resampling are not timed).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mixes.engine.catalog_csv import CatalogError, read_pool
from mixes.engine.generator import generate
from mixes.engine.metrics import FIT_TARGETS, greedy_baseline, measure, missed_fit_targets, summarize
from mixes.engine.plan import TEMPLATES, template
from mixes.engine.pool import Pool

DEFAULT_CATALOG = Path("tidytuesday-2020-01-21-spotify-songs") / "spotify_songs.csv"
SPEED_TEMPLATE = "spin"
SPEED_TARGETS_MS = {100_000: 100.0, 1_000_000: 1000.0}


class Command(BaseCommand):
    help = "Benchmark the mix generator (quality on every template, speed by pool size) against a greedy baseline."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--catalog", help="Catalog CSV (default: the TidyTuesday Spotify songs dataset).")
        parser.add_argument("--runs", type=int, default=5, help="Timed runs per pool size; the median is shown.")
        parser.add_argument("--seeds", type=int, default=5, help="Seeds per template for the quality measures.")
        parser.add_argument("--sizes", default="10000,100000,1000000", help="Pool sizes for the speed runs.")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args, **options):
        path = Path(options["catalog"]) if options["catalog"] else settings.DATASETS_DIR / DEFAULT_CATALOG
        if not path.is_file():
            raise CommandError(
                f"The benchmark dataset is missing: no file at {path}. Put the TidyTuesday 2020-01-21 Spotify songs "
                "CSV there (see ../shared/datasets), set DATASETS_DIR, or pass --catalog PATH."
            )
        try:
            sizes = [int(size) for size in options["sizes"].split(",") if size.strip()]
        except ValueError:
            raise CommandError("--sizes takes pool sizes separated by commas, such as 10000,100000.") from None
        if options["runs"] < 1 or options["seeds"] < 1 or any(size < 1 for size in sizes):
            raise CommandError("--runs, --seeds and every size must be at least 1.")
        try:
            pool = read_pool(path)
        except CatalogError as error:
            raise CommandError(str(error)) from None
        seeds = range(options["seeds"])
        report = {
            "catalog": str(path),
            "tracks": len(pool),
            "without_tempo_or_energy": pool.without_features,
            "seeds": len(seeds),
            "runs": options["runs"],
            "quality": {key: quality(pool, key, seeds) for key in TEMPLATES},
            "speed": [speed(pool, size, options["runs"]) for size in sizes],
        }
        report["missed"] = missed_targets(report)
        self.stdout.write(json.dumps(report, indent=2) if options["json"] else as_text(report))
        if report["missed"]:
            raise CommandError(f"{len(report['missed'])} target(s) missed.")


def quality(pool: Pool, key: str, seeds) -> dict:
    """Each measure for our generator and the baseline, over all seeds' mixes of one template."""
    plan = template(key)
    rows = {}
    for name, build in (("ours", generate), ("greedy", greedy_baseline)):
        mixes = [measure(build(pool, plan, seed=seed), pool) for seed in seeds]
        rows[name] = summarize(mixes)
    return rows


def speed(pool: Pool, size: int, runs: int) -> dict:
    """Median generation time of the 60-minute plan from a pool resampled to `size`, ours and the baseline."""
    big = pool.resample(size, seed=size)
    plan = template(SPEED_TEMPLATE)
    times = {}
    for name, build in (("ours", generate), ("greedy", greedy_baseline)):
        samples = []
        for run in range(runs):
            started = time.perf_counter()
            build(big, plan, seed=run)
            samples.append((time.perf_counter() - started) * 1000)
        times[name] = statistics.median(samples)
    return {
        "size": size,
        "ours_ms": times["ours"],
        "greedy_ms": times["greedy"],
        "ratio": times["ours"] / times["greedy"],
    }


def missed_targets(report: dict) -> list[str]:
    missed = []
    for key, rows in report["quality"].items():
        missed += [f"{key}: {name}" for name in missed_fit_targets(rows["ours"])]
    for row in report["speed"]:
        limit = SPEED_TARGETS_MS.get(row["size"])
        if limit is not None and row["ours_ms"] > limit:
            missed.append(f"{row['size']:,} tracks: {row['ours_ms']:.0f} ms > {limit:.0f} ms")
    return missed


def as_text(report: dict) -> str:
    lines = [
        f"Catalog: {report['catalog']}",
        f"  {report['tracks']:,} distinct tracks, {report['without_tempo_or_energy']} without tempo or energy",
        "",
        f"Quality: every template, full mix, seeds 0..{report['seeds'] - 1}; ours next to the greedy baseline",
        "  |Σ−D|: total duration error (median over seeds / max); boundary: median distance from a plan boundary",
        "  between sections to the nearest track boundary; tempo: median min(|x−target|) over x in {t, 2t, t/2};",
        "  energy: median |energy−target|; targets are the plan's music (plan.music_plan) over each track's span.",
        "",
        f"{'template':<10} {'':<6} {'tracks':>6} {'|Σ−D| med':>9} {'max':>6} {'boundary':>8} {'tempo':>6} "
        f"{'≤8 BPM':>6} {'energy':>6} {'dups':>4} {'spacing':>7}",
    ]
    for key, rows in report["quality"].items():
        for name, row in rows.items():
            lines.append(
                f"{key if name == 'ours' else '':<10} {name:<6} {row['tracks']:>6.0f} {row['duration_median_s']:>9.1f} "
                f"{row['duration_max_s']:>6.1f} {_number(row['boundary_median_s'], '8.1f')} "
                f"{row['tempo_median_bpm']:>6.2f} "
                f"{row['within_8_bpm']:>6.0%} {row['energy_median']:>6.3f} {row['duplicates']:>4} "
                f"{row['spacing_violations']:>7}"
            )
    lines += [
        "",
        f"Speed: the 60-minute '{SPEED_TEMPLATE}' plan, median of {report['runs']} runs "
        "(loading and resampling not timed)",
        f"{'pool':>10} {'ours ms':>9} {'greedy ms':>10} {'ours/greedy':>11} {'target':>8}",
    ]
    for row in report["speed"]:
        limit = SPEED_TARGETS_MS.get(row["size"])
        lines.append(
            f"{row['size']:>10,} {row['ours_ms']:>9.1f} {row['greedy_ms']:>10.1f} {row['ratio']:>10.1f}× "
            f"{'≤ ' + format(limit, '.0f') if limit else '—':>8}"
        )
    lines.append("")
    t = FIT_TARGETS
    lines.append(
        f"Targets: |Σ−D| median ≤ {t['duration_median_s']:.0f} s and max ≤ {t['duration_max_s']:.0f} s; boundary ≤ "
        f"{t['boundary_median_s']:.0f} s; tempo ≤ {t['tempo_median_bpm']} BPM with ≥ {t['within_8_bpm_min']:.0%} "
        f"within 8 BPM; energy ≤ {t['energy_median']}; no duplicates; no spacing violations."
    )
    if report["missed"]:
        lines += ["MISSED:"] + [f"  {miss}" for miss in report["missed"]]
    else:
        lines.append("All targets met.")
    return "\n".join(lines)


def _number(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0])
    return format(value, spec) if value is not None else "—".rjust(width)
