"""Screen 2's chart: readable labels, named phase bands, and the same story in words."""

import pytest

from mixes.preview import build_chart

pytestmark = pytest.mark.django_db


def chart_of(mix):
    return build_chart(mix.plan_spec(), list(mix.tracks.select_related("track__features")))


def test_chart_has_a_band_per_section_with_its_name(mix):
    """Each section of the plan is a band behind the lines, named after it."""
    chart = chart_of(mix)
    assert [band.name for band in chart.bands] == [section.name for section in mix.plan_spec().sections()]
    assert all(band.label for band in chart.bands)


def test_a_narrow_band_gets_a_short_name(mix):
    """A band too narrow for its whole name shows its first word, or its initial."""
    chart = chart_of(mix)
    narrow = min(chart.bands, key=lambda band: band.duration_s)
    assert narrow.label in (narrow.name, narrow.name.split("-")[0], narrow.name[:1])


def test_tempo_ticks_stay_inside_the_chart(mix):
    """The top tick is the panel's top line and every tick's text lies within the drawing."""
    chart = chart_of(mix)
    assert chart.tempo_ticks[0].line == chart.tempo_top
    assert chart.tempo_ticks[0].label.endswith("BPM")
    for tick in chart.tempo_ticks + chart.energy_ticks:
        assert 12 <= tick.at <= chart.plot_bottom


def test_time_ticks_do_not_run_off_the_edges(mix):
    """The first time label starts at the left edge and one near the right edge ends there."""
    chart = chart_of(mix)
    assert chart.time_ticks[0].anchor == "start"
    assert all(tick.anchor == "end" for tick in chart.time_ticks if tick.at > 95)
    assert len(chart.time_ticks) <= 7


def test_summary_tells_each_section_in_words(mix):
    """The text summary names every section with the plan's tempo and the tracks'."""
    summary = chart_of(mix).summary
    assert summary.startswith("The mix lasts ")
    for section in mix.plan_spec().sections():
        assert f"{section.name} (" in summary
    assert "the plan holds" in summary or "the plan goes from" in summary
    assert "the tracks" in summary


def test_page_draws_the_chart_at_pixel_size(user_client, mix):
    """The chart's outer SVG has no viewBox (12 px text stays 12 px) and carries its summary for screen readers."""
    html = user_client.get(mix.get_absolute_url()).text
    assert '<svg width="100%" height="' in html
    assert 'aria-describedby="chart-summary"' in html
    assert '<p id="chart-summary" class="visually-hidden">The mix lasts ' in html
    assert 'class="band-name"' in html and 'class="band k-' in html


def test_section_plural_is_right(user_client, mix):
    """A section with one track says "1 track", not "1 tracks"."""
    html = user_client.get(mix.get_absolute_url()).text
    assert "1 tracks" not in html
