"""A request as the sandbox's handlers see it, their answer, and the router between them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from accounts.sandbox.state import ApiError, Grant


@dataclass
class Call:
    method: str
    path: str  # without the query string and without a trailing slash
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base: str  # the sandbox's own URL, for hrefs
    grant: Grant | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int, low: int, high: int, message: str) -> int:
        """An integer query parameter within [low, high], else a 400 with Spotify's message."""
        raw = self.arg(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, message) from None
        if not low <= value <= high:
            raise ApiError(400, message)
        return value

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON; None when empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @cached_property
    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict or list: JSON; str: HTML; bytes: of `content_type`; None: empty
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None  # for bytes (an image)

    def encode(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if self.body is None:
            return b"", "application/json; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode(), "text/html; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"

    @classmethod
    def error(cls, status: int, message: str, headers: dict | None = None) -> Reply:
        return cls(status, {"error": {"status": status, "message": message}}, dict(headers or {}))


Handler = Callable[..., Reply]


class Router:
    """Path templates like /v1/playlists/{playlist_id}/items, matched in the order added."""

    def __init__(self):
        self._routes: list[tuple[str, re.Pattern, Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
        self._routes.append((method, pattern, handler))

    def find(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """The handler and path parameters; the flag says whether the path exists for another method."""
        path_exists = False
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match:
                if route_method in (method, "*"):
                    return handler, match.groupdict(), True
                path_exists = True
        return None, {}, path_exists
