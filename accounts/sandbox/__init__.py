"""The Spotify sandbox: Spotify's accounts service and Web API as this app uses them, offline.

    from accounts.sandbox import Client, Sandbox
    client = Client(id="my-app", secret="my-secret", name="My App", scopes=("user-top-read",))
    sandbox = Sandbox(port=0, strict=True, client=client, catalog_path=..., spec_path=...)  # a daemon thread
    sandbox.url, sandbox.issue_token(), sandbox.fault(...), sandbox.violations, sandbox.stop()

It imports nothing of the app, Django included: what it knows of the app comes in through Client,
and `manage.py spotify_sandbox` and the test fixtures build that from settings.
See server.Sandbox for the handle, webapi for what /v1 serves, spec for the OpenAPI checks.
"""

from accounts.sandbox.server import Sandbox
from accounts.sandbox.state import Client, Fault, Logged, Violation

__all__ = ["Client", "Fault", "Logged", "Sandbox", "Violation"]
