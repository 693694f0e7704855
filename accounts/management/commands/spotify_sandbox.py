import logging
import signal
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.sandbox import Client, Sandbox


def sandbox_from_settings(**options) -> Sandbox:
    """A sandbox serving this app as settings describe it: its client and scopes, the catalog, the OpenAPI file.

    `options` go to Sandbox as they are (port, strict, host), and may replace catalog_path or spec_path.
    """
    client = Client(
        id=settings.SPOTIFY_SANDBOX_CLIENT_ID,
        secret=settings.SPOTIFY_SANDBOX_CLIENT_SECRET,
        name=settings.SPOTIFY_SANDBOX_CLIENT_NAME,
        scopes=tuple(settings.SPOTIFY_SCOPES),
    )
    paths = {"catalog_path": settings.SPOTIFY_SANDBOX_CATALOG, "spec_path": settings.SPOTIFY_OPENAPI_SPEC}
    return Sandbox(client=client, **{**paths, **options})


class Command(BaseCommand):
    help = (
        "Serve the Spotify sandbox (accounts service, Web API, ReccoBeats and Deezer stand-ins) in the "
        "foreground until Ctrl-C. Requests that break Spotify's OpenAPI description are logged to stderr; "
        "--strict also refuses them with a 400."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8888, help="Port on 127.0.0.1 (0: any free port).")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--strict", action="store_true", help="Refuse requests that break the spec (400).")
        parser.add_argument(
            "--catalog", type=Path, default=settings.SPOTIFY_SANDBOX_CATALOG, help="The catalog CSV (the demo's)."
        )

    def handle(self, *args, port: int, host: str, strict: bool, catalog: Path, **options):
        # Ctrl-C (SIGINT) stops it, even when a script started it in the background, which leaves SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        logger = logging.getLogger("accounts.sandbox")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            sandbox = sandbox_from_settings(port=port, strict=strict, host=host, catalog_path=catalog)
        except OSError as error:
            raise CommandError(f"Cannot start the Spotify sandbox: {error}") from error
        client = sandbox.client
        self.stdout.write(f"Spotify sandbox at {sandbox.url} ({'strict' if strict else 'lenient'}); Ctrl-C stops it.")
        self.stdout.write(f"  SPOTIFY_SANDBOX_URL={sandbox.url}  (client {client.id} / {client.secret})")
        self.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("Stopping the Spotify sandbox.")
        finally:
            sandbox.stop()
            logger.removeHandler(handler)
