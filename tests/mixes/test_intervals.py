"""Intervals the music follows: the plan setting, stored with the plan and its mixes, said on Screen 2."""

from mixes import services
from mixes.models import SessionMix, WorkoutPlan
from mixes.preview import build_preview


def hiit_plan(user, interval_music="work"):
    plan = WorkoutPlan.create_for(user, template_key="hiit")
    plan.interval_music = interval_music
    plan.save()
    return plan


def test_a_new_plan_follows_the_work_intervals(user):
    """WorkoutPlan.interval_music defaults to "work"."""
    assert WorkoutPlan.create_for(user, template_key="hiit").interval_music == "work"


def test_the_plan_setting_reaches_its_spec(user):
    """to_spec carries the plan's interval_music."""
    assert hiit_plan(user, "average").to_spec().interval_music == "average"


def test_a_mix_snapshot_keeps_the_setting(user, catalog):
    """A mix's stored plan snapshot says what its intervals follow."""
    mix = services.create_mix(user, hiit_plan(user, "average"), seed=1)
    assert SessionMix.objects.get(pk=mix.pk).plan_snapshot["interval_music"] == "average"


def test_a_snapshot_stored_before_the_setting_still_loads(user, catalog):
    """An existing mix whose snapshot lacks interval_music opens, following the work intervals."""
    mix = services.create_mix(user, hiit_plan(user), seed=1)
    snapshot = dict(mix.plan_snapshot)
    del snapshot["interval_music"]
    SessionMix.objects.filter(pk=mix.pk).update(plan_snapshot=snapshot)
    assert SessionMix.objects.get(pk=mix.pk).plan_spec().interval_music == "work"


def test_screen_2_says_the_block_follows_the_work_intervals(user_client, user, catalog):
    """A HIIT mix's page says its interval block's music follows the work intervals at 172 BPM."""
    mix = services.create_mix(user, hiit_plan(user), seed=1)
    html = user_client.get(mix.get_absolute_url()).content.decode()
    assert "so the music follows the work intervals (172 BPM)." in html


def test_screen_2_says_the_block_follows_the_average(user_client, user, catalog):
    """With "average" the page says the music follows the average of work and rest."""
    mix = services.create_mix(user, hiit_plan(user, "average"), seed=1)
    html = user_client.get(mix.get_absolute_url()).content.decode()
    assert "so the music follows the average of work and rest (145 BPM)." in html


def test_a_plan_without_intervals_says_nothing_about_them(user_client, mix):
    """A warm-up / steady / cool-down mix has no interval note."""
    assert "interval-note" not in user_client.get(mix.get_absolute_url()).content.decode()


def test_the_chart_says_what_the_interval_block_follows(user, catalog):
    """Under the chart, and in its summary, the interval block's music is said in words."""
    mix = services.create_mix(user, hiit_plan(user), seed=1)
    chart = build_preview(mix, list(mix.tracks.select_related("track__features"))).chart
    assert any("the music follows the work intervals (172 BPM)" in line for line in chart.follows)
    assert "the music follows the work intervals (172 BPM)" in chart.summary
