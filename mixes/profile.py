"""What the taste profile shows (My music › Your taste): what a person plays, and what Session Mix learned from it.

    profile_of(user) -> Profile               # genre mix, tempo and energy histograms, top artists, what was learned
    learned_of(user) -> LearnedView           # only "what I've learned" (the part Forget and Start over redraw)
    forget_dislike(user, feature) -> str      # forget a learned dislike, and name it; None when the model holds none

What they play is read from `TrackAffinity.play_count`, the full plays per track that every sync and upload keeps (a
skip is never a play): one row per track they know rather than one per play, grouped in SQL, so the profile costs
the same few queries for ten plays or a million. It also carries their own BPM fix (`tempo_override`). Start over
leaves all of this alone: it is their history. What was learned is the stored taste model (mixes.taste).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, Floor, Lower

from mixes.engine.taste import Learned
from mixes.models import TasteProfile
from mixes.taste import forget, taste_for
from music.models import TrackAffinity

TOP_GENRES = 8
TOP_ARTISTS = 8
# At most this many beliefs of each side are listed; weaker ones wait their turn.
SHOWN_LIKES = 10
SHOWN_DISLIKES = 15
# Feature names the model uses are "artist:" or "genre:" and a folded name (artist names are at most 300 long).
FEATURE_MAX_LENGTH = 320

# The histograms, in SVG user units: drawn 320 wide, a 360 px phone shows them at about 0.92, so 14-unit text
# (app.css) reads at about 13 px; on a wide screen the CSS caps the width.
CHART_WIDTH = 320
CHART_HEIGHT = 150
CHART_PAD = 14  # left and right: room for half an edge label
CHART_TOP = 20  # room for the peak's label
CHART_BASELINE = 122


@dataclass(frozen=True)
class Share:
    """One row of the genre mix: a name and its share of the full plays."""

    name: str
    plays: int
    share: float

    @property
    def percent(self) -> str:
        """For the label: "38%", or "<1%" for a sliver."""
        rounded = round(self.share * 100)
        return f"{rounded}%" if rounded or not self.plays else "<1%"

    @property
    def width(self) -> str:
        """For the bar's CSS width, locale-free."""
        return f"{max(self.share * 100, 0.5):.1f}%"


@dataclass(frozen=True)
class Bar:
    """One bin of a histogram, with where it is drawn."""

    label: str  # "160–170 BPM"
    plays: int
    share: float
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def percent(self) -> str:
        return f"{round(self.share * 100)}%"


@dataclass(frozen=True)
class Tick:
    """A label under the axis at `value` (drawn at `x`)."""

    value: float
    label: str
    anchor: str = "middle"  # an edge label is anchored inward, so it is never clipped
    x: float = 0.0


# Bins of 10 BPM; the end bins also hold what lies past them. Labels only inside, where none can be clipped.
TEMPO_EDGES = [60 + 10 * i for i in range(15)]
TEMPO_TICKS = [Tick(bpm, str(bpm)) for bpm in range(80, 181, 20)]
ENERGY_EDGES = [i / 10 for i in range(11)]
ENERGY_TICKS = [Tick(0.0, "0 · calm", "start"), Tick(0.5, "0.5"), Tick(1.0, "intense · 1", "end")]


@dataclass(frozen=True)
class Histogram:
    """Full plays by tempo or by energy, as an inline SVG."""

    key: str  # "tempo": ids in the page
    title: str
    bars: list[Bar]
    ticks: list[Tick]
    plays: int  # full plays of tracks with a known value
    unknown: int  # full plays of tracks without one
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: int = CHART_BASELINE
    left: int = CHART_PAD
    right: int = CHART_WIDTH - CHART_PAD

    @property
    def peak(self) -> Bar | None:
        return max(self.bars, key=lambda bar: bar.plays) if self.plays else None

    @property
    def description(self) -> str:
        """Every bin's share in words, for screen readers: the figures the bars draw."""
        shown = [f"{bar.label}: {bar.percent}" for bar in self.bars if bar.plays]
        return f"Share of your full plays. {'; '.join(shown)}."


@dataclass(frozen=True)
class ArtistCount:
    name: str
    plays: int
    tracks: int


@dataclass
class LearnedView:
    """What the model believes, liked and avoided, and what the person already asked it to set aside."""

    liked: list[Learned]
    disliked: list[Learned]
    more: int  # beliefs not listed (weaker than the ones shown)
    never_play: frozenset[str]  # features of never-play artists: a choice made on Generate, not forgettable here
    forgotten: list[str]  # names, in the order they were forgotten
    started_over: datetime | None
    pending: bool  # a rebuild is under way: what is shown is about to change

    @property
    def is_empty(self) -> bool:
        return not self.liked and not self.disliked


@dataclass
class Profile:
    plays: int
    tracks: int
    genres: list[Share]
    tempo: Histogram
    energy: Histogram
    artists: list[ArtistCount]
    learned: LearnedView

    @property
    def has_history(self) -> bool:
        return self.plays > 0


def profile_of(user) -> Profile:
    """Everything the taste profile shows, for this person only: a fixed number of queries whatever the history."""
    played = _played(user)
    genre_rows = list(
        played.values(name=Lower("track__genre"))
        .annotate(plays=Sum("play_count"), tracks=Count("pk"))
        .order_by("-plays", "name")
    )
    plays = sum(row["plays"] for row in genre_rows)
    return Profile(
        plays=plays,
        tracks=sum(row["tracks"] for row in genre_rows),
        genres=_genre_mix(genre_rows, plays),
        tempo=_histogram(
            played,
            "tempo",
            "Tempo",
            Coalesce("tempo_override", "track__features__tempo"),
            TEMPO_EDGES,
            _tempo_label,
            TEMPO_TICKS,
        ),
        energy=_histogram(
            played, "energy", "Energy", F("track__features__energy"), ENERGY_EDGES, _energy_label, ENERGY_TICKS
        ),
        artists=_top_artists(played),
        learned=learned_of(user),
    )


def learned_of(user) -> LearnedView:
    """What the model learned, strongest first; never-play artists marked (they are changed where they were set)."""
    taste = taste_for(user)
    profile = TasteProfile.objects.filter(user=user).only("reset_at", "forgotten", "built_at", "requested_at").first()
    learned = taste.learned()
    liked = [item for item in learned if item.liked]
    disliked = [item for item in learned if not item.liked]
    return LearnedView(
        liked=liked[:SHOWN_LIKES],
        disliked=disliked[:SHOWN_DISLIKES],
        more=max(len(liked) - SHOWN_LIKES, 0) + max(len(disliked) - SHOWN_DISLIKES, 0),
        never_play=frozenset(feature for feature, attribute in taste.attributes.items() if attribute.avoided),
        forgotten=[item["name"] for item in profile.forgotten] if profile else [],
        started_over=profile.reset_at if profile else None,
        pending=bool(profile and profile.pending),
    )


def forget_dislike(user, feature: str) -> str | None:
    """Forget what the model learned against an artist or genre, rebuild it without that, and name what was forgotten.

    Only a dislike the model holds (a never-play artist is a choice, undone on Generate, not a belief); asking
    again for one already forgotten succeeds, so a double click is harmless. None when there is no such dislike.
    """
    profile = TasteProfile.objects.filter(user=user).only("forgotten").first()
    done = next((item["name"] for item in profile.forgotten if item["feature"] == feature), None) if profile else None
    if done is not None:
        return done
    taste = taste_for(user)
    attribute = taste.attributes.get(feature)
    if attribute is None or attribute.avoided:
        return None
    if not any(item.feature == feature and not item.liked for item in taste.learned()):
        return None
    return attribute.name if forget(user, feature) else None


# Machinery ------------------------------------------------------------------------------------------------------


def _tempo_label(low: float, high: float, first: bool, last: bool) -> str:
    """The end bins also hold what lies past them."""
    if first:
        return f"under {high:g} BPM"
    if last:
        return f"{low:g} BPM and over"
    return f"{low:g}–{high:g} BPM"


def _energy_label(low: float, high: float, first: bool, last: bool) -> str:
    return f"energy {low:.1f}–{high:.1f}"


def _top_artists(played) -> list[ArtistCount]:
    """Each credited artist gets the full plays of their tracks."""
    rows = (
        played.filter(track__artists__isnull=False)
        .values("track__artists__pk", "track__artists__name")
        .annotate(plays=Sum("play_count"), tracks=Count("pk", distinct=True))
        .order_by("-plays", "track__artists__name")[:TOP_ARTISTS]
    )
    return [ArtistCount(row["track__artists__name"], row["plays"], row["tracks"]) for row in rows]


def _played(user):
    """The person's tracks played to the end at least once."""
    return TrackAffinity.objects.for_user(user).filter(play_count__gt=0)


def _genre_mix(rows: list[dict], plays: int) -> list[Share]:
    """The top genres by full plays, then the rest as "other genres", then those without a genre."""
    named = [row for row in rows if row["name"]]
    unknown = sum(row["plays"] for row in rows if not row["name"])
    other = sum(row["plays"] for row in named[TOP_GENRES:])
    mix = [Share(row["name"], row["plays"], row["plays"] / plays) for row in named[:TOP_GENRES]]
    if other:
        mix.append(Share("other genres", other, other / plays))
    if unknown:
        mix.append(Share("genre not known", unknown, unknown / plays))
    return mix


def _histogram(played, key: str, title: str, value, edges: list[float], label, ticks: list[Tick]) -> Histogram:
    """Full plays per bin of `value`, counted in SQL (one row per bin); values past the edges join the end bins."""
    low, step, bins = edges[0], edges[1] - edges[0], len(edges) - 1
    rows = (
        played.annotate(value=value)
        .values(bin=Floor((F("value") - low) / step))
        .annotate(plays=Sum("play_count"))
        .order_by("bin")
    )
    counts = [0] * bins
    unknown = 0
    for row in rows:
        if row["bin"] is None:
            unknown += row["plays"]
        else:
            counts[min(max(int(row["bin"]), 0), bins - 1)] += row["plays"]
    total = sum(counts)
    tallest = max(counts) or 1
    span = CHART_WIDTH - 2 * CHART_PAD
    slot = span / bins
    drawn = CHART_BASELINE - CHART_TOP

    def x_of(v: float) -> float:
        return round(CHART_PAD + span * (v - low) / (edges[-1] - low), 1)

    bars = []
    for i, plays in enumerate(counts):
        height = round(drawn * plays / tallest, 1)
        bars.append(
            Bar(
                label=label(edges[i], edges[i + 1], i == 0, i == bins - 1),
                plays=plays,
                share=plays / total if total else 0.0,
                x=round(CHART_PAD + i * slot + 1, 1),
                y=round(CHART_BASELINE - height, 1),
                width=round(slot - 2, 1),
                height=height,
            )
        )
    return Histogram(
        key=key,
        title=title,
        bars=bars,
        ticks=[replace(tick, x=x_of(tick.value)) for tick in ticks],
        plays=total,
        unknown=unknown,
    )
