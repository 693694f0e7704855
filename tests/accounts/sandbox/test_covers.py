"""The sandbox's album covers: ImageObjects in every track object, each URL an image it serves."""

import requests

from accounts.sandbox.covers import colours


def test_track_objects_carry_album_images_that_validate(api, spotify_sandbox):
    """GET /v1/tracks/{id}: the album has Spotify's three cover sizes, largest first, clean against the spec."""
    song = spotify_sandbox.catalog[0]
    images = api.get(f"/v1/tracks/{song['id']}").json()["album"]["images"]
    assert [(image["width"], image["height"]) for image in images] == [(640, 640), (300, 300), (64, 64)]
    assert all(image["url"].startswith(f"{spotify_sandbox.url}/covers/{song['album_id']}/") for image in images)
    assert spotify_sandbox.violations == []


def test_search_results_carry_album_images_that_validate(api, spotify_sandbox):
    """Search answers carry the covers too, and stay clean against the spec."""
    song = spotify_sandbox.catalog[0]
    found = api.get("/v1/search", params={"q": f"track:{song['name']}", "type": "track", "limit": 10}).json()
    assert all(len(item["album"]["images"]) == 3 for item in found["tracks"]["items"])
    assert spotify_sandbox.violations == []


def test_cover_url_answers_an_svg_image(api, spotify_sandbox):
    """An image URL from a track object answers an SVG of that size, without a token."""
    song = spotify_sandbox.catalog[0]
    smallest = api.get(f"/v1/tracks/{song['id']}").json()["album"]["images"][-1]["url"]
    answer = requests.get(smallest, timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/svg+xml"
    assert answer.text.startswith("<svg") and 'width="64" height="64"' in answer.text


def test_unknown_cover_is_not_found(spotify_sandbox):
    """An album the catalog does not have, or a size Spotify does not give, is a 404."""
    album_id = spotify_sandbox.catalog[0]["album_id"]
    assert requests.get(f"{spotify_sandbox.url}/covers/{album_id}/65", timeout=5).status_code == 404
    assert requests.get(f"{spotify_sandbox.url}/covers/nosuchalbum/64", timeout=5).status_code == 404


def test_cover_colours_come_from_the_album_name():
    """The same album name gives the same colours every time; another name other colours."""
    assert colours("Discovery") == colours("Discovery") != colours("Homework")
