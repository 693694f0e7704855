import pytest


@pytest.fixture
def uris(spotify_sandbox) -> list[str]:
    return spotify_sandbox.track_uris()


@pytest.fixture
def created(api) -> dict:
    answer = api.post("/v1/me/playlists", json={"name": "Tempo Tuesday", "public": False, "description": "45 min"})
    assert answer.status_code == 201
    return answer.json()


def demo_playlist(spotify_sandbox, name: str) -> dict:
    return next(playlist for playlist in spotify_sandbox.state()["playlists"] if playlist["name"] == name)


def test_create_answers_the_new_empty_playlist(created):
    """POST /v1/me/playlists answers 201 with the playlist, owned by the user, private, empty."""
    assert created["name"] == "Tempo Tuesday" and created["public"] is False
    assert created["owner"]["id"] == "sandbox-demo" and created["description"] == "45 min"
    assert created["items"]["total"] == 0 and created["uri"] == f"spotify:playlist:{created['id']}"


def test_new_playlist_comes_first_in_my_playlists(api, created):
    """The created playlist heads GET /v1/me/playlists."""
    assert api.get("/v1/me/playlists").json()["items"][0]["id"] == created["id"]


def test_add_items_in_order_and_inspect_state(api, created, uris, spotify_sandbox):
    """Added URIs are kept in order, as the state shows; the answer is 201 with a snapshot id."""
    answer = api.post(f"/v1/playlists/{created['id']}/items", json={"uris": uris[:3]})
    assert answer.status_code == 201 and answer.json()["snapshot_id"]
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": uris[3:5]})
    mine = next(playlist for playlist in spotify_sandbox.playlists() if playlist["id"] == created["id"])
    assert mine["items"] == uris[:5] and mine["public"] is False and mine["deleted"] is False


def test_add_items_at_a_position(api, created, uris, spotify_sandbox):
    """`position` inserts instead of appending."""
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": uris[:2]})
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": [uris[9]], "position": 1})
    assert spotify_sandbox.playlists()[-1]["items"] == [uris[0], uris[9], uris[1]]


def test_get_items_pages_and_carries_the_track(api, created, uris):
    """GET items answers entries with `item` (the track), paged by limit and offset."""
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": uris[:7]})
    page = api.get(f"/v1/playlists/{created['id']}/items", params={"limit": 5, "offset": 5}).json()
    assert [entry["item"]["uri"] for entry in page["items"]] == uris[5:7]
    assert page["total"] == 7 and page["next"] is None and page["previous"]


def test_replace_items(api, created, uris, spotify_sandbox):
    """PUT items with `uris` replaces everything."""
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": uris[:4]})
    answer = api("PUT", f"/v1/playlists/{created['id']}/items", json={"uris": uris[10:12]})
    assert answer.status_code == 200 and answer.json()["snapshot_id"]
    assert spotify_sandbox.playlists()[-1]["items"] == uris[10:12]


def test_reorder_items(api, created, uris, spotify_sandbox):
    """PUT items with a range moves it."""
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": uris[:4]})
    api("PUT", f"/v1/playlists/{created['id']}/items", json={"range_start": 3, "insert_before": 0})
    assert spotify_sandbox.playlists()[-1]["items"] == [uris[3], *uris[:3]]


def test_remove_items(api, created, uris, spotify_sandbox):
    """DELETE items removes every occurrence of the given URIs."""
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": [uris[0], uris[1], uris[0]]})
    answer = api("DELETE", f"/v1/playlists/{created['id']}/items", json={"items": [{"uri": uris[0]}]})
    assert answer.status_code == 200
    assert spotify_sandbox.playlists()[-1]["items"] == [uris[1]]


def test_change_details(api, created, spotify_sandbox):
    """PUT /v1/playlists/{id} changes name, visibility and description."""
    answer = api("PUT", f"/v1/playlists/{created['id']}", json={"name": "Renamed", "public": True, "description": "d"})
    assert answer.status_code == 200
    mine = spotify_sandbox.playlists()[-1]
    assert (mine["name"], mine["public"], mine["description"]) == ("Renamed", True, "d")


def test_get_playlist_with_fields(api, created):
    """`fields` with top-level names returns just those."""
    answer = api.get(f"/v1/playlists/{created['id']}", params={"fields": "id,name,public"}).json()
    assert answer == {"id": created["id"], "name": "Tempo Tuesday", "public": False}


def in_library(api, playlist_id: str) -> list[bool]:
    return api.get("/v1/me/library/contains", params={"uris": f"spotify:playlist:{playlist_id}"}).json()


def test_deleted_playlist_leaves_the_library_but_still_answers_its_owner(api, created):
    """Removing it from the library is deleting it: gone from /me/playlists and the library, GET still 200."""
    assert api("DELETE", "/v1/me/library", params={"uris": f"spotify:playlist:{created['id']}"}).status_code == 200
    assert api.get(f"/v1/playlists/{created['id']}").status_code == 200
    assert created["id"] not in [item["id"] for item in api.get("/v1/me/playlists").json()["items"]]
    assert in_library(api, created["id"]) == [False]


def test_deleted_in_spotify_app_leaves_the_library(api, created, spotify_sandbox):
    """sandbox.delete_playlist plays the user deleting it in Spotify; the state flags it deleted."""
    assert in_library(api, created["id"]) == [True]
    spotify_sandbox.delete_playlist(created["id"])
    assert in_library(api, created["id"]) == [False]
    assert api.get(f"/v1/playlists/{created['id']}").status_code == 200
    assert spotify_sandbox.playlists()[-1]["deleted"] is True


def test_unfollow_through_followers_works_but_is_deprecated(api, created, spotify_sandbox):
    """Outside strict mode DELETE /followers still deletes the playlist, and is reported as deprecated."""
    spotify_sandbox.strict = False
    assert api("DELETE", f"/v1/playlists/{created['id']}/followers").status_code == 200
    assert in_library(api, created["id"]) == [False]
    assert [violation.message for violation in spotify_sandbox.violations] == [
        "DELETE /playlists/{playlist_id}/followers is deprecated in the spec"
    ]
    spotify_sandbox.violations.clear()


def test_library_contains_answers_for_tracks_and_playlists_in_order(api, spotify_sandbox):
    """GET /me/library/contains: one boolean per URI, for saved tracks and followed playlists."""
    saved = spotify_sandbox.state()["accounts"]["sandbox-demo"]["saved_tracks"]
    unsaved = next(uri for uri in spotify_sandbox.track_uris() if uri not in saved)
    followed = spotify_sandbox.state()["accounts"]["sandbox-demo"]["playlists"][0]
    uris = [saved[0], unsaved, f"spotify:playlist:{followed}"]
    answer = api.get("/v1/me/library/contains", params={"uris": ",".join(uris)})
    assert answer.status_code == 200 and answer.json() == [True, False, True]


def test_library_contains_takes_at_most_forty_uris(api, spotify_sandbox):
    """More than 40 URIs is a 400, as the spec says."""
    uris = ",".join(spotify_sandbox.track_uris()[:41])
    assert api.get("/v1/me/library/contains", params={"uris": uris}).status_code == 400


def test_items_of_someone_elses_playlist_are_403(api, spotify_sandbox):
    """A followed playlist the user neither owns nor collaborates on: its items are 403."""
    hits = demo_playlist(spotify_sandbox, "Running Hits")
    assert hits["id"] in [item["id"] for item in api.get("/v1/me/playlists").json()["items"]]
    assert api.get(f"/v1/playlists/{hits['id']}/items").status_code == 403


def test_collaborator_reads_and_adds_items(api, spotify_sandbox, uris):
    """The demo collaborates on the newbie's "Club Long Run": it may read and add."""
    club = demo_playlist(spotify_sandbox, "Club Long Run")
    assert api.get(f"/v1/playlists/{club['id']}/items").json()["total"] == 10
    assert api.post(f"/v1/playlists/{club['id']}/items", json={"uris": [uris[0]]}).status_code == 201


def test_add_needs_existing_tracks(api, created):
    """A URI that is not a track of the catalog is refused with 400."""
    answer = api.post(f"/v1/playlists/{created['id']}/items", json={"uris": ["spotify:track:0000000000000000000000"]})
    assert answer.status_code == 400 and answer.json()["error"]["message"] == "Payload contains a non-existing ID"
    bad = api.post(f"/v1/playlists/{created['id']}/items", json={"uris": ["Blinding Lights"]})
    assert bad.status_code == 400


def test_collaborative_public_playlist_is_refused(api):
    """A collaborative playlist must be private."""
    answer = api.post("/v1/me/playlists", json={"name": "x", "public": True, "collaborative": True})
    assert answer.status_code == 400


def test_playlist_link_opens_a_page_with_its_tracks(api, created, uris, spotify_sandbox):
    """external_urls.spotify opens the sandbox's page listing the tracks in order."""
    api.post(f"/v1/playlists/{created['id']}/items", json={"uris": uris[:2]})
    page = api.session.get(created["external_urls"]["spotify"], timeout=5)
    first, second = (spotify_sandbox.catalog[index]["name"] for index in (0, 1))
    assert page.status_code == 200 and page.text.index(first) < page.text.index(second)
