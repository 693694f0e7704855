"""Spotify's track objects as catalog rows: matched by Spotify id, else by song (a demo track gets its
Spotify id and ISRC), else created — in a handful of queries however many tracks a page brings.

Shared by the history sync (music.history) and the account-data upload (music.streaming_history).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from music.bulk import chunks, resolve_artists, save_credits
from music.models import Artist, Track
from music.normalize import song_key

IMAGE_URL_MAX_LENGTH = Track._meta.get_field("image_url").max_length


@dataclass
class SpotifyTrack:
    """The parts of a Spotify track object the catalog keeps."""

    spotify_id: str
    title: str
    artists: list[tuple[str, str | None]]  # (name, Spotify id), in credit order
    duration_ms: int
    album: str = ""
    release_year: int | None = None
    explicit: bool = False
    isrc: str = ""
    image_url: str = ""

    @property
    def song_key(self) -> str:
        return song_key(self.title, self.artists[0][0])

    @classmethod
    def parse(cls, item: dict | None) -> SpotifyTrack | None:
        """A track object, or None for what is not a catalog track (episodes, local files, broken items)."""
        if not item or item.get("type", "track") != "track" or item.get("is_local") or not item.get("id"):
            return None
        artists = [(a["name"].strip()[:300], a.get("id")) for a in item.get("artists") or [] if a.get("name")]
        if not item.get("name") or not artists or not item.get("duration_ms"):
            return None
        album = item.get("album") or {}
        year = (album.get("release_date") or "")[:4]
        return cls(
            spotify_id=item["id"][:32],
            title=item["name"][:500],
            artists=artists,
            duration_ms=int(item["duration_ms"]),
            album=(album.get("name") or "")[:500],
            release_year=int(year) if year.isdigit() and 1000 < int(year) <= 2100 else None,
            explicit=bool(item.get("explicit")),
            isrc=((item.get("external_ids") or {}).get("isrc") or "")[:12],
            image_url=smallest_image_url(album.get("images")),
        )


def smallest_image_url(images: list[dict] | None) -> str:
    """The URL of the narrowest of Spotify's images ("" if none); an ImageObject's width may be null: those last."""
    usable = [image for image in images or [] if image and image.get("url")]
    if not usable:
        return ""
    smallest = min(usable, key=lambda image: (image.get("width") is None, image.get("width") or 0))
    url = smallest["url"].strip()
    return url if len(url) <= IMAGE_URL_MAX_LENGTH and url.startswith(("https://", "http://")) else ""


@dataclass
class CatalogWrite:
    ids: dict[str, int]  # Spotify id → track pk
    created: int


def save_spotify_tracks(items: Iterable[dict | None], *, owner=None) -> CatalogWrite:
    """Make these Spotify track objects catalog rows, in a handful of queries, and map their ids to tracks.

    `owner`: the objects are a user's word (their upload), not Spotify's: new tracks are that user's own
    (`Track.added_by`), seen by no one else. Without one they are Spotify's answers (a sync): a track some
    upload added under this id takes Spotify's title and credits and joins the catalog.

    A track already known by its Spotify id gets what it lacks (ISRC, album) and Spotify's duration,
    explicit flag and cover image. A catalog track without a Spotify id for the same song takes this
    id, ISRC and cover image and keeps its title and credits. Anything else becomes a new track with its
    credited artists.
    """
    parsed: dict[str, SpotifyTrack] = {}
    for item in items:
        track = SpotifyTrack.parse(item)
        if track is not None:
            parsed.setdefault(track.spotify_id, track)
    if not parsed:
        return CatalogWrite({}, 0)
    with transaction.atomic():
        existing: dict[str, Track] = {}
        for chunk in chunks(list(parsed)):
            existing.update((t.spotify_id, t) for t in Track.objects.filter(spotify_id__in=chunk))
        changed = [track for sid, track in existing.items() if _refresh(track, parsed[sid])]
        missing = [row for sid, row in parsed.items() if sid not in existing]
        unclaimed: dict[str, Track] = {}
        adopted = [track for sid, track in existing.items() if owner is None and track.added_by_id is not None]
        for track in adopted:
            _adopt(track, parsed[track.spotify_id])
        songs = Track.objects.visible_to(owner).filter(spotify_id__isnull=True)
        for chunk in chunks(list({row.song_key for row in missing})):
            unclaimed.update((t.song_key, t) for t in songs.filter(song_key__in=chunk))
        new: list[Track] = []
        for row in missing:
            track = unclaimed.pop(row.song_key, None)
            if track is not None:
                track.spotify_id, track.isrc = row.spotify_id, row.isrc or track.isrc
                track.image_url = row.image_url or track.image_url
                track.spotify_search_failed_at = None
                changed.append(track)
            else:
                new.append(_new_track(row, owner))
        Track.objects.bulk_update(
            list({id(track): track for track in [*changed, *adopted]}.values()),
            ["spotify_id", "isrc", "album", "duration_ms", "explicit", "image_url", "spotify_search_failed_at"]
            + (["title", "artist_names", "song_key", "added_by"] if adopted else []),
        )
        # Another sync may have created the same track meanwhile: the id is unique, the first one stays.
        Track.objects.bulk_create(new, ignore_conflicts=True)
        ids: dict[str, int] = {}
        for chunk in chunks(list(parsed)):
            ids.update(Track.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"))
        created = [parsed[track.spotify_id] for track in [*new, *adopted]]
        artist_ids = _artist_ids(name_id for row in created for name_id in row.artists)
        save_credits({ids[row.spotify_id]: list(dict.fromkeys(artist_ids[a] for a in row.artists)) for row in created})
    return CatalogWrite(ids, len(new))


def _refresh(track: Track, row: SpotifyTrack) -> bool:
    """Spotify's own facts about the track with its id; say whether anything changed."""
    before = (track.isrc, track.album, track.duration_ms, track.explicit, track.image_url)
    track.isrc = track.isrc or row.isrc
    track.album = track.album or row.album
    track.duration_ms, track.explicit = row.duration_ms, row.explicit
    track.image_url = row.image_url or track.image_url  # Spotify's cover URLs change; an answer without one keeps ours
    return before != (track.isrc, track.album, track.duration_ms, track.explicit, track.image_url)


def _adopt(track: Track, row: SpotifyTrack) -> None:
    """A track an upload added, now seen by Spotify: Spotify's title and credits, and the catalog's."""
    track.title, track.artist_names = row.title, ", ".join(name for name, _ in row.artists)[:1000]
    track.song_key, track.added_by = row.song_key, None


def _new_track(row: SpotifyTrack, owner=None) -> Track:
    return Track(
        added_by=owner,
        spotify_id=row.spotify_id,
        isrc=row.isrc,
        title=row.title,
        artist_names=", ".join(name for name, _ in row.artists)[:1000],
        album=row.album,
        release_year=row.release_year,
        duration_ms=row.duration_ms,
        explicit=row.explicit,
        image_url=row.image_url,
        song_key=row.song_key,
    )


def _artist_ids(credits: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str | None], int]:
    """Artist pks for (name, Spotify id) pairs: by Spotify id, else by name (created if new).

    An artist found by name takes the Spotify id if it has none and no other artist holds it.
    """
    credits = set(credits)
    by_spotify: dict[str, int] = {}
    for chunk in chunks([sid for _, sid in credits if sid]):
        by_spotify.update(Artist.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "pk"))
    by_name = resolve_artists(name for name, sid in credits if sid not in by_spotify)
    claims: dict[int, str] = {}
    for name, sid in sorted(credits, key=lambda credit: credit[0]):
        if sid and sid not in by_spotify and sid not in claims.values():
            claims.setdefault(by_name[name], sid)
    artists = list(Artist.objects.filter(pk__in=claims, spotify_id__isnull=True))
    for artist in artists:
        artist.spotify_id = claims[artist.pk]
    Artist.objects.bulk_update(artists, ["spotify_id"])
    return {(name, sid): by_spotify.get(sid) or by_name[name] for name, sid in credits}
