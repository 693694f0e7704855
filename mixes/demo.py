"""The embedded demo, whole: music's part (catalog, user, history: music.demo), then the plans and the scorer."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from mixes.models import ScorerConfig, WorkoutPlan
from music import demo as music_demo
from music.importers import ImportReport


@dataclass
class DemoSummary:
    catalog: ImportReport
    user_created: bool
    plays_created: int
    plans_created: int
    active_plan: str
    scorer: str

    def lines(self) -> list[str]:
        catalog = self.catalog
        history = f"{self.plays_created} plays added" if self.plays_created else "already there"
        return [
            f"Demo catalog: {catalog.rows} songs ({catalog.created} created, {catalog.updated} updated, "
            f"{catalog.unchanged} unchanged).",
            f"Demo user: {music_demo.USERNAME} / {music_demo.PASSWORD} "
            f"({'created' if self.user_created else 'already there'}).",
            f"Listening history: {history}.",
            f"Workout plans: {self.plans_created} added; active: {self.active_plan}.",
            f"Scorer: {self.scorer}.",
        ]


def load_demo() -> DemoSummary:
    """Everything the demo needs: catalog, user, history, preferences, plans, scorer. Safe to run again."""
    catalog = music_demo.load_demo_catalog()
    user_created = not get_user_model().objects.filter(username=music_demo.USERNAME).exists()
    user = music_demo.create_demo_user()
    plays = music_demo.create_demo_history(user)
    plans = WorkoutPlan.ensure_templates(user)
    active = WorkoutPlan.objects.for_user(user).get(is_active=True)
    return DemoSummary(catalog, user_created, plays, len(plans), active.name, ScorerConfig.active().name)
