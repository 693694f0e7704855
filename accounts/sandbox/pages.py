"""The HTML pages the sandbox shows a person (consent, errors, a saved playlist, its index): one document shape.

Each is a whole document a screen reader can find its way in: `<html lang="en">`, a title, a `<main>` with one
`<h1>`, and a footer saying what the sandbox is. Callers pass the body already escaped.
"""

from __future__ import annotations

from html import escape

from accounts.sandbox.exchange import Reply

# Spotify's dark look; every pair of colours here has a contrast of at least 4.5:1.
STYLE = (
    "body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;background:#121212;color:#eee}"
    "a{color:#1ed760}button{font-size:1rem;padding:.6rem 1.4rem;border-radius:2rem;border:0;margin:0 .5rem .5rem 0;"
    "min-height:44px}button[value=agree]{background:#1ed760;color:#000}fieldset{border:1px solid #444}"
    "fieldset label{display:block;padding:.4rem 0}code,small{color:#b3b3b3}"
)
FOOTER = "<footer><p><small>A stand-in for Spotify: nothing here reaches Spotify.</small></p></footer>"


def page(title: str, heading: str, body: str, status: int = 200) -> Reply:
    """A sandbox page: `title` and `heading` are plain text, `body` is HTML."""
    return Reply(
        status,
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body><main><h1>{escape(heading)}</h1>
{body}
</main>{FOOTER}</body></html>""",
    )
