import logging
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.sandbox import Sandbox
from accounts.sandbox.catalog import CATALOG_PATH


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
        parser.add_argument("--catalog", type=Path, default=CATALOG_PATH, help="The demo catalog CSV.")

    def handle(self, *args, port: int, host: str, strict: bool, catalog: Path, **options):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        logger = logging.getLogger("accounts.sandbox")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            sandbox = Sandbox(port=port, strict=strict, host=host, catalog_path=catalog)
        except OSError as error:
            raise CommandError(f"Cannot start the Spotify sandbox: {error}") from error
        self.stdout.write(f"Spotify sandbox at {sandbox.url} ({'strict' if strict else 'lenient'}); Ctrl-C stops it.")
        self.stdout.write(f"  SPOTIFY_SANDBOX_URL={sandbox.url}  (client session-mix-sandbox / sandbox-secret)")
        self.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("Stopping the Spotify sandbox.")
        finally:
            sandbox.stop()
            logger.removeHandler(handler)
