"""factory_boy factories shared by the whole suite."""

import factory
from django.contrib.auth import get_user_model

from mixes.models import Phase, SessionMix, WorkoutPlan
from music.models import Artist, AudioFeatures, Source, Track, TrackArtist
from music.normalize import song_key


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"athlete{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Artist {n}")


class AudioFeaturesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudioFeatures

    tempo = 150.0
    energy = 0.7
    valence = 0.6
    danceability = 0.6
    sources = factory.LazyFunction(lambda: {name: Source.CATALOG for name in AudioFeatures.FIELDS})


class TrackFactory(factory.django.DjangoModelFactory):
    """A track by one artist, with audio features: `TrackFactory(features__tempo=82)`."""

    class Meta:
        model = Track
        skip_postgeneration_save = True

    class Params:
        artist = factory.SubFactory(ArtistFactory)

    spotify_id = factory.Sequence(lambda n: f"sp{n:020d}")
    title = factory.Sequence(lambda n: f"Song {n}")
    artist_names = factory.LazyAttribute(lambda t: t.artist.name)
    album = "Album"
    duration_ms = 200_000
    genre = "pop"
    song_key = factory.LazyAttribute(lambda t: song_key(t.title, t.artist.name))
    credit = factory.RelatedFactory(
        "tests.factories.TrackArtistFactory", factory_related_name="track", artist=factory.SelfAttribute("..artist")
    )
    features = factory.RelatedFactory(AudioFeaturesFactory, factory_related_name="track")


class TrackArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackArtist

    position = 0


class WorkoutPlanFactory(factory.django.DjangoModelFactory):
    """A three-phase plan: warm-up ramp, a steady block, a cool-down ramp."""

    class Meta:
        model = WorkoutPlan
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Plan {n}")
    is_active = False

    @factory.post_generation
    def phases(obj, create, extracted, **kwargs):
        if not create:
            return
        specs = extracted or [
            ("Warm-up", "warm_up", 300, (110, 150), (0.45, 0.65)),
            ("Steady", "steady", 900, (160, 160), (0.7, 0.7)),
            ("Cool-down", "cool_down", 300, (140, 100), (0.6, 0.4)),
        ]
        for position, (name, kind, duration, tempo, energy) in enumerate(specs):
            Phase.objects.create(
                plan=obj,
                position=position,
                name=name,
                kind=kind,
                duration_s=duration,
                tempo_start=tempo[0],
                tempo_end=tempo[1],
                energy_start=energy[0],
                energy_end=energy[1],
            )


class SessionMixFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionMix

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Mix {n}")
    plan_snapshot = factory.LazyFunction(
        lambda: {
            "name": "Plan",
            "phases": [{"name": "Steady", "kind": "steady", "duration_s": 900, "tempo_bpm": 160, "energy": 0.7}],
        }
    )
