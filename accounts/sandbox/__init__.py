"""The Spotify sandbox: Spotify's accounts service and Web API as this app uses them, offline.

    from accounts.sandbox import Sandbox
    sandbox = Sandbox(port=0, strict=True)   # serving on 127.0.0.1 in a daemon thread
    sandbox.url, sandbox.issue_token(), sandbox.fault(...), sandbox.violations, sandbox.stop()

See server.Sandbox for the handle, webapi for what /v1 serves, spec for the OpenAPI checks.
"""

from accounts.sandbox.server import Sandbox
from accounts.sandbox.state import Fault, Logged, Violation

__all__ = ["Fault", "Logged", "Sandbox", "Violation"]
