"""Time Screen 2's requests on the database's catalog: generate, show, swap, BPM fix.

Runs as a throwaway user inside a transaction that is rolled back: the database is left as it was.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings

from mixes import services
from mixes.engine.plan import template
from mixes.models import WorkoutPlan
from music.models import Track


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Median times of Screen 2's requests (generate, page, swap, BPM fix) on the database's catalog."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--plan", default="spin", help="Template key of the plan to generate.")

    def handle(self, *args, runs: int, plan: str, **options):
        tracks = Track.objects.count()
        if tracks < 100:
            raise CommandError(
                "Import a catalog first (manage.py import_tracks FILE.csv): there is almost nothing to time."
            )
        try:
            with transaction.atomic(), override_settings(ALLOWED_HOSTS=["testserver"]):
                self.bench(tracks, runs, plan)
                raise Rollback
        except Rollback:
            pass

    def bench(self, tracks: int, runs: int, key: str) -> None:
        user = get_user_model().objects.create_user("bench-actions", password=None)
        workout = WorkoutPlan.create_from_spec(user, template(key), template_key=key)
        client = Client()
        client.force_login(user)
        htmx = {"HTTP_HX_REQUEST": "true"}
        made = []

        def generate(i):
            made.append(services.create_mix(user, workout, seed=i))

        figures = {"generate": self.median(generate, runs)}
        mix = made[-1]
        items = list(mix.tracks.order_by("position"))
        figures["Screen 2"] = self.median(lambda i: client.get(mix.get_absolute_url()), runs)
        figures["swap"] = self.median(
            lambda i: client.post(f"/mixes/{mix.pk}/tracks/{items[i % len(items)].pk}/swap/", **htmx), runs
        )
        # ×2 then ÷2 on the same row, so the tempo stays in range.
        row = items[-1].pk
        figures["BPM fix"] = self.median(
            lambda i: client.post(f"/mixes/{mix.pk}/tracks/{row}/bpm/", {"factor": "2" if i % 2 else "0.5"}, **htmx),
            runs,
        )
        self.stdout.write(f"Catalog of {tracks:,} tracks, {key} plan, median of {runs} runs:")
        for name, seconds in figures.items():
            self.stdout.write(f"  {name:<9} {seconds * 1000:7.0f} ms")

    @staticmethod
    def median(action, runs: int) -> float:
        times = []
        for i in range(runs):
            start = time.perf_counter()
            action(i)
            times.append(time.perf_counter() - start)
        return statistics.median(times)
