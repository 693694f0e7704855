"""The Spotify journey in a real browser, against the sandbox: connect, sync, generate, save, re-save."""

import re

from playwright.sync_api import expect

from mixes.models import SessionMix


def save_privately(page, name: str) -> None:
    panel = page.locator("#save-panel")
    panel.get_by_label("Playlist name").fill(name)
    panel.get_by_label("Private").check()
    with page.expect_response(re.compile(r"/save/$")):
        panel.get_by_role("button", name=re.compile("Save to Spotify|Update the Spotify playlist")).click()


def test_new_user_connects_generates_and_saves_once(page, live_server, spotify_sandbox, transactional_db):
    """Continue with Spotify → consent → Screen 1 with history → Generate → edit → save privately → re-save."""
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Continue with Spotify").click()
    expect(page.get_by_role("heading", name="Spotify sandbox")).to_be_visible()
    page.get_by_role("button", name="Agree").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Generate Session Mix")).to_be_visible()
    expect(page.locator("#sync-status")).to_contain_text(re.compile(r"\d+ plays"))

    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/mixes/\d+/$"))
    mix = SessionMix.objects.get()
    assert mix.tracks.filter(track__spotify_id__isnull=False).count() == mix.tracks.count()

    # Customize: swap the first track, then save privately.
    first_id = page.locator("li.track").first.get_attribute("id")
    page.locator(f"#{first_id}").get_by_role("button", name=re.compile("^Swap")).click()
    save_privately(page, "Sandbox run")
    expect(page.locator("#save-panel progress, #save-panel .note").first).to_be_visible()
    expect(page.get_by_role("link", name="Open “Sandbox run” in Spotify")).to_be_visible()

    def saved():
        return [p for p in spotify_sandbox.playlists("sandbox-demo") if p["name"] == "Sandbox run" and not p["deleted"]]

    def mix_uris():
        return [f"spotify:track:{i.track.spotify_id}" for i in mix.tracks.select_related("track").order_by("position")]

    (playlist,) = saved()
    assert playlist["public"] is False
    assert playlist["items"] == mix_uris()

    # Remove a track and save again: the same playlist, updated.
    second_id = page.locator("li.track").nth(1).get_attribute("id")
    page.locator(f"#{second_id}").get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator(f"#{second_id}")).to_have_count(0)
    save_privately(page, "Sandbox run")
    expect(page.get_by_role("link", name="Open “Sandbox run” in Spotify")).to_be_visible()
    (updated,) = saved()
    assert updated["id"] == playlist["id"]
    assert updated["items"] == mix_uris() and len(updated["items"]) == len(playlist["items"]) - 1


def test_save_progress_polls_until_the_link(signed_in, live_server, spotify_sandbox):
    """While a save runs the panel shows its progress, asks for itself every second, then shows the link."""
    from mixes import services
    from mixes.models import PlaylistExport, WorkoutPlan
    from tests.fixtures.spotify import connect

    page = signed_in
    user = connect(WorkoutPlan.objects.first().owner, spotify_sandbox)
    mix = services.create_mix(user, WorkoutPlan.objects.filter(owner=user, is_active=True).get(), seed=1)
    export = PlaylistExport.objects.create(
        mix=mix, name="Long run", status="running", progress=40, message="Adding tracks"
    )
    page.goto(f"{live_server.url}{mix.get_absolute_url()}")
    expect(page.locator("#save-panel progress")).to_have_attribute("value", "40")
    expect(page.locator("#save-panel")).to_contain_text("Adding tracks")
    PlaylistExport.objects.filter(pk=export.pk).update(
        status="done", progress=100, message="Saved 9 tracks to Spotify.", playlist_url=f"{spotify_sandbox.url}/x"
    )
    expect(page.get_by_role("link", name="Open “Long run” in Spotify")).to_be_visible(timeout=5000)
