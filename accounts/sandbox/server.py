"""The sandbox's HTTP server and its Python handle, `Sandbox`.

One port serves the accounts service (/authorize, /api/token), the Web API (/v1), the
ReccoBeats and Deezer stand-ins (/reccobeats/v1, /deezer), a page per playlist (/open), album
covers (/covers) and the control API for tests and the demo (/_sandbox). Every request to /v1 is checked against
the OpenAPI description before it is served, and every answer after; what is wrong is kept in
`violations` and, in strict mode, the request is refused with a 400 that says why.

Plain Python (http.server), no Django: it runs in a thread inside pytest or on its own. What it
knows of the app (its client and scopes), the catalog it serves and the OpenAPI file come from
its caller (`manage.py spotify_sandbox` and the test fixtures read them from settings).
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from accounts.sandbox import covers, oauth, stand_ins, webapi
from accounts.sandbox.catalog import load_catalog
from accounts.sandbox.exchange import Call, Reply, Router
from accounts.sandbox.library import DEMO
from accounts.sandbox.pages import page
from accounts.sandbox.state import ApiError, Client, Fault, Logged, Violation, World

if TYPE_CHECKING:
    from accounts.sandbox.spec import SpecChecker

log = logging.getLogger("accounts.sandbox")

FAULT_FIELDS = ("path", "method", "status", "retry_after", "body", "delay_s", "times", "skip")


class Sandbox:
    """A running Spotify sandbox on 127.0.0.1; `port=0` picks a free port.

    `client` is the app it serves, `catalog_path` the catalog CSV it plays, `spec_path` the OpenAPI
    description every /v1 exchange is checked against (a lenient sandbox serves unchecked without it).
    """

    def __init__(
        self,
        port: int = 0,
        strict: bool = True,
        host: str = "127.0.0.1",
        *,
        client: Client,
        catalog_path: Path,
        spec_path: Path,
    ):
        unknown = sorted(set(client.scopes) - set(oauth.SCOPES))
        if unknown:
            raise ValueError(f"Spotify has no scope {', '.join(unknown)}")
        self.client = client
        self._songs = load_catalog(catalog_path)
        self._strict = strict
        self.checker: SpecChecker | None = None
        try:
            from accounts.sandbox.spec import load_checker  # openapi-core is a development requirement

            self.checker = load_checker(spec_path)
        except (ImportError, FileNotFoundError) as missing:
            if strict:
                raise
            log.warning("Requests to the sandbox are not checked against the OpenAPI description: %s", missing)
        self._lock = threading.RLock()
        self.world = self._seeded()
        self.router = Router()
        webapi.add_routes(self.router)
        oauth.add_routes(self.router)
        stand_ins.add_routes(self.router)
        self.router.add("GET", "/open/playlist/{playlist_id}", _playlist_page)
        self.router.add("GET", "/covers/{album_id}/{size}", covers.cover)
        self.router.add("GET", "/", _index_page)
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.sandbox = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="spotify-sandbox", daemon=True
        )
        self._thread.start()

    # The handle tests use -------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def strict(self) -> bool:
        return self.world.strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self.world.strict = value

    @property
    def requests(self) -> list[Logged]:
        return self.world.requests

    @property
    def violations(self) -> list[Violation]:
        return self.world.violations

    @property
    def catalog(self) -> list[dict]:
        return [song.as_dict() for song in self._songs]

    def track_uris(self) -> list[str]:
        return [song.uri for song in self._songs]

    def count(self, method: str | None, path_glob: str) -> int:
        """How many requests matched (method None: any), e.g. count("POST", "/v1/playlists/*/items")."""
        return sum(
            1
            for logged in self.requests
            if (method is None or logged.method == method.upper()) and fnmatch.fnmatchcase(logged.path, path_glob)
        )

    def fault(
        self,
        path: str,
        method: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        skip: int = 0,
        body: Any = None,
        delay_s: float = 0,
    ) -> Fault:
        """Misbehave on matching requests (path is an fnmatch glob): see state.Fault."""
        rule = Fault(path, method, status, retry_after, body, delay_s, times, skip)
        with self._lock:
            self.world.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        with self._lock:
            self.world.faults.clear()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.world.expire_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self.world.revoke_refresh_tokens()

    def issue_token(self, account_id: str = DEMO, scopes: tuple[str, ...] | None = None) -> dict:
        """A token answer for the account, without the OAuth dance (scopes None: the client's)."""
        with self._lock:
            return self.world.issue_token(account_id, None if scopes is None else tuple(scopes))

    def playlists(self, account_id: str = DEMO) -> list[dict]:
        """The account's own playlists (deleted ones flagged), in creation order."""
        with self._lock:
            return self.world.playlists_of(account_id)

    def delete_playlist(self, playlist_id: str) -> None:
        """The owner deletes the playlist in Spotify's own app."""
        with self._lock:
            playlist = self.world.playlists[playlist_id]
            self.world.unfollow(self.world.accounts[playlist.owner_id], playlist)

    def state(self) -> dict:
        with self._lock:
            return self.world.snapshot()

    def reset(self) -> None:
        """Back to the seeded library: no tokens, faults, requests or violations; strict as constructed."""
        with self._lock:
            self.world = self._seeded()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # Serving ----------------------------------------------------------------------------------

    def _seeded(self) -> World:
        return World(self.client, self._songs, self._strict)

    def respond(self, call: Call) -> Reply:
        """Log, check, misbehave if told to, serve, check the answer."""
        if call.path.startswith("/_sandbox"):
            with self._lock:
                return self._control(call)
        api = call.path == "/v1" or call.path.startswith("/v1/")
        with self._lock:
            world = self.world
            query = {name: values[0] if len(values) == 1 else values for name, values in call.query.items()}
            logged = Logged(call.method, call.path, query, call.json)
            world.requests.append(logged)
            problems, closed = self._check_request(world, call) if api else ([], False)
            if problems and world.strict and not closed:
                logged.status = 400
                return Reply.error(400, "sandbox: " + "; ".join(problems))
            fault = next((rule for rule in world.faults if rule.matches(call.method, call.path) and rule.take()), None)
        if fault and fault.delay_s:
            time.sleep(fault.delay_s)
        if fault and fault.status is not None:
            reply = _fault_reply(fault)
        else:
            with self._lock:
                reply = self._serve(world, call, api)
                if api:
                    self._check_response(world, call, reply)
        logged.status = reply.status
        return reply

    def _violation(self, world: World, method: str, path: str, message: str) -> None:
        violation = Violation(method, path, message)
        world.violations.append(violation)
        log.warning("Spotify sandbox: %s", violation)

    def _check_request(self, world: World, call: Call) -> tuple[list[str], bool]:
        closed = webapi.is_closed(call.method, call.path)
        if self.checker is None:
            return [], closed
        problems = self.checker.check_request(call.method, call.path, call.query, call.headers, call.body)
        from accounts.sandbox.spec import ALLOWED_DEPRECATED

        operation = self.checker.operation(call.method, call.path)
        if operation and operation.deprecated:
            key = (call.method, operation.template)
            if key not in ALLOWED_DEPRECATED:
                problems.insert(0, f"{call.method} {operation.template} is deprecated in the spec")
            else:
                world.allowed_calls[key] = world.allowed_calls.get(key, 0) + 1
                most, reason = ALLOWED_DEPRECATED[key]
                if world.allowed_calls[key] > most:
                    problems.insert(
                        0,
                        f"{call.method} {operation.template} is deprecated and allowed {most} time(s) "
                        f"({reason}); this is call {world.allowed_calls[key]}",
                    )
        for problem in problems:
            self._violation(world, call.method, call.path, problem)
        return problems, closed

    def _check_response(self, world: World, call: Call, reply: Reply) -> None:
        if self.checker is None:
            return
        body, content_type = reply.encode()
        for problem in self.checker.check_response(call.method, call.path, reply.status, body, content_type):
            self._violation(world, call.method, call.path, f"sandbox answer {reply.status}: {problem}")

    def _serve(self, world: World, call: Call, api: bool) -> Reply:
        handler, params, path_exists = self.router.find(call.method, call.path)
        if handler is None:
            if path_exists:
                return Reply.error(405, "Method not allowed")
            return Reply.error(404, "Service not found")
        try:
            if api:
                call.grant = world.authenticate(call.header("Authorization"))
            return handler(world, call, **params)
        except ApiError as refusal:
            headers = dict(refusal.headers)
            if refusal.status == 401:
                headers["WWW-Authenticate"] = (
                    f'Bearer realm="spotify", error="invalid_token", error_description="{refusal.message}"'
                )
            return Reply.error(refusal.status, refusal.message, headers)
        except Exception as error:  # a sandbox bug: say so rather than hang up
            log.exception("Spotify sandbox failed on %s %s", call.method, call.path)
            return Reply.error(500, f"sandbox bug: {type(error).__name__}: {error}")

    def _control(self, call: Call) -> Reply:
        """/_sandbox: inspect and steer the sandbox over HTTP (the demo and other processes)."""
        body = call.json if isinstance(call.json, dict) else {}
        action = (call.method, call.path)
        if action == ("GET", "/_sandbox/state"):
            return Reply(200, self.world.snapshot())
        if action == ("POST", "/_sandbox/faults"):
            rule = Fault(**{name: body[name] for name in FAULT_FIELDS if name in body})
            self.world.faults.append(rule)
            return Reply(201, vars(rule))
        if action == ("DELETE", "/_sandbox/faults"):
            self.world.faults.clear()
            return Reply(200, {})
        if action == ("POST", "/_sandbox/reset"):
            self.world = self._seeded()
            return Reply(200, {})
        if action == ("POST", "/_sandbox/expire-tokens"):
            self.world.expire_access_tokens()
            return Reply(200, {})
        if action == ("POST", "/_sandbox/revoke-refresh-tokens"):
            self.world.revoke_refresh_tokens()
            return Reply(200, {})
        if action == ("POST", "/_sandbox/token"):
            return Reply(200, self.world.issue_token(body.get("account_id", DEMO)))
        if action == ("POST", "/_sandbox/delete-playlist") and body.get("playlist_id") in self.world.playlists:
            self.delete_playlist(body["playlist_id"])
            return Reply(200, {})
        return Reply(404, {"error": f"no control action {call.method} {call.path}"})


def _fault_reply(fault: Fault) -> Reply:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.body is not None:
        return Reply(fault.status, fault.body, headers)
    message = "API rate limit exceeded" if fault.status == 429 else HTTPStatus(fault.status).phrase
    return Reply.error(fault.status, message, headers)


def _playlist_page(world: World, call: Call, playlist_id: str) -> Reply:
    """What the playlist's external_urls.spotify link opens: its tracks in order."""
    playlist = world.playlists.get(playlist_id)
    if playlist is None or playlist.deleted:
        return page(
            "Playlist not found · Spotify sandbox",
            "Playlist not found",
            "<p>This playlist does not exist.</p>",
            status=404,
        )
    rows = "".join(
        f"<li>{escape(song.name)} — {escape(', '.join(artist.name for artist in song.artists))}</li>"
        for song in (world.songs_by_id[uri.rsplit(":", 1)[1]] for uri, _, _ in playlist.items)
    )
    owner = world.accounts[playlist.owner_id].display_name
    kind = "Public" if playlist.public else "Private"
    description = f"<p>{escape(playlist.description)}</p>" if playlist.description else ""
    return page(
        f"{playlist.name} · Spotify sandbox",
        playlist.name,
        f"<p>{kind} playlist by {escape(owner)} · {len(playlist.items)} tracks</p>{description}<ol>{rows}</ol>",
    )


def _index_page(world: World, call: Call) -> Reply:
    return page(
        "Spotify sandbox",
        "Spotify sandbox",
        "<p>Accounts service: /authorize, /api/token. Web API: /v1. ReccoBeats: /reccobeats/v1. "
        "Deezer: /deezer. Album covers: /covers. Control: /_sandbox/state.</p>",
    )


class _Handler(BaseHTTPRequestHandler):
    server_version = "SpotifySandbox/1.0"
    protocol_version = "HTTP/1.1"

    def _dispatch(self) -> None:
        sandbox: Sandbox = self.server.sandbox  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host")
        call = Call(
            method=self.command,
            path=parts.path.rstrip("/") or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=body,
            base=f"http://{host}" if host else sandbox.url,
        )
        reply = sandbox.respond(call)
        payload, content_type = reply.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.address_string(), format % args)
