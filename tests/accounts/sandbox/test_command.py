import signal
import subprocess
import sys

import pytest
import requests
from django.conf import settings

from accounts.management.commands.spotify_sandbox import sandbox_from_settings
from accounts.sandbox import Client, Sandbox


def test_command_serves_until_interrupted():
    """`manage.py spotify_sandbox --port 0` prints its URL, serves, and stops cleanly on Ctrl-C, even started with
    SIGINT ignored (as a script's background job is, and as this test runs under one)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "spotify_sandbox", "--port", "0"],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        first = process.stdout.readline()
        url = first.split(" at ")[1].split()[0]
        assert requests.get(f"{url}/_sandbox/state", timeout=5).json()["accounts"]["sandbox-demo"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            # Both pipes read to the end while it stops; if it does not, it is killed and its output shown.
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    assert process.returncode == 0, f"exit {process.returncode}; stdout: {out[-2000:]}; stderr: {err[-2000:]}"


def test_lenient_sandbox_without_spec_still_serves(tmp_path):
    """Without the OpenAPI file a lenient sandbox serves unchecked (the demo on a bare machine)."""
    with sandbox_from_settings(port=0, strict=False, spec_path=tmp_path / "missing.yml") as sandbox:
        token = sandbox.issue_token()["access_token"]
        answer = requests.get(f"{sandbox.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 200 and sandbox.checker is None


def test_a_token_grants_the_scopes_the_app_asks_for(spotify_sandbox):
    """Unless told which, the sandbox grants the scopes its caller passed in: settings.SPOTIFY_SCOPES."""
    assert spotify_sandbox.issue_token()["scope"].split() == settings.SPOTIFY_SCOPES


def test_a_scope_spotify_does_not_have_is_refused_at_start():
    """A client asking for a scope Spotify lacks is a mistake in the caller: the sandbox will not start."""
    client = Client(id="an-app", secret="a-secret", name="An App", scopes=("user-top-read", "user-read-minds"))
    with pytest.raises(ValueError, match="user-read-minds"):
        Sandbox(client=client, catalog_path=settings.SPOTIFY_SANDBOX_CATALOG, spec_path=settings.SPOTIFY_OPENAPI_SPEC)
