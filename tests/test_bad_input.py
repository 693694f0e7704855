"""No input gives a server error: a corpus of nasty values replayed against every route, form and upload.

The routes come from the URLconf (as in tests/mixes/test_access.py), with the signed-in owner's own ids, so a new
route is fuzzed without being named here. Every example is a GET and a POST of the same nasty fields, with and
without `HX-Request`; each answer must be below 500. Hypothesis draws the fields from NASTY (and a little random
text), derandomized, so CI replays the same corpus every run. Run it on PostgreSQL too: NUL bytes fail only there.

`BAD_INPUT_REPORT=1` counts the 5xx answers instead of failing (how the figures in the report were measured).
"""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from collections import Counter
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixes import forms as mix_forms
from mixes import seed_views
from music import forms as music_forms
from music.models import Track
from tests.factories import WorkoutPlanFactory
from tests.mixes import conftest as mixes_fixtures
from tests.mixes.test_access import Route, kind_of, routes

pytestmark = pytest.mark.django_db

# The owner's catalog, active plan and mix, as the tests of mixes have them.
catalog, plan, mix = mixes_fixtures.catalog, mixes_fixtures.plan, mixes_fixtures.mix

REPORT = os.environ.get("BAD_INPUT_REPORT") == "1"
ANSWERS: Counter[str] = Counter()  # "requests", "5xx" over the whole module

# Values no form expects: huge and unicode digits, NUL, lone surrogates, long strings, non-finite numbers, URLs.
DEEP = "[" * 100_000 + "]" * 100_000
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "9" * 5000,
    "-" + "9" * 5000,
    "1e309",
    "NaN",
    "inf",
    "-Infinity",
    "²",
    "١٢",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "é" * 3000,
    "x" * 100_000,
    DEEP,
    '{"a": ' * 1000 + "1" + "}" * 1000,
    "[]",
    "true",
    "foo",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "up",
    "2",
]

# The parameters the views read: every field of the apps' forms, plus what a few views take from the URL.
QUERY_PARAMS = ["plan", "q", "field", "list", "next", "token", "track", "feature", "position", "direction"]

# Routes outside the app namespaces that take input from anyone: allauth's sign-in, sign-up and password reset.
ANONYMOUS_FORMS = ["account_login", "account_signup", "account_reset_password"]


def form_fields() -> list[str]:
    """The names of every field of the apps' forms (a phase form's are prefixed in the test, with its id)."""
    names = set(QUERY_PARAMS)
    for module in (mix_forms, music_forms, seed_views):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, mix_forms.forms.BaseForm):
                names |= set(value.base_fields)
    return sorted(names)


FIELDS = form_fields()

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=12),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
# A field may come once, several times (an array where a scalar belongs), or as itself with a phase prefix.
fields = st.dictionaries(st.sampled_from(FIELDS), st.lists(values, min_size=1, max_size=3), min_size=1, max_size=4)

FUZZ = settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def encode(data: dict[str, list[str]]) -> str:
    """A query string of these fields, as a browser would send it; a lone surrogate goes as the bytes it stands for."""
    pairs = [(key, value) for key, items in data.items() for value in items]
    return "&".join(f"{quote(key)}={quote(value.encode('utf-8', 'surrogatepass'))}" for key, value in pairs)


MAX_BODY = 600_000  # all fields at once: long enough for 5,000 digits in each, short enough to stay quick
# How a request is sent: its method, and whether htmx sends it.
COMBINATIONS = [("get", False), ("post", False), ("get", True), ("post", True)]


def methods_of(client: Client, path: str) -> list[str]:
    """The methods a route takes, as its 405 to OPTIONS says (Django's require_POST and require_GET); else both."""
    response = client.options(path)
    allowed = [method.strip().lower() for method in response.get("Allow", "").split(",")]
    if response.status_code != 405:
        return ["get", "post"]
    return [method for method in ("get", "post") if method in allowed]


def send(client: Client, combination: tuple[str, bool], path: str, data: dict[str, list[str]]) -> None:
    """GET or POST these fields to the path, with or without htmx, and count the answer."""
    method, htmx = combination
    body = encode(data)
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "get":
        response = client.get(f"{path}?{body}", headers=headers)
    else:
        response = client.post(path, body, content_type="application/x-www-form-urlencoded", headers=headers)
    answer(response.status_code, method, path, data)


def answer(status: int, method: str, path: str, data) -> None:
    """Count one answer; a 5xx fails the test (or, reporting, is counted)."""
    ANSWERS["requests"] += 1
    if status >= 500:
        ANSWERS["5xx"] += 1
        if REPORT:
            print(f"5xx {status} {method.upper()} {path} {str(data)[:200]!r}")
            return
    assert status < 500, (method, path, str(data)[:300])


@pytest.fixture(scope="module", autouse=True)
def _tally():
    """Say how many requests the corpus sent and how many answered 5xx (shown with `-s`)."""
    yield
    print(f"\nbad-input corpus: {ANSWERS['requests']} requests, {ANSWERS['5xx']} answered 5xx")


@pytest.fixture
def fuzz_client(user, raising_off):
    """The owner, signed in, with server errors answered as 500s rather than raised into the test."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def raising_off(settings):
    """Server errors answered as 500s; the 4xx warnings of thousands of requests left out of the log."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def url_of(route: Route, mix, plan) -> str:
    """The route's URL with the owner's own ids."""
    ids = {"mix_id": mix.pk, "item_id": mix.tracks.first().pk, "plan_id": plan.pk, "phase_id": plan.phases.first().pk}
    kind_of(route)  # an unclassified route fails here, as in test_access
    return reverse(route.name, kwargs={name: ids[name] for name in route.ids})


ROUTES = [route for route in routes() if route.name != "music:upload_history"]


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_route_answers_each_nasty_value_below_500(fuzz_client, mix, plan, route):
    """Every route answers each nasty value, in every field at once, with less than a 500."""
    path = url_of(route, mix, plan)
    # All but `field`, which names the parameter the autocomplete reads (the mixed test varies it).
    names = [name for name in FIELDS if name != "field"]
    if "phase" in route.name:
        names += [f"phase-{plan.phases.first().pk}-{name}" for name in names]
    methods = methods_of(fuzz_client, path)
    for number, value in enumerate(NASTY):
        value = value[: MAX_BODY // len(names)]  # under Django's upload limit, which would refuse it all with 400
        for method in methods:
            send(fuzz_client, (method, number % 2 == 1), path, {name: [value] for name in names})


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_route_answers_mixed_bad_fields_below_500(fuzz_client, mix, plan, route):
    """Every route answers a few nasty fields together, repeated or phase-prefixed, with less than a 500."""
    path = url_of(route, mix, plan)
    prefix = f"phase-{plan.phases.first().pk}-"
    methods = methods_of(fuzz_client, path)

    @FUZZ
    @given(data=fields, prefixed=st.booleans(), method=st.sampled_from(methods), htmx=st.booleans())
    def check(data, prefixed, method, htmx):
        if prefixed:
            data = {f"{prefix}{key}": items for key, items in data.items()}
        send(fuzz_client, (method, htmx), path, data)

    check()


@pytest.mark.parametrize("name", ANONYMOUS_FORMS)
def test_sign_in_forms_answer_bad_fields_below_500(raising_off, db, name):
    """allauth's sign-in, sign-up and reset forms answer nasty fields with less than a 500."""
    client = Client(raise_request_exception=False)
    path = reverse(name)
    login_fields = st.dictionaries(
        st.sampled_from(["login", "password", "email", "username", "password1", "password2", "remember", "next"]),
        st.lists(values, min_size=1, max_size=2),
        min_size=1,
        max_size=4,
    )

    @FUZZ
    @given(data=login_fields)
    def check(data):
        for combination in COMBINATIONS:
            send(client, combination, path, data)

    check()


# Uploads ---------------------------------------------------------------------------------------------------

BASIC = {"endTime": "2024-01-31 18:22", "artistName": "A", "trackName": "T", "msPlayed": 200_000}
EXTENDED = {
    "ts": "2024-01-31T18:22:00Z",
    "ms_played": 200_000,
    "master_metadata_track_name": "T",
    "master_metadata_album_artist_name": "A",
    "master_metadata_album_album_name": "B",
    "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
}
# JSON values in a play's place: the text of one JSON value, so numbers can be written past Python's limits.
JSON_VALUES = [
    "9" * 5000,
    "-" + "9" * 5000,
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    "0",
    "1.5",
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"x\\udfffy"',
    '"' + "x" * 100_000 + '"',
    "[]",
    "{}",
    "null",
    "true",
    '"²"',
    '"9999-12-31 23:59"',
    '"0001-01-01T00:00:00+14:00"',
    '"<script>alert(1)</script>"',
    "[" * 100_000 + "]" * 100_000,
]
# Whole files no history export looks like.
FILES = [
    b"",
    b"\x00" * 10,
    b"\xff\xfe\x00",
    b"[" * 100_000 + b"]" * 100_000,
    b"[" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"9" * 5000,
    b"[" + b"9" * 5000 + b"]",
    b"NaN",
    b"[{}]",
    b"[[]]",
    b'[{"ts": null}]',
    b'{"ts": "2024-01-31T18:22:00Z"}',
]


def history_file(row: dict, column: str | None, value: str) -> bytes:
    """A one-play history file whose `column` holds the JSON text `value` (no column: the whole play is `value`)."""
    if column is None:
        return f"[{value}]".encode()
    fields = [f"{json.dumps(key)}: {json.dumps(item)}" for key, item in row.items() if key != column]
    return ("[{" + ", ".join([*fields, f"{json.dumps(column)}: {value}"]) + "}]").encode()


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


uploads = st.one_of(
    st.sampled_from(FILES),
    st.builds(
        history_file,
        st.just(BASIC),
        st.sampled_from([None, *BASIC]),
        st.sampled_from(JSON_VALUES),
    ),
    st.builds(
        history_file,
        st.just(EXTENDED),
        st.sampled_from([None, *EXTENDED]),
        st.sampled_from(JSON_VALUES),
    ),
)


def post_upload(client: Client, data: bytes, as_zip: bool, htmx: bool) -> None:
    """Upload one history file (or a zip of it) and count the answer."""
    name = "Streaming_History_Audio_2024.json"
    content, filename = (zipped(name, data), "my_spotify_data.zip") if as_zip else (data, name)
    upload = io.BytesIO(content)
    upload.name = filename
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(reverse("music:upload_history"), {"files": upload}, headers=headers)
    answer(response.status_code, "post", "/music/history/upload/", (filename, content[:120]))


def test_upload_answers_bad_files_below_500(fuzz_client, catalog):
    """A history upload of a malformed, deep, huge-numbered or NUL-titled file answers with less than a 500."""

    @settings(FUZZ, max_examples=60)
    @given(data=uploads, as_zip=st.booleans(), htmx=st.booleans())
    def check(data, as_zip, htmx):
        post_upload(fuzz_client, data, as_zip, htmx)

    check()


# Each server error the fuzzing found, now a 4xx (or the page) saying so --------------------------------------


def upload(client: Client, data: bytes):
    """Post one basic-format history file."""
    file = io.BytesIO(data)
    file.name = "StreamingHistory_music_0.json"
    return client.post(reverse("music:upload_history"), {"files": file})


def test_upload_nested_too_deep_is_refused(user_client):
    """JSON nested 100,000 deep is a 422 naming the file, not a RecursionError."""
    response = upload(user_client, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 422 and "nested more than 8 deep" in response.content.decode()


def test_upload_with_a_5000_digit_number_is_refused(user_client):
    """A 5,000-digit msPlayed is a 422, not Python's integer-conversion limit."""
    response = upload(user_client, history_file(BASIC, "msPlayed", "9" * 5000))
    assert response.status_code == 422 and "is not valid JSON" in response.content.decode()


def test_upload_with_nul_in_a_title_is_stored_without_it(user_client):
    """A NUL byte in a track name (PostgreSQL cannot store it) is dropped: no server error, no NUL stored."""
    response = upload(user_client, history_file(BASIC, "trackName", '"a\\u0000b"'))
    assert response.status_code < 500
    assert not any("\x00" in title for title in Track.objects.values_list("title", flat=True))


def test_upload_with_a_lone_surrogate_in_an_artist_stores_nothing_broken(user_client):
    """A lone surrogate in an artist's name is no UnicodeEncodeError on the way to the database."""
    response = upload(user_client, history_file(BASIC, "artistName", '"x\\ud800"'))
    assert response.status_code < 500
    assert not Track.objects.filter(artist_names__startswith="x").exists()


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "x"])
def test_screen_1_ignores_a_plan_that_is_not_an_id(user_client, plan, value):
    """`?plan=` that is no id of the user's plans shows Screen 1 with the active plan."""
    response = user_client.get(reverse("mixes:generate"), {"plan": value})
    assert response.status_code == 200 and response.context["plan"] == plan


def test_screen_1_takes_a_plan_of_the_user(user_client, user, plan):
    """`?plan=` with the id of one of the user's plans chooses it."""
    other = WorkoutPlanFactory(owner=user)
    response = user_client.get(reverse("mixes:generate"), {"plan": other.pk})
    assert response.context["form"]["plan"].value() == other.pk


def test_artist_options_with_nul_answers_no_artists(user_client, catalog):
    """A NUL byte in what was typed answers an empty list (PostgreSQL would refuse the query)."""
    response = user_client.get(reverse("music:artist_options"), {"q": "Art\x00ist"})
    assert response.status_code == 200 and "<option" not in response.content.decode()


def test_artist_options_reads_the_field_it_is_told(user_client, catalog):
    """`field` names the parameter holding what was typed, as htmx sends the input under its own name."""
    response = user_client.get(reverse("music:artist_options"), {"field": "seed_artists", "seed_artists": "Artist"})
    assert '<option value="Artist ' in response.content.decode()


def test_artist_options_refuses_a_strange_list_id(user_client, catalog):
    """A `list` that is not a plain id answers with the form's own datalist id."""
    response = user_client.get(reverse("music:artist_options"), {"q": "Artist", "list": '"><script>'})
    assert '<datalist id="artist-options">' in response.content.decode()


def test_plan_activate_with_a_next_that_is_no_path_goes_to_the_plans(user_client, plan):
    """A `next` without "/" (a word redirect would take as a URL name) goes to the plan list, not a 500."""
    other = WorkoutPlanFactory(owner=plan.owner)
    response = user_client.post(reverse("mixes:plan_activate", args=[other.pk]), {"next": "foo"})
    assert response.status_code == 302 and response["Location"] == reverse("mixes:plan_list")


def test_sync_with_a_next_that_is_no_path_goes_to_my_music(user_client):
    """A `next` without "/" on Refresh my music goes back to My music, not a 500."""
    response = user_client.post(reverse("music:sync"), {"next": "up"})
    assert response.status_code == 302 and response["Location"] == reverse("music:library")


def test_next_on_this_site_is_followed(user_client, plan):
    """A `next` that is a path on this site is where the plain POST goes back to."""
    response = user_client.post(reverse("mixes:plan_activate", args=[plan.pk]), {"next": "/mixes/"})
    assert response["Location"] == "/mixes/"
