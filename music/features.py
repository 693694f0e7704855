"""Audio features from a chain of providers, each value stored with its source and fetched once, ever.

The chain, first to last; a later provider only fills values still missing, so nothing overwrites
a value from an earlier (higher-priority) source. A track is asked about while it lacks one of the
core values (`AudioFeatures.FIELDS`); the extras an answer carries (acousticness, loudness, key, ...)
fill the empty ones then, but a track lacking only extras is not asked again:

1. values already in the catalog (imported CSVs, the demo) — never asked for again;
2. Spotify's audio-features, while open to this app: a 403 means closed, which is remembered
   (`ProviderState`) and never asked again — new apps lost access in November 2024;
3. ReccoBeats, by Spotify id, at most 40 ids a call;
4. Deezer, by ISRC, tempo only (`bpm` 0 means unknown).

A person's BPM correction (source "user", `AudioFeatures.correct_tempo`) is never touched: it
replaces a value that exists, and this module only fills values that do not.

Each provider asked about a track is recorded in `AudioFeatures.asked`, answer or not, so a track
no provider knows is not asked again. A rate limit or a server error stops that provider for this
run and is reported; the tracks it did not get to are asked next time.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.spotify import (
    Forbidden,
    RateLimited,
    SpotifyClient,
    SpotifyError,
)
from music.bulk import chunks
from music.catalog_csv import feature_value
from music.models import AudioFeatures, ProviderState, Source, Track

log = logging.getLogger(__name__)

SPOTIFY_AUDIO_FEATURES = "spotify-audio-features"
SPOTIFY_BATCH = 100
RECCOBEATS_BATCH = 40  # the most ReccoBeats takes in one call
DEEZER_BATCH = 50  # tracks written per transaction; Deezer answers one ISRC a call
TIMEOUT_S = 10
FIELDS = AudioFeatures.FIELDS  # what a track is asked about until it has them
ALL_FIELDS = AudioFeatures.ALL_FIELDS  # what is kept from an answer


@dataclass
class Need:
    """A track that still lacks values, and whom it has already been asked of."""

    track_id: int
    spotify_id: str | None
    isrc: str
    missing: set[str]
    asked: set[str]

    def can_ask(self, source: str) -> bool:
        """The provider can be asked about this track at all: Deezer by ISRC, the others by Spotify id."""
        return bool(self.isrc) if source == Source.DEEZER else bool(self.spotify_id)

    def wants(self, source: str) -> bool:
        """This provider has not been asked yet and could fill something still missing."""
        if source in self.asked or not self.missing or not self.can_ask(source):
            return False
        return source != Source.DEEZER or "tempo" in self.missing


@dataclass
class FeatureReport:
    """What fill_features did: values filled per source, calls per provider, why a provider stopped."""

    tracks: int = 0
    filled: Counter = field(default_factory=Counter)
    calls: Counter = field(default_factory=Counter)
    stopped: list[str] = field(default_factory=list)


class ProviderStopped(Exception):
    """A provider is rate-limiting us or failing: stop asking it for this run."""


def tracks_without_tempo(queryset) -> int:
    """How many of these tracks have no tempo (they are left out of tempo-targeted phases)."""
    return queryset.filter(Q(features__isnull=True) | Q(features__tempo__isnull=True)).count()


def fill_features(
    track_ids: Iterable[int] | None = None,
    *,
    user=None,
    sources: Iterable[str] | None = None,
    max_calls: int | None = None,
) -> FeatureReport:
    """Fill missing tempo, energy, valence and danceability of these tracks (all tracks if None), and the extras.

    `user` lends their Spotify connection for Spotify's own audio-features, if still open to us.
    `sources` limits the providers asked (all by default); `max_calls` caps the run's calls to them,
    never exceeded (Deezer costs a call a track): the tracks not asked wait for the next run.
    """
    report = FeatureReport()
    session = requests.Session()
    providers = [
        (Source.SPOTIFY, SPOTIFY_BATCH, _spotify_asker(user, report)),
        (Source.RECCOBEATS, RECCOBEATS_BATCH, lambda batch: _ask_reccobeats(session, batch, report)),
        (Source.DEEZER, DEEZER_BATCH, lambda batch: _ask_deezer(session, batch, report)),
    ]
    allowed = None if sources is None else set(sources)
    providers = [
        (source, size, ask)
        for source, size, ask in providers
        if ask is not None and (allowed is None or source in allowed)
    ]
    needs = _needs(track_ids, [source for source, _, _ in providers])
    report.tracks = len(needs)
    earlier: list[str] = []  # providers before this one that are still open
    for source, size, ask in providers:
        # Never ahead of the chain: the tracks of a provider stopped for this run wait for it.
        wanting = [
            need
            for need in needs
            if need.wants(source) and all(e in need.asked or not need.can_ask(e) for e in earlier)
        ]
        closed = False
        for batch in chunks(wanting, size):
            if max_calls is not None:
                room = max_calls - report.calls.total()
                if source == Source.DEEZER:
                    batch = batch[: max(room, 0)]  # a call a track
                if room <= 0 or not batch:
                    report.stopped.append(f"Asked the providers {max_calls} times; the rest waits for the next run.")
                    return report
            try:
                offers = ask(batch)
            except ProviderStopped as stop:
                report.stopped.append(str(stop))
                log.warning("Audio features: %s", stop)
                break
            if offers is None:  # closed to this app for good: the chain goes on without it
                closed = True
                break
            report.filled[source] += _apply(source, batch, offers)
        if not closed:
            earlier.append(source)
    return report


def _needs(track_ids: Iterable[int] | None, sources: list[str]) -> list[Need]:
    """The tracks lacking some value that one of these sources has not been asked about yet."""
    lacking = Q(features__isnull=True)
    for name in FIELDS:
        lacking |= Q(**{f"features__{name}__isnull": True})
    tracks = Track.objects.filter(lacking).filter(Q(spotify_id__isnull=False) | ~Q(isrc=""))
    rows = tracks.values_list("pk", "spotify_id", "isrc", *(f"features__{n}" for n in FIELDS), "features__asked")
    if track_ids is None:
        found = list(rows.order_by("pk"))
    else:
        found = []
        for chunk in chunks(sorted(set(track_ids))):
            found += rows.filter(pk__in=chunk).order_by("pk")
    needs = []
    for pk, spotify_id, isrc, *values, asked in found:
        missing = {name for name, value in zip(FIELDS, values, strict=True) if value is None}
        needs.append(Need(pk, spotify_id, isrc, missing, set(asked or [])))
    return [need for need in needs if any(need.wants(source) for source in sources)]


def _apply(source: str, batch: list[Need], offers: dict[int, dict[str, float]]) -> int:
    """Write a provider's answers for a batch: only into empty fields; the batch is marked as asked."""
    filled = 0
    with transaction.atomic():
        ids = [need.track_id for need in batch]
        fresh = {row.pk: row for row in AudioFeatures.objects.select_for_update().filter(track_id__in=ids)}
        rows = []
        for need in batch:
            row = fresh.get(need.track_id) or AudioFeatures(track_id=need.track_id, sources={}, asked=[])
            sources = dict(row.sources)
            for name, value in offers.get(need.track_id, {}).items():
                if value is not None and getattr(row, name) is None:
                    setattr(row, name, value)
                    sources[name] = source
                    filled += 1
            row.sources = sources
            row.asked = [*row.asked, source] if source not in row.asked else row.asked
            need.missing = {name for name in FIELDS if getattr(row, name) is None}
            need.asked = set(row.asked)
            rows.append(row)
        AudioFeatures.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["track"], update_fields=[*ALL_FIELDS, "sources", "asked"]
        )
    return filled


def _value(name: str, raw) -> float | None:
    """A provider's value if the catalog would take it (`feature_value`), else None: tempo 0 is no beat found."""
    try:
        return feature_value(name, float(raw))
    except (TypeError, ValueError):  # RowError is a ValueError
        return None


def _offer(answer: dict) -> dict[str, float | None]:
    """Every feature a provider's answer has: the core asked for, and the extras that come with it."""
    return {name: _value(name, answer.get(name)) for name in ALL_FIELDS}


# Spotify --------------------------------------------------------------------------------------------------


def _spotify_asker(user, report: FeatureReport):
    """Spotify's audio-features through the user's connection, unless known to be closed or no one is connected."""
    if user is None or ProviderState.is_closed(SPOTIFY_AUDIO_FEATURES):
        return None
    try:
        client = SpotifyClient(user)
    except SpotifyError:
        return None

    def ask(batch: list[Need]) -> dict[int, dict[str, float]] | None:
        report.calls[Source.SPOTIFY] += 1
        try:
            answers = client.audio_features([need.spotify_id for need in batch])
        except Forbidden as error:
            ProviderState.close(SPOTIFY_AUDIO_FEATURES, str(error))
            report.stopped.append("Spotify's audio features are closed to this app; not asking again.")
            return None
        except RateLimited as error:
            raise ProviderStopped(f"Spotify is rate-limiting us (retry in {error.retry_after} s).") from error
        except SpotifyError as error:
            raise ProviderStopped(f"Spotify's audio features: {error}") from error
        by_id = {answer["id"]: answer for answer in answers if answer and answer.get("id")}
        return {need.track_id: _offer(by_id[need.spotify_id]) for need in batch if need.spotify_id in by_id}

    return ask


# ReccoBeats ---------------------------------------------------------------------------------------------


def _ask_reccobeats(session: requests.Session, batch: list[Need], report: FeatureReport) -> dict[int, dict]:
    """One call for up to 40 tracks; answers are matched back by the Spotify id in their `href`."""
    report.calls[Source.RECCOBEATS] += 1
    url = f"{settings.RECCOBEATS_API_URL}/audio-features"
    response = _get(session, "ReccoBeats", url, params={"ids": ",".join(need.spotify_id for need in batch)})
    if response.status_code >= 400:  # it refuses these ids: they count as asked
        return {}
    by_id: dict[str, dict] = {}
    for answer in _json(response).get("content") or []:
        if isinstance(answer, dict):
            by_id[_spotify_id_of(answer)] = answer
    return {need.track_id: _offer(by_id[need.spotify_id]) for need in batch if need.spotify_id in by_id}


def _spotify_id_of(answer: dict) -> str:
    """ReccoBeats answers with its own id; the Spotify id is the last part of `href` (open.spotify.com/track/…)."""
    href = answer.get("href") or ""
    if "/track/" in href:
        return href.rstrip("/").rsplit("/", 1)[-1]
    return answer.get("id") or ""


# Deezer ----------------------------------------------------------------------------------------------------


def _ask_deezer(session: requests.Session, batch: list[Need], report: FeatureReport) -> dict[int, dict]:
    """Tempo by ISRC, one call a track; Deezer's `bpm` 0 means it does not know."""
    offers = {}
    for need in batch:
        report.calls[Source.DEEZER] += 1
        response = _get(session, "Deezer", f"{settings.DEEZER_API_URL}/track/isrc:{need.isrc}")
        data = _json(response) if response.status_code < 400 else {}
        error = data.get("error")
        if isinstance(error, dict) and error.get("code") == 4:  # Deezer's "quota exceeded" comes as a 200
            raise ProviderStopped("Deezer is rate-limiting us; the rest waits for the next run.")
        if not error:
            offers[need.track_id] = {"tempo": _value("tempo", data.get("bpm"))}
    return offers


# HTTP -----------------------------------------------------------------------------------------------------------


def _get(session: requests.Session, provider: str, url: str, **kwargs) -> requests.Response:
    """A GET that stops the provider on a rate limit, a server error or no answer."""
    try:
        response = session.get(url, timeout=TIMEOUT_S, **kwargs)
    except requests.RequestException as error:
        raise ProviderStopped(f"{provider} is not answering; the rest waits for the next run.") from error
    if response.status_code == 429:
        wait = response.headers.get("Retry-After", "a while")
        raise ProviderStopped(f"{provider} is rate-limiting us (retry in {wait} s); the rest waits for the next run.")
    if response.status_code >= 500:
        raise ProviderStopped(f"{provider} answered {response.status_code}; the rest waits for the next run.")
    return response


def _json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
