import signal
import subprocess
import sys
from pathlib import Path

import requests

from accounts.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def test_command_serves_until_interrupted():
    """`manage.py spotify_sandbox --port 0` prints its URL, serves, and stops cleanly on Ctrl-C."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "spotify_sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        url = first.split(" at ")[1].split()[0]
        assert requests.get(f"{url}/_sandbox/state", timeout=5).json()["accounts"]["sandbox-demo"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_lenient_sandbox_without_spec_still_serves(tmp_path):
    """Without the OpenAPI file a lenient sandbox serves unchecked (the demo on a bare machine)."""
    with Sandbox(port=0, strict=False, spec_path=tmp_path / "missing.yml") as sandbox:
        token = sandbox.issue_token()["access_token"]
        answer = requests.get(f"{sandbox.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 200 and sandbox.checker is None
