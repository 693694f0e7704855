"""Chromium shows the sandbox's generated covers: the image the app stores for a track loads as a picture."""

import pytest


@pytest.mark.django_db
def test_the_smallest_cover_loads_in_chromium(page, spotify_sandbox):
    """The 64 px cover URL a track object lists decodes in the browser at its 64 px size."""
    album_id = spotify_sandbox.catalog[0]["album_id"]
    page.set_content(
        f'<img src="{spotify_sandbox.url}/covers/{album_id}/64" loading="lazy" width="44" height="44" alt="">'
    )
    page.wait_for_function("document.images[0].complete")
    assert page.evaluate("document.images[0].naturalWidth") == 64
