"""Album covers for the sandbox's catalog: a small SVG per album and size, its colours derived from the album name.

Spotify gives each album its cover in three sizes, largest first (640, 300 and 64 px squares,
served from i.scdn.co); the sandbox gives the same three ImageObjects, pointing at /covers on
itself, so the app's whole path (sync, resolve, the page's <img>) works offline. The same
album has the same colours in every run and on every machine.
"""

from __future__ import annotations

import hashlib

from accounts.sandbox.catalog import Album
from accounts.sandbox.exchange import Call, Reply
from accounts.sandbox.pages import page
from accounts.sandbox.state import World

SIZES = (640, 300, 64)  # Spotify's, in its order: largest first
SVG = "image/svg+xml"


def images(base: str, album: Album) -> list[dict]:
    """The album's `images`: one ImageObject (url, width, height) per size."""
    return [{"url": f"{base}/covers/{album.id}/{size}", "width": size, "height": size} for size in SIZES]


def cover(world: World, call: Call, album_id: str, size: str) -> Reply:
    """GET /covers/{album_id}/{size}: the album's cover as an SVG square; 404 for an unknown album or size."""
    album = next((song.album for song in world.songs if song.album.id == album_id), None)
    if album is None or not size.isdigit() or int(size) not in SIZES:
        return page("Cover not found · Spotify sandbox", "Cover not found", "<p>No such cover.</p>", status=404)
    return Reply(200, svg(album.name, int(size)), {"Cache-Control": "public, max-age=86400"}, content_type=SVG)


def colours(name: str) -> tuple[str, str]:
    """Two colours for an album name, the same every time: a background and a disc on it."""
    digest = hashlib.sha256(name.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    second = (hue + 90 + digest[2] % 120) % 360
    return f"hsl({hue} 55% 42%)", f"hsl({second} 70% 68%)"


def svg(name: str, size: int) -> bytes:
    """A square cover: a coloured field with a disc, no text (nothing to render with fonts)."""
    background, disc = colours(name)
    half = size / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
        f'<rect width="{size}" height="{size}" fill="{background}"/>'
        f'<circle cx="{half}" cy="{half}" r="{size * 0.34:g}" fill="{disc}"/>'
        f'<circle cx="{half}" cy="{half}" r="{size * 0.06:g}" fill="{background}"/>'
        "</svg>"
    ).encode()
