"""The Screen 2 timing command: prints its figures and leaves the database as it was."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mixes.models import SessionMix, WorkoutPlan
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


def test_bench_actions_needs_a_catalog():
    """On an empty catalog it says to import one."""
    with pytest.raises(CommandError, match="Import a catalog first"):
        call_command("bench_actions")


def test_bench_actions_prints_figures_and_rolls_back(catalog):
    """It times generate, page, swap and BPM fix, then leaves no user, plan or mix behind."""
    TrackFactory.create_batch(20, features__tempo=150)
    out = StringIO()
    call_command("bench_actions", runs=2, plan="easy-run", stdout=out)
    for name in ("generate", "Screen 2", "swap", "BPM fix"):
        assert name in out.getvalue()
    assert not SessionMix.objects.exists() and not WorkoutPlan.objects.exists()
