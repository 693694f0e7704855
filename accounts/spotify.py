"""Every call to Spotify goes through here, on spotipy, using only what 2026 development-mode apps may call.

- Tokens: the access token is refreshed shortly before it expires and on a 401, one process
  at a time (the token row is locked; a process that waited uses the token the other one got).
  A refresh token Spotify has revoked, or a stored token our keys can no longer decrypt
  (SECRET_KEY or TOKEN_ENCRYPTION_KEYS changed), deletes the stored token and raises
  ReconnectSpotify (the account link stays, so the UI can offer "Reconnect Spotify").
  Nothing else is touched.
- Rate limits: a 429 raises RateLimited at once with Spotify's Retry-After (never slept
  through here); QUOTA_EXCEEDED is told apart. Callers decide: a web request shows it, a
  Celery task reschedules itself with that countdown.
- 5xx and timeouts are retried with a short backoff only for calls that are safe to repeat.
- `calls` counts the requests made, by endpoint, so tests can hold us to our budgets.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import requests
import spotipy
from allauth.socialaccount.models import SocialAccount, SocialToken
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.crypto import decrypt

log = logging.getLogger(__name__)

PAGE = 50  # the most Spotify gives per page for history, saved tracks and playlists
SEARCH_LIMIT = 10  # /search returns at most 10 items per call for development-mode apps
ITEMS_PER_REQUEST = 100  # add / replace playlist items
LIBRARY_URIS = 40  # /me/library/contains takes at most 40 URIs
REFRESH_MARGIN = timedelta(seconds=60)
RETRY_DELAYS = (0.5, 1.5)  # backoff for safe calls on 5xx and timeouts
TIMEOUT_S = 10


class SpotifyError(Exception):
    """Something Spotify said no to; `str(error)` is fit to show the person."""


class SpotifyNotConnected(SpotifyError):
    def __init__(self, message: str = "Spotify is not connected yet."):
        super().__init__(message)


class ReconnectSpotify(SpotifyError):
    def __init__(self, message: str = "Spotify no longer accepts our access. Reconnect Spotify to continue."):
        super().__init__(message)


class RateLimited(SpotifyError):
    def __init__(self, retry_after: int, quota_exceeded: bool = False):
        self.retry_after = max(1, retry_after)
        self.quota_exceeded = quota_exceeded
        if quota_exceeded:
            message = "Spotify says this app has used up its quota for now; try again later."
        else:
            message = f"Spotify is busy, try again in {self.retry_after} s."
        super().__init__(message)


class SpotifyUnavailable(SpotifyError):
    def __init__(self, message: str = "Spotify is not answering right now; try again in a minute."):
        super().__init__(message)


class NotFound(SpotifyError):
    pass


class Forbidden(SpotifyError):
    pass


def spotify_account(user) -> SocialAccount | None:
    return SocialAccount.objects.filter(user=user, provider="spotify").first()


def is_connected(user) -> bool:
    return SocialToken.objects.filter(account__user=user, account__provider="spotify").exists()


def needs_reconnect(user) -> bool:
    """Linked once, but the token is gone (revoked, or disconnected at Spotify)."""
    return spotify_account(user) is not None and not is_connected(user)


def _stored_token(user) -> SocialToken:
    token = SocialToken.objects.filter(account__user=user, account__provider="spotify").first()
    if token is None:
        raise ReconnectSpotify() if spotify_account(user) else SpotifyNotConnected()
    return token


def _fresh(token: SocialToken) -> bool:
    return token.expires_at is not None and token.expires_at - REFRESH_MARGIN > timezone.now()


def _plain(secret: str) -> str | None:
    """A stored secret in clear; None when our keys can't open it (SECRET_KEY or TOKEN_ENCRYPTION_KEYS changed)."""
    try:
        return decrypt(secret)
    except InvalidToken:
        return None


def _drop(token: SocialToken, why: str) -> ReconnectSpotify:
    """Delete a stored token that can't be used any more; the account link stays, so the user can reconnect."""
    log.warning("%s (user %s); asking them to reconnect Spotify.", why, token.account.user_id)
    SocialToken.objects.filter(pk=token.pk).delete()
    return ReconnectSpotify()


def refresh_access_token(token: SocialToken) -> SocialToken:
    """Trade the refresh token for a new access token; a revoked or unreadable one ends the connection's token.

    One process at a time: the token row stays locked during the exchange. A process that waited
    finds a different, fresh token there (the other one's) and uses it instead of refreshing again,
    so two workers never spend the same refresh token.
    """
    with transaction.atomic():
        current = SocialToken.objects.select_for_update().select_related("account").filter(pk=token.pk).first()
        if current is None:
            raise ReconnectSpotify()  # revoked or disconnected meanwhile
        if current.token != token.token and _fresh(current):
            return current
        refresh_token = _plain(current.token_secret)
        if refresh_token is not None and not _exchange(current, refresh_token):
            return current
    # Deleted outside the block: raising inside it would roll the deletion back.
    if refresh_token is None:
        raise _drop(token, "The stored refresh token can't be decrypted")
    raise _drop(token, "Spotify refused the refresh token")


def _exchange(token: SocialToken, refresh_token: str) -> bool:
    """POST /api/token with the refresh token and store what comes back; True if Spotify revoked it."""
    try:
        response = requests.post(
            f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET),
            timeout=TIMEOUT_S,
        )
    except requests.RequestException as error:
        raise SpotifyUnavailable() from error
    if response.status_code == 400 and _json(response).get("error") == "invalid_grant":
        return True
    if response.status_code == 429:
        raise RateLimited(int(response.headers.get("Retry-After", "1")))
    if response.status_code >= 400:
        raise SpotifyUnavailable()
    data = response.json()
    token.token = data["access_token"]
    if data.get("refresh_token"):
        token.token_secret = data["refresh_token"]
    token.expires_at = timezone.now() + timedelta(seconds=int(data.get("expires_in", 3600)))
    token.save()
    return False


def _json(response: requests.Response) -> dict:
    try:
        return response.json()
    except ValueError:
        return {}


class SpotifyClient:
    """A user's Spotify, one method per endpoint we use."""

    def __init__(self, user):
        self.user = user
        self.calls: Counter[str] = Counter()
        self._token = _stored_token(user)
        self._sp: spotipy.Spotify | None = None

    # Tokens and calls ------------------------------------------------------------------

    def _spotipy(self) -> spotipy.Spotify:
        if self._token.expires_at is None or self._token.expires_at - REFRESH_MARGIN <= timezone.now():
            self._token = refresh_access_token(self._token)
            self._sp = None
        if self._sp is None:
            access = _plain(self._token.token)
            if access is None:
                raise _drop(self._token, "The stored access token can't be decrypted")
            # A plain session: spotipy's own retry adapter would sleep through Retry-After
            # and drop the response headers.
            self._sp = spotipy.Spotify(auth=access, requests_session=requests.Session(), requests_timeout=TIMEOUT_S)
            self._sp.prefix = settings.SPOTIFY_API_URL.rstrip("/") + "/"
        return self._sp

    def _call(self, label: str, method: str, *args, safe: bool = True, **kwargs):
        refreshed = False
        delays = list(RETRY_DELAYS) if safe else []
        while True:
            self.calls[label] += 1
            try:
                return getattr(self._spotipy(), method)(*args, **kwargs)
            except spotipy.SpotifyException as error:
                status = error.http_status
                if status == 401 and not refreshed:
                    self._token = refresh_access_token(self._token)
                    self._sp, refreshed = None, True
                    continue
                if status == 429:
                    retry_after = int((error.headers or {}).get("Retry-After", "1"))
                    raise RateLimited(retry_after, quota_exceeded=error.reason == "QUOTA_EXCEEDED") from error
                if status >= 500 and delays:
                    time.sleep(delays.pop(0))
                    continue
                if status >= 500:
                    raise SpotifyUnavailable() from error
                if status == 404:
                    raise NotFound(f"Spotify has no such item ({label}).") from error
                if status == 403:
                    raise Forbidden(f"Spotify does not allow this app to call {label}.") from error
                raise SpotifyError(f"Spotify refused {label} ({status}).") from error
            except (requests.Timeout, requests.ConnectionError) as error:
                if delays:
                    time.sleep(delays.pop(0))
                    continue
                raise SpotifyUnavailable() from error

    # Profile and library ---------------------------------------------------------------

    def me(self) -> dict:
        return self._call("GET /me", "current_user")

    def recently_played(self, after_ms: int | None = None) -> Iterator[dict]:
        """Pages of recently played items, oldest cursor first from `after_ms` (50 a page)."""
        page = self._call("GET /me/player/recently-played", "current_user_recently_played", limit=PAGE, after=after_ms)
        while page:
            yield page
            if not page.get("next") or not page.get("items"):
                return
            after = (page.get("cursors") or {}).get("after")
            if not after:
                return
            page = self._call(
                "GET /me/player/recently-played", "current_user_recently_played", limit=PAGE, after=int(after)
            )

    def top_tracks(self, time_range: str) -> list[dict]:
        page = self._call("GET /me/top/tracks", "current_user_top_tracks", limit=PAGE, time_range=time_range)
        return page.get("items", []) if page else []

    def saved_tracks(self) -> Iterator[dict]:
        return self._pages("GET /me/tracks", "current_user_saved_tracks")

    def my_playlists(self) -> Iterator[dict]:
        """The playlists in the user's library (those they deleted, i.e. unfollowed, are not)."""
        return self._pages("GET /me/playlists", "current_user_playlists")

    def playlist_tracks(self, playlist_id: str) -> Iterator[dict | None]:
        """The track object of each entry of a playlist, in order (None for an entry without one: a local file
        gone, an episode removed). Spotify wraps it as `item` in the current API, `track` in the old one."""
        for entry in self._pages("GET /playlists/{id}/items", "playlist_items", playlist_id):
            yield (entry or {}).get("item") or (entry or {}).get("track")

    def library_contains(self, uris: list[str]) -> list[bool]:
        """GET /me/library/contains: for each URI (at most 40; tracks, playlists, ...), whether it is in the library.

        For a playlist this is whether the user still has it: deleting a playlist in Spotify unfollows it.
        """
        assert 0 < len(uris) <= LIBRARY_URIS
        return self._call("GET /me/library/contains", "_get", "me/library/contains", uris=",".join(uris)) or []

    def _pages(self, label: str, method: str, *args, **kwargs) -> Iterator[dict]:
        """Every item of an offset-paged list, 50 a page, following `next` until it runs out."""
        offset = 0
        while True:
            page = self._call(label, method, *args, limit=PAGE, offset=offset, **kwargs)
            items = (page or {}).get("items", [])
            yield from items
            if not page or not page.get("next") or not items:
                return
            offset += len(items)

    def search_track(self, title: str, artist: str) -> list[dict]:
        query = f'track:"{title}" artist:"{artist}"'
        result = self._call("GET /search", "search", q=query, type="track", limit=SEARCH_LIMIT)
        return (result or {}).get("tracks", {}).get("items", [])

    def audio_features(self, spotify_ids: list[str]) -> list[dict | None]:
        """Spotify's own audio features; closed to new apps since 2024 (raises Forbidden).

        Called once, as a probe whose 403 is remembered; spotipy's deprecation warning says what we know.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._call("GET /audio-features", "audio_features", spotify_ids) or []

    # Playlists -------------------------------------------------------------------------

    def playlist(self, playlist_id: str) -> dict | None:
        """The playlist, or None when it is gone (the user deleted it)."""
        try:
            return self._call(
                "GET /playlists/{id}", "playlist", playlist_id, fields="id,name,public,description,external_urls"
            )
        except NotFound:
            return None

    def create_playlist(self, name: str, description: str, public: bool) -> dict:
        """POST /me/playlists (never the closed /users/{id}/playlists). Not repeated on failure."""
        return self._call(
            "POST /me/playlists",
            "current_user_playlist_create",
            name,
            public=public,
            description=description,
            safe=False,
        )

    def change_playlist(self, playlist_id: str, name: str, description: str, public: bool) -> None:
        self._call(
            "PUT /playlists/{id}",
            "playlist_change_details",
            playlist_id,
            name=name,
            public=public,
            description=description,
        )

    def replace_items(self, playlist_id: str, uris: list[str]) -> None:
        """Replace every item with these (at most 100); safe to repeat."""
        assert len(uris) <= ITEMS_PER_REQUEST
        self._call("PUT /playlists/{id}/items", "playlist_replace_items", playlist_id, uris)

    def add_items(self, playlist_id: str, uris: list[str]) -> None:
        """Append at most 100 items. Not repeated here: a blind retry could add them twice."""
        assert len(uris) <= ITEMS_PER_REQUEST
        # spotipy's playlist_add_items posts a bare JSON array; the API documents {"uris": [...]}.
        self._call(
            "POST /playlists/{id}/items", "_post", f"playlists/{playlist_id}/items", payload={"uris": uris}, safe=False
        )
