"""The sandbox's own HTML pages have a language and a main landmark (what axe-core asks of every page)."""

import pytest
import requests


@pytest.mark.parametrize(
    "path", ["/", "/open/playlist/nosuchplaylist", "/covers/nosuchalbum/64", "/authorize?client_id=nobody"]
)
def test_sandbox_page_has_a_language_and_a_main_landmark(spotify_sandbox, path):
    """Index, playlist, cover and authorize-error pages: <html lang="en"> and one <main>."""
    text = requests.get(spotify_sandbox.url + path, timeout=5).text
    assert '<html lang="en">' in text and text.count("<main>") == 1
