"""The audio-features provider chain against the sandbox: order, sources, batching, asked once, ever."""

import math

import pytest

from accounts.spotify import SpotifyClient
from music.features import SPOTIFY_AUDIO_FEATURES, fill_features, tracks_without_tempo
from music.models import AudioFeatures, ProviderState, Source, Track
from music.tasks import fill_features_task
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db

RECCOBEATS = "/reccobeats/v1/audio-features"
DEEZER = "/deezer/track/*"
SPOTIFY = "/v1/audio-features"


def tracks_for(songs: list[dict], **values) -> list[Track]:
    """Catalog tracks for sandbox songs, with no audio features (or just these values)."""
    tracks = []
    for song in songs:
        track = TrackFactory(spotify_id=song["id"], isrc=song["isrc"], title=song["name"], features=None)
        if values:
            AudioFeatures.objects.create(track=track, **values)
        tracks.append(track)
    return tracks


def features_of(track: Track) -> AudioFeatures:
    return AudioFeatures.objects.get(track=track)


def test_reccobeats_fills_every_value_with_its_source(spotify_sandbox):
    """A track ReccoBeats knows gets tempo, energy, valence and danceability, each marked "reccobeats"."""
    song = next(s for s in spotify_sandbox.catalog if s["reccobeats_tempo"])
    (track,) = tracks_for([song])

    fill_features([track.pk])

    features = features_of(track)
    assert (features.tempo, features.energy, features.valence, features.danceability) == (
        song["reccobeats_tempo"],
        song["energy"],
        song["valence"],
        song["danceability"],
    )
    assert set(AudioFeatures.FIELDS) <= set(features.sources)


def test_reccobeats_extras_come_with_the_answer(spotify_sandbox):
    """The acousticness, loudness, key, mode ... of ReccoBeats' answer are stored with their source; it has no meter."""
    song = next(s for s in spotify_sandbox.catalog if s["reccobeats_tempo"])
    (track,) = tracks_for([song])

    fill_features([track.pk])

    features = features_of(track)
    extras = [name for name in AudioFeatures.EXTRA_FIELDS if name != "time_signature"]
    assert all(getattr(features, name) is not None for name in extras)
    assert features.time_signature is None
    assert features.sources == dict.fromkeys([*AudioFeatures.FIELDS, *extras], Source.RECCOBEATS)
    assert 0 <= features.key <= 11 and -12 <= features.loudness <= -3


def test_a_track_lacking_only_extras_is_not_asked(spotify_sandbox):
    """Tempo, energy, valence and danceability known: no provider is asked for the extras alone."""
    song = next(s for s in spotify_sandbox.catalog if s["reccobeats_tempo"])
    core = dict.fromkeys(AudioFeatures.FIELDS, 0.5) | {"tempo": 120.0}
    (track,) = tracks_for([song], **core, sources=dict.fromkeys(AudioFeatures.FIELDS, Source.CATALOG))

    report = fill_features([track.pk])

    assert (report.tracks, sum(report.calls.values())) == (0, 0)
    assert features_of(track).loudness is None


def test_extras_fill_only_empty_fields(spotify_sandbox):
    """A track asked for its missing energy keeps the catalog's key; ReccoBeats fills the other extras."""
    song = next(s for s in spotify_sandbox.catalog if s["reccobeats_tempo"])
    (track,) = tracks_for([song], tempo=99.0, key=11, sources={"tempo": Source.CATALOG, "key": Source.CATALOG})

    fill_features([track.pk])

    features = features_of(track)
    assert (features.key, features.sources["key"]) == (11, Source.CATALOG)
    assert (features.sources["energy"], features.sources["loudness"]) == (Source.RECCOBEATS, Source.RECCOBEATS)


def test_spotify_answers_give_the_time_signature(spotify_sandbox, connected_user, monkeypatch):
    """Where Spotify's audio-features are open, its time signature (0: none found) is kept with the rest."""
    songs = spotify_sandbox.catalog[:2]
    tracks = tracks_for(songs)
    answer = {"tempo": 128.0, "energy": 0.8, "valence": 0.4, "danceability": 0.7, "loudness": -6.0, "mode": 0}
    answers = [
        {**answer, "id": songs[0]["id"], "time_signature": 3},
        {**answer, "id": songs[1]["id"], "time_signature": 0},
    ]
    monkeypatch.setattr(SpotifyClient, "audio_features", lambda client, ids: answers)

    fill_features([t.pk for t in tracks], user=connected_user, sources=[Source.SPOTIFY])

    first, second = (features_of(track) for track in tracks)
    assert (first.time_signature, first.loudness, first.mode) == (3, -6.0, 0)
    assert first.sources["time_signature"] == Source.SPOTIFY
    assert second.time_signature is None and "time_signature" not in second.sources


def test_deezer_fills_the_tempo_reccobeats_does_not_know(spotify_sandbox):
    """Unknown to ReccoBeats, known to Deezer by ISRC: the tempo comes from Deezer, the rest stays empty."""
    song = next(s for s in spotify_sandbox.catalog if not s["reccobeats_tempo"] and s["deezer_bpm"])
    (track,) = tracks_for([song])

    fill_features([track.pk])

    features = features_of(track)
    assert (features.tempo, features.energy) == (song["deezer_bpm"], None)
    assert features.sources == {"tempo": Source.DEEZER}
    assert features.asked == [Source.RECCOBEATS, Source.DEEZER]


def test_providers_are_asked_in_chain_order(spotify_sandbox, connected_user):
    """Spotify first (while open), then ReccoBeats, then Deezer for the tempos still missing."""
    tracks = tracks_for(spotify_sandbox.catalog[:60])

    fill_features([t.pk for t in tracks], user=connected_user)

    order = [r.path.split("/")[1] if not r.path.startswith("/v1") else "spotify" for r in spotify_sandbox.requests]
    assert list(dict.fromkeys(order)) == ["spotify", "reccobeats", "deezer"]
    assert order.count("spotify") == 1


def test_deezer_bpm_zero_means_unknown(spotify_sandbox):
    """Deezer's bpm 0 leaves the tempo empty (and the track is not asked again)."""
    song = next(s for s in spotify_sandbox.catalog if not s["reccobeats_tempo"] and s["deezer_bpm"] == 0)
    (track,) = tracks_for([song])

    fill_features([track.pk])
    report = fill_features([track.pk])

    assert features_of(track).tempo is None
    assert sum(report.calls.values()) == 0


def test_a_track_with_only_an_isrc_is_asked_of_deezer_only(spotify_sandbox):
    """No Spotify id: ReccoBeats cannot be asked; Deezer can."""
    song = next(s for s in spotify_sandbox.catalog if s["deezer_bpm"])
    track = TrackFactory(spotify_id=None, isrc=song["isrc"], features=None)

    report = fill_features([track.pk])

    assert (report.calls[Source.RECCOBEATS], report.calls[Source.DEEZER]) == (0, 1)
    assert features_of(track).tempo == song["deezer_bpm"]


def test_reccobeats_is_asked_forty_tracks_a_call(spotify_sandbox):
    """100 tracks cost ceil(100/40) ReccoBeats calls, none with more than 40 ids."""
    tracks = tracks_for(spotify_sandbox.catalog[:100])

    report = fill_features([t.pk for t in tracks])

    calls = [r for r in spotify_sandbox.requests if r.path == RECCOBEATS]
    assert len(calls) == report.calls[Source.RECCOBEATS] == math.ceil(100 / 40)
    assert [len(r.query["ids"].split(",")) for r in calls] == [40, 40, 20]


def test_a_second_run_makes_no_calls(spotify_sandbox, connected_user):
    """Every provider was asked once: running again, even with a user, asks nobody anything."""
    tracks = tracks_for(spotify_sandbox.catalog[:100])
    fill_features([t.pk for t in tracks], user=connected_user)
    asked_before = len(spotify_sandbox.requests)

    report = fill_features([t.pk for t in tracks], user=connected_user)

    assert len(spotify_sandbox.requests) == asked_before
    assert (report.tracks, sum(report.calls.values())) == (0, 0)


def test_spotify_audio_features_403_is_remembered(spotify_sandbox, connected_user):
    """Spotify answers 403: probed once, remembered as closed, never asked again, and the chain goes on."""
    first, second = tracks_for(spotify_sandbox.catalog[:2])

    report = fill_features([first.pk], user=connected_user)
    fill_features([second.pk], user=connected_user)

    assert spotify_sandbox.count("GET", SPOTIFY) == 1
    assert ProviderState.is_closed(SPOTIFY_AUDIO_FEATURES)
    assert "closed to this app" in report.stopped[0]
    assert features_of(second).sources  # ReccoBeats or Deezer answered instead


def test_imported_catalog_values_are_kept_and_only_gaps_filled(spotify_sandbox):
    """A catalog tempo stays (with its source); the missing energy comes from ReccoBeats."""
    song = next(s for s in spotify_sandbox.catalog if s["reccobeats_tempo"])
    (track,) = tracks_for([song], tempo=99.0, sources={"tempo": Source.CATALOG})

    fill_features([track.pk])

    features = features_of(track)
    assert (features.tempo, features.sources["tempo"]) == (99.0, Source.CATALOG)
    assert (features.energy, features.sources["energy"]) == (song["energy"], Source.RECCOBEATS)


def test_a_users_bpm_correction_is_never_overwritten(spotify_sandbox):
    """A tempo the person fixed (×2) survives the chain: only the empty values are filled."""
    song = next(s for s in spotify_sandbox.catalog if s["reccobeats_tempo"])
    (track,) = tracks_for([song], tempo=80.0, sources={"tempo": Source.DEMO})
    features_of(track).correct_tempo(2)

    fill_features([track.pk])

    features = features_of(track)
    assert (features.tempo, features.sources["tempo"]) == (160.0, Source.USER)
    assert features.energy == song["energy"]


def test_a_rate_limited_provider_is_left_alone_for_the_run_and_asked_next_time(spotify_sandbox):
    """A 429 from ReccoBeats stops it at once (reported); the tracks it did not answer are asked later."""
    tracks = tracks_for(spotify_sandbox.catalog[:80])
    spotify_sandbox.fault(RECCOBEATS, status=429, retry_after=30)

    report = fill_features([t.pk for t in tracks])

    assert spotify_sandbox.count("GET", RECCOBEATS) == 1
    assert spotify_sandbox.count("GET", DEEZER) == 0  # not ahead of ReccoBeats, which comes first
    assert report.stopped == ["ReccoBeats is rate-limiting us (retry in 30 s); the rest waits for the next run."]
    fill_features([t.pk for t in tracks])
    assert spotify_sandbox.count("GET", RECCOBEATS) == 1 + 2


def test_a_failing_provider_is_not_hammered(spotify_sandbox):
    """Deezer answering 500: one call, then it is left for the next run."""
    songs = [s for s in spotify_sandbox.catalog if not s["reccobeats_tempo"]][:5]
    tracks = tracks_for(songs)
    spotify_sandbox.fault(DEEZER, status=500, times=None)

    report = fill_features([t.pk for t in tracks])

    assert spotify_sandbox.count("GET", DEEZER) == 1
    assert report.stopped == ["Deezer answered 500; the rest waits for the next run."]


def test_tracks_without_tempo_are_counted(spotify_sandbox):
    """Tracks with no features or no tempo count; the rest do not."""
    TrackFactory()
    TrackFactory(features=None)
    TrackFactory(features__tempo=None)

    assert tracks_without_tempo(Track.objects.all()) == 2


def test_the_task_fills_the_given_tracks(spotify_sandbox):
    """fill_features_task is a thin adapter: it fills these tracks and says what it did."""
    tracks = tracks_for(spotify_sandbox.catalog[:3])

    result = fill_features_task.delay([t.pk for t in tracks]).get()

    assert result["calls"][Source.RECCOBEATS] == 1
    assert tracks_without_tempo(Track.objects.filter(pk__in=[t.pk for t in tracks])) < 3


def test_max_calls_caps_a_run_and_the_rest_is_asked_next_time(spotify_sandbox):
    """100 tracks with a cap of 2 calls: 80 asked of ReccoBeats, nothing of Deezer; the next run asks the other 20."""
    tracks = tracks_for(spotify_sandbox.catalog[:100])

    capped = fill_features([t.pk for t in tracks], max_calls=2)
    calls_after_cap = spotify_sandbox.count("GET", RECCOBEATS)
    fill_features([t.pk for t in tracks], sources=[Source.RECCOBEATS])

    assert (calls_after_cap, spotify_sandbox.count("GET", DEEZER)) == (2, 0)
    assert capped.stopped == ["Asked the providers 2 times; the rest waits for the next run."]
    asked = [r.query["ids"].count(",") + 1 for r in spotify_sandbox.requests if r.path == RECCOBEATS]
    assert asked == [40, 40, 20]


def test_deezer_is_asked_no_more_tracks_than_the_calls_left(spotify_sandbox):
    """Deezer costs a call a track: with 3 calls left, 3 of 5 tracks are asked."""
    songs = [s for s in spotify_sandbox.catalog if s["deezer_bpm"]][:5]
    tracks = [TrackFactory(spotify_id=None, isrc=song["isrc"], features=None) for song in songs]

    report = fill_features([t.pk for t in tracks], max_calls=3)

    assert report.calls[Source.DEEZER] == spotify_sandbox.count("GET", DEEZER) == 3


def test_sources_limit_the_providers_asked(spotify_sandbox):
    """Only the named providers are asked; Deezer, left out, is not called."""
    song = next(s for s in spotify_sandbox.catalog if not s["reccobeats_tempo"] and s["deezer_bpm"])
    (track,) = tracks_for([song])

    fill_features([track.pk], sources=[Source.RECCOBEATS])

    assert (spotify_sandbox.count("GET", RECCOBEATS), spotify_sandbox.count("GET", DEEZER)) == (1, 0)
    assert features_of(track).tempo is None
