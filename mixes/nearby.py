"""The catalog tracks that can matter to a plan, found by the database: what Generate reads instead of the catalog.

Each section's target paths are cut into short pieces (mixes.engine.candidates.pieces: a steady phase is one point,
a ramp a string of pieces). For each piece the database ranks the tracks whose tempo, in any of its three readings
(itself, double, half), and energy fall in a box around the piece, the way the engine's own prefilter estimates a
score: the tempo and energy fit to the piece, the mood fit for the phase kind, a seed genre, and the person's taste
as far as a track's own columns tell it (genre, decade, audio-feature bins, explicit; length and the artists are
left to the engine, and the tracks of the person and of the artists they like come into the pool anyway). It hands
back the best of a few times the piece's share of tracks (`choice`), taken from the narrowest of TIERS that hold
that many, so a big catalog is searched in a small box and a small one in a wide box: the work is that of the
tracks handed back, never of the catalog.

Everything is read from one index (AudioFeatures' features_search: energy step, tempo, and the columns ranked by;
music.search_copies keeps the track's own there), never from a table. One statement for a whole plan. PostgreSQL
takes the pieces as arrays joined LATERAL to the search, every value of the plan and the person a parameter (the
scorer's weights, the same for everyone, are written in), so the statement's text is the same for every plan (one of a
few shapes: with or without a taste, seed genres, explicit tracks) and is prepared once per connection and planned
once, generically (config/settings.py); SQLite, which has no LATERAL join, runs the
search once per piece with the piece's numbers written in.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

import psycopg
from django.db import connections, router

from mixes.engine.candidates import MIN_TRACK_S, WINDOWS, Piece
from mixes.engine.pool import TASTE_ARRAYS
from mixes.engine.scorer import MOOD_TARGETS, MOOD_WIDTH, NEUTRAL, Preferences, Weights
from mixes.engine.taste import Taste
from mixes.engine.taste_features import BINS, DECADES, GROUP_VALUE
from music.models import AudioFeatures, Track
from music.models.catalog import ENERGY_CELLS
from music.normalize import fold

# (BPM, energy) half-widths of the boxes tried around a piece, narrowest first: finer than the engine's own windows
# (WINDOWS), which a big catalog fills many times over, then those, then everything.
TIERS = ((0.25, 0.00625), (0.5, 0.0125), (1.0, 0.025), *WINDOWS, (250.0, 1.0))
READINGS = (1.0, 2.0, 0.5)
# A piece's tracks are the best by the estimate of `choice` times as many, the nearest tiers first: taste and mood
# choose among tracks that fit about equally, as the engine chooses its thousand in its narrowest window. That window
# holds more tracks the denser the catalog, so the choice grows with the catalog's size, one more for each
# TRACKS_PER_CHOICE tracks, from CHOICE to CHOICE_MAX: bounded, whatever the catalog. bench_scale measured the
# mixes against the whole catalog's: 3 keeps their taste at 200 k tracks but lost 8 % of it at 1 M; 10 kept the taste
# at 1 M but, ranking more strangers by taste, lost 15 % of the share of the person's own tracks; 6 keeps both.
CHOICE, CHOICE_MAX = 3, 6
TRACKS_PER_CHOICE = 100_000
PIECE_COLUMNS = (
    "low",
    "high",
    "energy_low",
    "energy_high",
    "x0",
    "y0",
    "vx",
    "vy",
    "ux",
    "uy",
    "valence",
    "dance",
    "below",
    "above",
)
# What the search hands back of each track, from the index alone: the columns the index carries, in the order
# mixes.pools.load_pool reads a track's (its own, its song and artists as the engine tells them apart, then the
# features, then those only the taste model reads). No text is read from the tracks: titles are not needed to choose.
COLUMNS = (
    "track_id",
    "track_song",
    "track_artists",
    "track_genre",
    "track_duration_ms",
    "track_explicit",
    "tempo",
    "energy",
    "valence",
    "danceability",
    "track_release_year",
    *(column for column in TASTE_ARRAYS if column != "release_year"),
)
# The taste part of a score is w·tanh(score / 2): about w·score / 2 where scores separate tracks.
TASTE_SCALE = 0.5


def search(
    pieces: list[Piece], weights: Weights, prefs: Preferences, taste: Taste | None = None, using: str | None = None
) -> dict[int, tuple]:
    """The tracks that can matter near these pieces: their COLUMNS by track id."""
    if not pieces:
        return {}
    connection = connections[using or router.db_for_read(AudioFeatures)]
    terms = _Terms(connection.vendor, weights, prefs, taste)
    choice = min(CHOICE_MAX, max(CHOICE, round(_catalog_size(connection) / TRACKS_PER_CHOICE)))
    values = [_piece_values(piece, weights) for piece in pieces]
    if connection.vendor == "postgresql":
        arrays = ", ".join(["%s::float8[]"] * len(PIECE_COLUMNS) + ["%s::int[]"])
        sql = (
            f"SELECT n.* FROM unnest({arrays}) AS p({', '.join(PIECE_COLUMNS)}, k) "
            f"CROSS JOIN LATERAL ({_search(weights, prefs, terms, _lateral, choice)}) AS n"
        )
        params = [[float(row[i]) for row in values] for i in range(len(PIECE_COLUMNS))]
        params.append([int(row[-1]) for row in values])
        rows = _prepared(connection, sql, [*params, *terms.params])
    else:
        parts, params = [], []
        for row in values:
            named = dict(zip((*PIECE_COLUMNS, "k"), row, strict=True))
            parts.append(f"SELECT * FROM ({_search(weights, prefs, terms, _written_in(named), choice)})")
            params += terms.params
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            rows = cursor.fetchall()
    return {row[0]: row for row in rows}


def _catalog_size(connection) -> int:
    """About how many tracks have features: PostgreSQL's own count (kept by ANALYZE and autovacuum), at no cost;
    SQLite's catalogs are small enough to count."""
    table = AudioFeatures._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        else:
            cursor.execute(f"SELECT count(*) FROM {table}")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _prepared(connection, sql: str, params: list) -> list[tuple]:
    """Run a statement on PostgreSQL as a prepared one (bound on the server, planned once per connection and reused,
    which Django's client-side binding cannot do; psycopg prepares only with settings' prepare_threshold set), logged
    as Django logs its queries."""
    connection.ensure_connection()
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return rows


def _piece_values(piece: Piece, weights: Weights) -> tuple:
    """A piece as the search reads it: its box; its path in tolerance units (x = BPM / tolerance, y = energy /
    tolerance) as a start, a direction and the direction over its squared length (0 for a point); its mood; the
    tempos below which double time, and above which half time, lies nearer its tempos [low, high] than the tempo
    itself (at equal distance the tempo itself: the engine's order of readings); k."""
    (t0, e0), (t1, e1) = piece.start, piece.end
    tol_t, tol_e = weights.tempo_tolerance_bpm, weights.energy_tolerance
    vx, vy = (t1 - t0) / tol_t, (e1 - e0) / tol_e
    length = vx * vx + vy * vy
    ux, uy = (vx / length, vy / length) if length else (0.0, 0.0)
    box = (min(t0, t1), max(t0, t1), min(e0, e1), max(e0, e1))
    mood = MOOD_TARGETS.get(piece.kind, (NEUTRAL, NEUTRAL))
    low, high = box[:2]
    below, above = min(low, (low + high) / 3), max(high, 2 * (low + high) / 3)
    values = (*box, t0 / tol_t, e0 / tol_e, vx, vy, ux, uy, *mood, below, above)
    return (*(float(value) for value in values), int(piece.tracks))


class _Piece:
    """How the search reads a piece's values: `value(name)`, and the index's energy steps its box spans."""

    def __init__(self, value: Callable[[str], str], cells: Callable[[float], str]):
        self.value = value
        self.cells = cells


def _lateral() -> _Piece:
    """PostgreSQL: the values are the lateral row p's columns."""

    def cells(margin: float) -> str:
        low = f"GREATEST(0, FLOOR((p.energy_low - {margin!r}) * {ENERGY_CELLS}))::int"
        high = f"LEAST({ENERGY_CELLS}, FLOOR((p.energy_high + {margin!r}) * {ENERGY_CELLS}))::int"
        return f"f.energy_cell = ANY(ARRAY(SELECT generate_series({low}, {high})))"

    return _Piece(lambda name: f"p.{name}", cells)


def _written_in(values: dict) -> Callable[[], _Piece]:
    """SQLite: the values written in (numbers of ours, never text from outside)."""

    def cells(margin: float) -> str:
        low = max(0, math.floor((values["energy_low"] - margin) * ENERGY_CELLS))
        high = min(ENERGY_CELLS, math.floor((values["energy_high"] + margin) * ENERGY_CELLS))
        return f"f.energy_cell IN ({', '.join(str(cell) for cell in range(low, high + 1))})"

    def value(name: str) -> str:
        return str(int(values[name])) if name == "k" else f"({_number(values[name])})"

    return lambda: _Piece(value, cells)


def _search(weights: Weights, prefs: Preferences, terms: _Terms, read: Callable[[], _Piece], choice: int) -> str:
    """One piece's search: the tiers in turn, each its three readings, until `choice` times the piece's share is
    found; the best of those by the estimate."""
    piece = read()
    p = piece.value
    table = AudioFeatures._meta.db_table
    tol_t, tol_e = weights.tempo_tolerance_bpm, weights.energy_tolerance
    least, greatest = terms.least, terms.greatest
    # The catalog's tracks (the search index holds no other) that are long enough: copies of the track's columns.
    # SQLite uses a partial index only for a query that repeats its condition as written ("in_catalog" = 1).
    catalog = "f.in_catalog" if terms.postgresql else "f.in_catalog = 1"
    allowed = f"{catalog} AND f.track_duration_ms >= {MIN_TRACK_S * 1000}"
    if not prefs.explicit_allowed:
        allowed += " AND NOT f.track_explicit"

    def box(tier: tuple[float, float], reading: float) -> str:
        bpm, energy = tier
        return (
            f"f.tempo BETWEEN ({p('low')} - {bpm!r}) / {reading!r} AND ({p('high')} + {bpm!r}) / {reading!r} "
            f"AND f.energy BETWEEN {p('energy_low')} - {energy!r} AND {p('energy_high')} + {energy!r}"
        )

    # The tempos read so: those this reading brings nearest the piece's (the engine's own reading, candidates.reading),
    # so a track in the wide boxes of several readings is handed back once, from the narrowest box that holds it.
    read_as = {
        1.0: f"f.tempo BETWEEN {p('below')} AND {p('above')}",
        2.0: f"f.tempo < {p('below')}",
        0.5: f"f.tempo > {p('above')}",
    }

    def reading_rows(tier: tuple[float, float], narrower: tuple[float, float] | None, reading: float) -> str:
        # The energy steps the box spans lead the index, so each is one short range of tempos.
        where = f"{piece.cells(tier[1])} AND {box(tier, reading)} AND {read_as[reading]} AND {allowed}"
        if narrower:
            where += f" AND NOT ({box(narrower, reading)})"
        # dx, dy: the track's offset from the piece's start in tolerance units; u: how far along the piece it lies
        # (0 to 1); ox, oy: its offset from the nearest point of the piece, which tempo and energy fit are read from.
        dx = f"(f.tempo * {reading / tol_t!r} - {p('x0')})"
        dy = f"(f.energy * {1 / tol_e!r} - {p('y0')})"
        u = f"{greatest}(0.0, {least}(1.0, {dx} * {p('ux')} + {dy} * {p('uy')}))"
        columns = ", ".join(f"f.{column}" for column in COLUMNS)
        along = f"SELECT {columns}, {dx} AS dx, {dy} AS dy, {u} AS u FROM {table} f WHERE {where}"
        return f"SELECT a.*, dx - u * {p('vx')} AS ox, dy - u * {p('vy')} AS oy FROM ({along}) AS a"

    tiers = []
    for i, tier in enumerate(TIERS):
        readings = " UNION ALL ".join(reading_rows(tier, TIERS[i - 1] if i else None, r) for r in READINGS)
        # A fine tier is read as the index gives it (all its tracks fit about equally); a wide one, which only a
        # sparse stretch of the catalog reaches, nearest first, so the tracks taken from its ring are the closest.
        nearest = f" ORDER BY abs(ox) + abs(oy) LIMIT {p('k')} * {choice}" if tier > WINDOWS[0] else ""
        tiers.append(f"SELECT * FROM (SELECT * FROM ({readings}) AS r{nearest}) AS t{i}")
    # The tiers in turn: PostgreSQL and SQLite stop reading them once the LIMIT is reached.
    enough = f"SELECT * FROM ({' UNION ALL '.join(tiers)}) AS tiers LIMIT {p('k')} * {choice}"
    valence = f"(COALESCE(valence, {NEUTRAL!r}) - {p('valence')})"
    dance = f"(COALESCE(danceability, {NEUTRAL!r}) - {p('dance')})"
    mood = f"{weights.mood!r} * EXP(-0.5 * ({valence} * {valence} + {dance} * {dance}) / {MOOD_WIDTH**2!r})"
    # A fit far off is 0 to the engine; PostgreSQL refuses EXP of a number so low that the answer underflows.
    fit = (
        f"{weights.tempo!r} * EXP({greatest}(-50.0, -0.5 * ox * ox)) + "
        f"{weights.energy!r} * EXP({greatest}(-50.0, -0.5 * oy * oy))"
    )
    estimate = " + ".join([fit, mood, *terms.sql])
    return f"SELECT {', '.join(COLUMNS)} FROM ({enough}) AS e ORDER BY {estimate} DESC LIMIT {p('k')}"


class _Terms:
    """The parts of the estimate that are the person's (a seed genre, their taste over a track's own columns), as
    SQL terms whose numbers are parameters (`params`, in the order the terms use them): the same text for everyone.
    PostgreSQL looks a number up in an array parameter, SQLite in a JSON list."""

    def __init__(self, vendor: str, weights: Weights, prefs: Preferences, taste: Taste | None):
        self.postgresql = vendor == "postgresql"
        self.least, self.greatest = ("LEAST", "GREATEST") if self.postgresql else ("MIN", "MAX")
        self.sql: list[str] = []
        self.params: list = []
        scale = TASTE_SCALE * weights.taste
        seeds = {fold(genre) for genre in prefs.seed_genres}
        genres = {}
        for genre in Track.objects.genres():
            folded = fold(genre)
            value = weights.seed_genre * (folded in seeds) if folded else 0.0
            if taste is not None and folded:
                value += scale * GROUP_VALUE["genre"] * taste.weight(f"genre:{folded}")
            genres[genre] = value
        if any(genres.values()):
            self._genre(genres)
        if taste is None:
            return
        decades = [scale * GROUP_VALUE["decade"] * taste.weight(f"decade:{decade}") for decade in DECADES]
        decade = f"CASE WHEN track_release_year >= {DECADES[0]} THEN (track_release_year - {DECADES[0]}) / 10 END"
        self._lookup(decades, decade)
        for name, edges in BINS.items():
            if name == "duration":
                # Not length: the engine weighs it too, and chosen twice the lengths left would end sections badly.
                continue
            steps = " ".join(f"WHEN {name} < {edge!r} THEN {i}" for i, edge in enumerate(edges))
            values = [scale * GROUP_VALUE["bin"] * taste.weight(f"{name}:{b}") for b in range(len(edges) + 1)]
            self._lookup(values, f"CASE WHEN {name} IS NULL THEN NULL {steps} ELSE {len(edges)} END")
        self.sql.append("CASE WHEN track_explicit THEN %s ELSE 0 END")
        self.params.append(scale * GROUP_VALUE["explicit"] * taste.weight("explicit"))

    def _lookup(self, values: list[float], index: str) -> None:
        """The value at a 0-based index computed per track (NULL: none, 0)."""
        if self.postgresql:
            self.sql.append(f"COALESCE((%s::float8[])[({index}) + 1], 0)")
            self.params.append([float(value) for value in values])
        else:
            self.sql.append(f"COALESCE(json_extract(%s, '$[' || ({index}) || ']'), 0)")
            self.params.append(json.dumps([float(value) for value in values]))

    def _genre(self, genres: dict[str, float]) -> None:
        if self.postgresql:
            self.sql.append("COALESCE((%s::float8[])[array_position(%s::text[], track_genre)], 0)")
            self.params += [list(genres.values()), list(genres)]
        else:
            self.sql.append("COALESCE((SELECT value FROM json_each(%s) WHERE key = track_genre), 0)")
            self.params.append(json.dumps(genres))


def _number(value: float) -> str:
    """A number of ours as an SQL literal (never text from outside)."""
    value = float(value)
    return repr(value) if math.isfinite(value) else "0.0"
