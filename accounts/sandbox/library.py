"""The sandbox's accounts, their listening history and their playlists.

Everything is seeded, so a reset gives the same tracks in the same order; only the
timestamps move with the clock (plays are "the last 30 days" of whenever the sandbox starts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from accounts.sandbox.catalog import Song, spotify_id

DAY_MS = 24 * 3600 * 1000
TIME_RANGES = ("short_term", "medium_term", "long_term")
DEMO = "sandbox-demo"
NEWBIE = "sandbox-newbie"
CURATOR = "sandbox-curator"


@dataclass
class Account:
    id: str
    display_name: str
    email: str
    product: str = "premium"
    country: str = "GB"
    can_sign_in: bool = True
    recently_played: list[tuple[str, int]] = field(default_factory=list)  # (track id, played_at ms), newest first
    top_tracks: dict[str, list[str]] = field(default_factory=dict)  # time range -> track ids, best first
    saved_tracks: list[tuple[str, int]] = field(default_factory=list)  # (track id, added_at ms), newest first
    followed: list[str] = field(default_factory=list)  # playlist ids in /me/playlists order, newest first


@dataclass
class Playlist:
    id: str
    owner_id: str
    name: str
    public: bool
    collaborative: bool = False
    description: str = ""
    items: list[tuple[str, int, str]] = field(default_factory=list)  # (uri, added_at ms, added by account id)
    collaborators: set[str] = field(default_factory=set)
    deleted: bool = False  # the owner deleted (unfollowed) it
    version: int = 1

    def can_read(self, account_id: str) -> bool:
        return account_id == self.owner_id or account_id in self.collaborators

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "owner": self.owner_id,
            "name": self.name,
            "public": self.public,
            "collaborative": self.collaborative,
            "description": self.description,
            "items": [uri for uri, _, _ in self.items],
            "deleted": self.deleted,
        }


@dataclass
class Taste:
    """How a listener's seeded history is drawn."""

    genres: tuple[str, ...]
    plays: int
    days: int
    saved: int
    top: int


DEMO_TASTE = Taste(genres=("pop", "edm", "rock", "hip-hop", "disco"), plays=150, days=30, saved=120, top=50)
NEWBIE_TASTE = Taste(genres=("indie", "acoustic", "r&b"), plays=20, days=7, saved=10, top=15)


def _favourites(songs: list[Song], taste: Taste, rng: random.Random) -> list[Song]:
    liked = [song for song in songs if song.genre in taste.genres]
    others = [song for song in songs if song.genre not in taste.genres]
    pool = rng.sample(liked, min(len(liked), taste.top * 2)) + rng.sample(others, min(len(others), taste.top // 2))
    return pool


def _history(favourites: list[Song], taste: Taste, now_ms: int, rng: random.Random) -> list[tuple[str, int]]:
    """Listening sessions over the last days; ~12% of plays are skipped a third of the way in."""
    weights = [1 / (rank + 3) for rank in range(len(favourites))]  # a few songs played often
    plays: list[tuple[str, int]] = []
    while len(plays) < taste.plays:
        day = rng.randrange(taste.days)
        clock = now_ms - (day + 1) * DAY_MS + rng.randrange(6, 21) * 3600 * 1000 + rng.randrange(3600) * 1000
        for _ in range(rng.randrange(4, 13)):
            song = rng.choices(favourites, weights)[0]
            plays.append((song.id, clock))
            listened = song.duration_ms * rng.uniform(0.15, 0.4) if rng.random() < 0.12 else song.duration_ms
            clock += int(listened) + rng.randrange(0, 3000)
            if len(plays) == taste.plays:
                break
    plays = [(track_id, played_at) for track_id, played_at in plays if played_at < now_ms - 60_000]
    return sorted(set(plays), key=lambda play: play[1], reverse=True)


def _listener(account: Account, songs: list[Song], taste: Taste, now_ms: int) -> Account:
    rng = random.Random(account.id)
    favourites = _favourites(songs, taste, rng)
    account.recently_played = _history(favourites, taste, now_ms, rng)
    for time_range in TIME_RANGES:
        ranked = random.Random(f"{account.id}:{time_range}").sample(favourites, taste.top)
        account.top_tracks[time_range] = [song.id for song in ranked]
    saved = rng.sample(favourites + rng.sample(songs, taste.saved), taste.saved * 2)
    unique = list(dict.fromkeys(song.id for song in saved))[: taste.saved]
    added = sorted((now_ms - rng.randrange(1, 730 * DAY_MS) for _ in unique), reverse=True)
    account.saved_tracks = list(zip(unique, added, strict=True))
    return account


def _playlist(owner: str, name: str, public: bool, songs: list[Song], now_ms: int, **extra) -> Playlist:
    rng = random.Random(f"{owner}:{name}")
    added_at = now_ms - rng.randrange(30, 400) * DAY_MS
    items = [(song.uri, added_at + index * 60_000, owner) for index, song in enumerate(songs)]
    return Playlist(
        id=spotify_id("playlist", owner, name), owner_id=owner, name=name, public=public, items=items, **extra
    )


def build_library(songs: list[Song], now_ms: int) -> tuple[dict[str, Account], dict[str, Playlist]]:
    """The accounts (demo, newbie and a curator who owns a public playlist) and all playlists."""
    demo = _listener(Account(DEMO, "Demo Runner", "demo-runner@example.com"), songs, DEMO_TASTE, now_ms)
    newbie = _listener(
        Account(NEWBIE, "New Runner", "new-runner@example.com", product="free"), songs, NEWBIE_TASTE, now_ms
    )
    curator = Account(CURATOR, "Sandbox Curator", "curator@example.com", can_sign_in=False)
    rng = random.Random("playlists")
    by_genre = {genre: [song for song in songs if song.genre == genre] for genre in {song.genre for song in songs}}
    playlists = [
        _playlist(DEMO, "Morning Run", True, rng.sample(by_genre["pop"] + by_genre["edm"], 30), now_ms),
        _playlist(DEMO, "Easy Sunday", False, rng.sample(by_genre["acoustic"] + by_genre["chill"], 12), now_ms),
        _playlist(NEWBIE, "First Steps", False, rng.sample(by_genre["indie"], 8), now_ms),
        _playlist(
            NEWBIE,
            "Club Long Run",
            False,
            rng.sample(by_genre["rock"], 10),
            now_ms,
            collaborative=True,
            collaborators={DEMO},
            description="Long Sunday runs, everyone adds a song.",
        ),
        _playlist(
            CURATOR,
            "Running Hits",
            True,
            rng.sample(by_genre["edm"], 20),
            now_ms,
            description="The sandbox's public running playlist.",
        ),
    ]
    by_id = {playlist.id: playlist for playlist in playlists}
    names = {playlist.name: playlist.id for playlist in playlists}
    demo.followed = [names["Morning Run"], names["Easy Sunday"], names["Club Long Run"], names["Running Hits"]]
    newbie.followed = [names["First Steps"], names["Club Long Run"]]
    curator.followed = [names["Running Hits"]]
    return {account.id: account for account in (demo, newbie, curator)}, by_id
