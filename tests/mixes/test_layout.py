"""Layout and copy around the pages: plurals, timeline labels, colours that read."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import WorkoutPlanFactory

pytestmark = pytest.mark.django_db

CSS = Path(settings.BASE_DIR, "static/css/app.css").read_text()


def test_a_one_phase_plan_says_phase(user_client, user):
    """The plans list says "1 phase", not "1 phases"."""
    WorkoutPlanFactory(owner=user, name="Just run", phases=[("Run", "steady", 1800, (160, 160), (0.7, 0.7))])
    html = user_client.get("/plans/").text
    assert "1 phase ·" in html and "1 phases" not in html


def test_timeline_names_a_narrow_phase_by_its_initial(user_client, user):
    """A phase too narrow for its name shows its initial (the legend below names it in full), not a cut word."""
    WorkoutPlanFactory(owner=user, is_active=True)  # 5 + 15 + 5 minutes: the warm-up is 20 % wide
    narrow = [("Warm-up", "warm_up", 180, (110, 150), (0.5, 0.6)), ("Steady", "steady", 3000, (160, 160), (0.7, 0.7))]
    plan = WorkoutPlanFactory(owner=user, phases=narrow)
    html = user_client.get(f"/?plan={plan.pk}").text
    assert re.search(r'class="seg k-warm_up"[^>]*>W</div>', html)
    assert "<strong>Warm-up</strong>" in html


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_phase_colours_carry_white_text_at_4_5_to_1():
    """White timeline labels on every phase colour reach the 4.5:1 small-text contrast."""
    colours = dict(re.findall(r"--k-(\w+): (#[0-9a-f]{6})", CSS))
    assert len(colours) == 7
    for kind, colour in colours.items():
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5, kind
