"""What the sandbox holds between requests: the library, tokens, faults, and the record of calls."""

from __future__ import annotations

import fnmatch
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from accounts.sandbox.catalog import Song, spotify_id
from accounts.sandbox.library import Account, Playlist, build_library

TOKEN_LIFETIME_S = 3600
CODE_LIFETIME_S = 600


@dataclass(frozen=True)
class Client:
    """The one app the sandbox serves, as its caller describes it (the sandbox reads no settings).

    `id`, `secret` and `name` are what Spotify's dashboard holds for the app; `scopes` are the ones
    the app asks for, which `issue_token` grants when it is not told which.
    """

    id: str
    secret: str
    name: str
    scopes: tuple[str, ...]


class ApiError(Exception):
    """A refusal in Spotify's shape: {"error": {"status", "message"}}."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Logged:
    """One request the sandbox received (control requests excepted), in arrival order."""

    method: str
    path: str
    query: dict[str, Any]
    json: Any
    status: int | None = None


@dataclass(frozen=True)
class Violation:
    """A request (or a sandbox answer) that breaks the OpenAPI description."""

    method: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}: {self.message}"


@dataclass
class Fault:
    """Misbehaviour for matching requests: let `skip` through, then hit `times` (None: forever)."""

    path: str
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    body: Any = None
    delay_s: float = 0
    times: int | None = 1
    skip: int = 0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and fnmatch.fnmatchcase(path, self.path)

    def take(self) -> bool:
        """Count a matching request; True when this one is hit."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


@dataclass
class Grant:
    account_id: str
    scopes: tuple[str, ...]
    expires_at: float = 0.0


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    account_id: str
    scopes: tuple[str, ...]
    challenge: str | None
    expires_at: float


@dataclass
class World:
    """The client and songs served, and everything a reset puts back: accounts, playlists, tokens, faults, the logs."""

    client: Client
    songs: list[Song]
    strict: bool
    accounts: dict[str, Account] = field(default_factory=dict)
    playlists: dict[str, Playlist] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    codes: dict[str, Code] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[Logged] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    allowed_calls: dict[tuple[str, str], int] = field(default_factory=dict)
    created: int = 0

    def __post_init__(self):
        self.songs_by_id = {song.id: song for song in self.songs}
        self.songs_by_isrc = {song.isrc: song for song in self.songs}
        self.album_sizes: dict[str, int] = {}
        for song in self.songs:
            self.album_sizes[song.album.id] = self.album_sizes.get(song.album.id, 0) + 1
        self.accounts, self.playlists = build_library(self.songs, int(time.time() * 1000))

    # Tokens ------------------------------------------------------------------------------

    def issue_token(self, account_id: str, scopes: tuple[str, ...] | None = None) -> dict:
        """A fresh access and refresh token for the account, as POST /api/token answers (None: the client's scopes)."""
        if account_id not in self.accounts:
            raise KeyError(f"no sandbox account {account_id!r}")
        if scopes is None:
            scopes = self.client.scopes
        access, refresh = "BQ" + secrets.token_urlsafe(48), "AQ" + secrets.token_urlsafe(48)
        self.access_tokens[access] = Grant(account_id, scopes, time.time() + TOKEN_LIFETIME_S)
        self.refresh_tokens[refresh] = Grant(account_id, scopes)
        return self._token_answer(access, refresh, scopes)

    def refresh(self, refresh_token: str) -> dict:
        """A new access token for a refresh token; Spotify may keep the refresh token, and here it does."""
        if refresh_token in self.revoked:
            raise ApiError(400, "Refresh token revoked")
        grant = self.refresh_tokens.get(refresh_token)
        if grant is None:
            raise ApiError(400, "Invalid refresh token")
        access = "BQ" + secrets.token_urlsafe(48)
        self.access_tokens[access] = Grant(grant.account_id, grant.scopes, time.time() + TOKEN_LIFETIME_S)
        return self._token_answer(access, refresh_token, grant.scopes)

    @staticmethod
    def _token_answer(access: str, refresh: str, scopes: tuple[str, ...]) -> dict:
        return {
            "access_token": access,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
            "expires_in": TOKEN_LIFETIME_S,
            "refresh_token": refresh,
        }

    def authenticate(self, authorization: str | None) -> Grant:
        """The grant behind a Bearer header, or a 401 as Spotify words it."""
        if not authorization:
            raise ApiError(401, "No token provided")
        scheme, _, token = authorization.partition(" ")
        grant = self.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None:
            raise ApiError(401, "Invalid access token")
        if grant.expires_at <= time.time():
            raise ApiError(401, "The access token expired")
        return grant

    def expire_access_tokens(self) -> None:
        for grant in self.access_tokens.values():
            grant.expires_at = 0.0

    def revoke_refresh_tokens(self) -> None:
        self.revoked.update(self.refresh_tokens)

    # Playlists ---------------------------------------------------------------------------

    def create_playlist(self, account: Account, name: str, public: bool, collaborative: bool, description: str):
        self.created += 1
        playlist = Playlist(
            id=spotify_id("new playlist", account.id, str(self.created)),
            owner_id=account.id,
            name=name,
            public=public,
            collaborative=collaborative,
            description=description,
        )
        self.playlists[playlist.id] = playlist
        account.followed.insert(0, playlist.id)
        return playlist

    def unfollow(self, account: Account, playlist: Playlist) -> None:
        """The user removes the playlist from their library; for its owner that deletes it."""
        if playlist.id in account.followed:
            account.followed.remove(playlist.id)
        if playlist.owner_id == account.id:
            playlist.deleted = True

    def follow(self, account: Account, playlist: Playlist) -> None:
        if playlist.owner_id == account.id:
            playlist.deleted = False
        if playlist.id not in account.followed:
            account.followed.insert(0, playlist.id)

    # Inspection --------------------------------------------------------------------------

    def playlists_of(self, account_id: str) -> list[dict]:
        """The playlists the account owns, deleted ones included (flagged), oldest first."""
        return [playlist.as_dict() for playlist in self.playlists.values() if playlist.owner_id == account_id]

    def snapshot(self) -> dict:
        """The whole state as JSON-ready data (GET /_sandbox/state)."""
        return {
            "accounts": {
                account.id: {
                    "display_name": account.display_name,
                    "email": account.email,
                    "product": account.product,
                    "country": account.country,
                    "recently_played": [
                        {"uri": f"spotify:track:{track_id}", "played_at": played_at}
                        for track_id, played_at in account.recently_played
                    ],
                    "top_tracks": {
                        time_range: [f"spotify:track:{track_id}" for track_id in ids]
                        for time_range, ids in account.top_tracks.items()
                    },
                    "saved_tracks": [f"spotify:track:{track_id}" for track_id, _ in account.saved_tracks],
                    "playlists": list(account.followed),
                }
                for account in self.accounts.values()
            },
            "playlists": [playlist.as_dict() for playlist in self.playlists.values()],
            "violations": [str(violation) for violation in self.violations],
            "faults": [vars(fault) for fault in self.faults],
        }
