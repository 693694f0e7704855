"""The sandbox's HTML pages are documents a screen reader can find its way in: English, a main landmark, one h1."""

from html.parser import HTMLParser

import pytest
import requests

from accounts.sandbox.pages import page
from tests.accounts.sandbox.test_oauth import authorize


class Outline(HTMLParser):
    """The parts of a document these tests look at: <html lang>, the tags met, <label>s and the inputs in them."""

    def __init__(self, text: str):
        super().__init__()
        self.lang = None
        self.tags: list[str] = []
        self.open_labels = 0
        self.unlabelled: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "label":
            self.open_labels += 1
        elif tag in {"input", "select", "textarea"} and attrs.get("type") != "hidden" and not self.open_labels:
            self.unlabelled.append(attrs)

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


@pytest.fixture
def pages(spotify_sandbox, api) -> dict[str, requests.Response]:
    """Every page the sandbox shows a person, fetched: index, consent, error, a playlist, a gone playlist."""
    created = api.post("/v1/me/playlists", json={"name": "Tempo <Tuesday>", "public": False}).json()
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": spotify_sandbox.track_uris()[:2]})
    return {
        "index": requests.get(f"{spotify_sandbox.url}/", timeout=5),
        "consent": authorize(spotify_sandbox),
        "error": authorize(spotify_sandbox, client_id="nobody"),
        "playlist": requests.get(created["external_urls"]["spotify"], timeout=5),
        "missing playlist": requests.get(f"{spotify_sandbox.url}/open/playlist/{'0' * 22}", timeout=5),
    }


def test_every_page_is_english_with_one_main_and_one_h1(pages):
    """Each page declares lang="en", has a title, exactly one <main> and one <h1>, and a footer outside main."""
    for name, response in pages.items():
        outline = Outline(response.text)
        assert outline.lang == "en", name
        assert outline.tags.count("main") == 1 and outline.tags.count("h1") == 1, (name, outline.tags)
        assert "title" in outline.tags and "footer" in outline.tags, name
        assert response.text.index("</main>") < response.text.index("<footer>"), name


def test_pages_keep_their_status(pages):
    """Making them documents changed no status: 200 for pages, 400 for the error, 404 for a gone playlist."""
    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses == {"index": 200, "consent": 200, "error": 400, "playlist": 200, "missing playlist": 404}


def test_consent_page_inputs_are_labelled(pages):
    """Each account radio button sits in its label, and the accounts are a fieldset with a legend."""
    outline = Outline(pages["consent"].text)
    assert not outline.unlabelled
    assert outline.tags.count("input") > outline.tags.count("label") >= 2
    assert "<legend>Sign in as</legend>" in pages["consent"].text


def test_playlist_page_names_the_playlist_in_its_heading(pages):
    """The playlist's name, escaped, is the page's h1 and starts its title."""
    text = pages["playlist"].text
    assert "<h1>Tempo &lt;Tuesday&gt;</h1>" in text
    assert "<title>Tempo &lt;Tuesday&gt; · Spotify sandbox</title>" in text


def test_page_escapes_its_title_and_heading():
    """page() takes plain text for the title and heading, HTML for the body."""
    reply = page("A & B", "<b>C</b>", "<p>body</p>", status=418)
    assert reply.status == 418
    assert "<title>A &amp; B</title>" in reply.body and "<h1>&lt;b&gt;C&lt;/b&gt;</h1>" in reply.body
    assert "<p>body</p>" in reply.body


@pytest.mark.parametrize(
    "path", ["/", "/open/playlist/nosuchplaylist", "/covers/nosuchalbum/64", "/authorize?client_id=nobody"]
)
def test_sandbox_page_has_a_language_and_a_main_landmark(spotify_sandbox, path):
    """Index, playlist, cover and authorize-error pages: <html lang="en"> and one <main>."""
    text = requests.get(spotify_sandbox.url + path, timeout=5).text
    assert '<html lang="en">' in text and text.count("<main>") == 1
