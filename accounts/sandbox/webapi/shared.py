"""What the /v1 handlers share: the scope check, the paging arguments, the signed-in account, the body."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from accounts.sandbox import objects
from accounts.sandbox.catalog import Song
from accounts.sandbox.exchange import Call, Reply
from accounts.sandbox.library import Account
from accounts.sandbox.state import ApiError, World

PAGE_MAX = 50
OFFSET_MAX = 100_000


def needs(*scopes: str) -> Callable:
    """The handler answers 403 unless the token was granted one of these scopes."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        def checked(world: World, call: Call, **params) -> Reply:
            if scopes and not set(scopes) & set(call.grant.scopes):
                raise ApiError(403, "Insufficient client scope")
            return handler(world, call, **params)

        return checked

    return decorate


def library_400(handler: Callable) -> Callable:
    """The spec documents the /me/library endpoints' 400 as a bare ErrorObject, where every other 400
    wraps it in `error` as Spotify does: the answer carries both, so it fits the spec and Spotify's clients."""

    @wraps(handler)
    def answered(world: World, call: Call, **params) -> Reply:
        try:
            return handler(world, call, **params)
        except ApiError as refusal:
            if refusal.status != 400:
                raise
            error = {"status": 400, "message": refusal.message}
            return Reply(400, {**error, "error": error})

    return answered


def account_of(world: World, call: Call) -> Account:
    """The account the request's token was granted for."""
    return world.accounts[call.grant.account_id]


def page_limit(call: Call, default: int = 20, high: int = PAGE_MAX) -> int:
    return call.int_arg("limit", default, 1, high, "Invalid limit")


def page_offset(call: Call, high: int = OFFSET_MAX) -> int:
    return call.int_arg("offset", 0, 0, high, "Invalid offset")


def track_object(world: World, call: Call, song: Song) -> dict:
    return objects.track(call.base, song, world.album_sizes)


def json_body(call: Call) -> dict:
    """The body as a JSON object, else a 400 as Spotify words it."""
    body = call.json
    if not isinstance(body, dict):
        raise ApiError(400, "Error parsing JSON.")
    return body


def now_ms() -> int:
    return int(time.time() * 1000)
