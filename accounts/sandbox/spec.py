"""Holding every Web API exchange to Spotify's published OpenAPI description.

openapi-core 0.23 validates parameters and bodies against
../shared/spotify-openapi/fixed-spotify-open-api.yml (sonallux's "fixed" edition of Spotify's
own definition). On top of it this module flags what openapi-core lets through: a call to an
operation marked `deprecated: true` (unless allowed below, with a reason), a query parameter
the operation does not declare, and a path the spec does not have.

The spec is parsed once per process (about 0.1 s with libyaml) and shared by every sandbox.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema_path import SchemaPath
from openapi_core import V30RequestValidator, V30ResponseValidator
from openapi_core.datatypes import RequestParameters
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from werkzeug.datastructures import Headers, ImmutableMultiDict

SERVER = "https://api.spotify.com"
METHODS = ("get", "put", "post", "delete", "patch")

# Deprecated operations the app may still call, each with why and how often per sandbox reset.
ALLOWED_DEPRECATED = {
    ("GET", "/audio-features"): (
        1,
        "the app probes it once to learn that it is closed to this app (403), then remembers that and stops asking",
    ),
}

# Where Spotify's real answers differ from the spec, the sandbox answers like Spotify and the
# spec is corrected in memory (never on disk). Each entry: schema name, what changes, why.
SPEC_GAPS = [
    ("CursorPagingObject", "next nullable", "Spotify sends next: null on the last page"),
    ("CursorObject", "nullable", "Spotify sends cursors: null for an empty page"),
    ("AlbumBase", "available_markets not required", "dropped for development-mode apps (February 2026)"),
    (
        "PlaylistTrackObject and others",
        "discriminator mapping track/episode",
        "`type` is 'track' or 'episode', not a schema name, so without a mapping nothing validates",
    ),
]


class _BearerProvider(BaseProvider):
    """oauth2 has no openapi-core provider; the sandbox checks the token itself (401)."""

    def __call__(self, parameters: RequestParameters):
        return parameters.header.get("Authorization")


class _SecurityProviders(SecurityProviderFactory):
    PROVIDERS = {**SecurityProviderFactory.PROVIDERS, "oauth2": _BearerProvider}


@dataclass(frozen=True)
class Operation:
    method: str  # "GET"
    template: str  # "/playlists/{playlist_id}/items", without /v1
    spec: dict

    @property
    def deprecated(self) -> bool:
        return bool(self.spec.get("deprecated"))


class _Request:
    """The request protocol openapi-core reads (host_url, path, method, parameters, body, content_type)."""

    def __init__(self, method: str, path: str, query: dict[str, list[str]], headers: dict, body: bytes):
        self.host_url = SERVER
        self.path = path
        self.method = method.lower()
        pairs = [(name, value) for name, values in query.items() for value in values]
        self.parameters = RequestParameters(query=ImmutableMultiDict(pairs), header=Headers(headers))
        self.body = body or None
        self.content_type = (headers.get("Content-Type") or "").lower()


class _Response:
    def __init__(self, status: int, body: bytes, content_type: str):
        self.status_code = status
        self.data = body
        self.content_type = content_type
        self.headers = Headers({"Content-Type": content_type})


def _map_discriminators(node) -> None:
    if isinstance(node, dict):
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict) and "mapping" not in discriminator:
            refs = {entry["$ref"].rsplit("/", 1)[1]: entry["$ref"] for entry in node.get("oneOf", [])}
            names = {"TrackObject": "track", "EpisodeObject": "episode"}
            discriminator["mapping"] = {names.get(name, name): ref for name, ref in refs.items()}
        for value in node.values():
            _map_discriminators(value)
    elif isinstance(node, list):
        for value in node:
            _map_discriminators(value)


def _patch(document: dict) -> dict:
    """SPEC_GAPS, applied to the parsed document."""
    schemas = document["components"]["schemas"]
    schemas["CursorPagingObject"]["properties"]["next"]["nullable"] = True
    schemas["CursorObject"]["nullable"] = True  # only `cursors` uses it; nullable beside allOf is not enough
    schemas["AlbumBase"]["required"].remove("available_markets")
    _map_discriminators(document)
    return document


def _shorten(text: str, most: int = 160) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _describe(error: BaseException) -> str:
    """openapi-core's error and the schema errors under it, in one short line."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None:
        schema_errors = getattr(current, "schema_errors", None) or ()
        for schema_error in schema_errors:
            where = "/".join(str(step) for step in schema_error.absolute_path)
            parts.append(f"{where or 'body'}: {_shorten(schema_error.message)}")
        text = str(current)
        if not schema_errors and text and "Value " not in text[:40] and text not in parts:
            parts.append(_shorten(text))
        current = current.__cause__
    return ": ".join(parts) or type(error).__name__


class SpecChecker:
    """Checks /v1 requests and responses against the spec; `check_*` return what is wrong."""

    def __init__(self, document: dict):
        self.document = document
        spec = SchemaPath.from_dict(document)
        self._requests = V30RequestValidator(spec, security_provider_factory=_SecurityProviders())
        self._responses = V30ResponseValidator(spec)
        self._operations = self._index(document)

    @staticmethod
    def _index(document: dict) -> list[tuple[re.Pattern, Operation]]:
        index = []
        for template, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method in METHODS:
                if method in item:
                    index.append((pattern, Operation(method.upper(), template, item[method])))
        # Literal paths before templated ones: /me/playlists is not /playlists/{id}.
        index.sort(key=lambda entry: entry[1].template.count("{"))
        return index

    def operation(self, method: str, path: str) -> Operation | None:
        """The spec's operation for a concrete /v1 path, or None."""
        local = path.removeprefix("/v1")
        for pattern, operation in self._operations:
            if operation.method == method and pattern.match(local):
                return operation
        return None

    def path_known(self, path: str) -> bool:
        local = path.removeprefix("/v1")
        return any(pattern.match(local) for pattern, _ in self._operations)

    def declared_query(self, operation: Operation) -> set[str]:
        item = self.document["paths"][operation.template]
        names = set()
        for parameter in item.get("parameters", []) + operation.spec.get("parameters", []):
            if "$ref" in parameter:
                parameter = self.document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
            if parameter["in"] == "query":
                names.add(parameter["name"])
        return names

    def check_request(self, method: str, path: str, query: dict, headers: dict, body: bytes) -> list[str]:
        """What is wrong with this request by the spec (empty: nothing). Deprecation is checked by the caller."""
        operation = self.operation(method, path)
        if operation is None:
            if self.path_known(path):
                return [f"the spec has no {method} {path.removeprefix('/v1')}"]
            return [f"{path.removeprefix('/v1')} is not a path in the spec"]
        problems = [
            f"undeclared query parameter '{name}'" for name in sorted(set(query) - self.declared_query(operation))
        ]
        request = _Request(method, path, query, headers, body)
        problems += [_describe(error) for error in self._requests.iter_errors(request)]
        return problems

    def check_response(self, method: str, path: str, status: int, body: bytes, content_type: str) -> list[str]:
        """What is wrong with the sandbox's answer by the spec; statuses the spec omits must be an error object."""
        operation = self.operation(method, path)
        if operation is None:
            return []
        if str(status) not in operation.spec.get("responses", {}):
            return _check_error_body(status, body)
        request = _Request(method, path, {}, {}, b"")
        response = _Response(status, body, content_type)
        return [_describe(error) for error in self._responses.iter_errors(request, response)]


def _check_error_body(status: int, body: bytes) -> list[str]:
    try:
        error = json.loads(body or b"null")["error"]
    except (ValueError, KeyError, TypeError):
        return [f"a {status} answer must be {{'error': {{'status', 'message'}}}}"]
    if not isinstance(error, dict) or error.get("status") != status or not isinstance(error.get("message"), str):
        return [f"a {status} answer must be {{'error': {{'status': {status}, 'message': str}}}}"]
    return []


_checkers: dict[Path, SpecChecker] = {}
_lock = threading.Lock()


def load_checker(path: Path) -> SpecChecker:
    """The checker for this spec file, parsed on first use and then shared."""
    path = Path(path).resolve()
    with _lock:
        if path not in _checkers:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            with open(path, encoding="utf-8") as handle:
                _checkers[path] = SpecChecker(_patch(yaml.load(handle, Loader=loader)))
        return _checkers[path]
