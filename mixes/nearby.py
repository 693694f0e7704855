"""The catalog tracks that can matter to a plan, found by the database: what Generate reads instead of the catalog.

Each section's target paths are cut into short pieces (mixes.engine.candidates.pieces: a steady phase is one point,
a ramp a string of pieces). For each piece the database ranks the tracks whose tempo, in any of its three readings
(itself, double, half), and energy fall in a box around the piece, the way the engine's own prefilter estimates a
score: the tempo and energy fit to the piece, the mood fit for the phase kind, a seed genre, and the person's taste
as far as a track's own columns tell it (genre, decade, audio-feature bins, length, explicit; the artists' part is
left to the engine, and the person's own tracks come in anyway). It hands back the best CHOICE-th of the tracks in
the narrowest of TIERS that holds CHOICE times the piece's share, so a big catalog is searched in a small box and
a small one in a wide box: the work is that of the tracks handed back, never of the catalog.

One statement for a whole plan. PostgreSQL takes the pieces as VALUES joined LATERAL to the search (planned once,
each box an index range scan); SQLite, which has no LATERAL join, runs the search once per piece.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.db import connections, router
from django.db.models.expressions import RawSQL

from mixes.engine.candidates import MIN_TRACK_S, WINDOWS, Piece
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
# A piece's tracks are the best of this many times as many, so that taste and mood choose, not distance alone.
CHOICE = 2
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
    "k",
)


def near(
    pieces: list[Piece],
    weights: Weights,
    prefs: Preferences,
    taste: Taste | None = None,
    using: str | None = None,
) -> RawSQL:
    """The ids of the tracks that can matter near each piece, as a subquery (a track may come once per piece)."""
    using = using or router.db_for_read(AudioFeatures)
    rows = [_piece_values(piece, weights) for piece in pieces]
    if not rows:
        return RawSQL(f"SELECT track_id FROM {AudioFeatures._meta.db_table} WHERE 1 = 0", ())
    genres = _genre_values(weights, prefs, taste)
    if connections[using].vendor == "postgresql":
        row = "(" + ", ".join(["%s::float8"] * (len(PIECE_COLUMNS) - 1) + ["%s::int"]) + ")"
        search, params = _search(weights, prefs, taste, genres, "postgresql", lambda name: f"p.{name}", _cells_sql)
        sql = (
            f"SELECT n.track_id FROM (VALUES {', '.join([row] * len(rows))}) AS p({', '.join(PIECE_COLUMNS)}) "
            f"CROSS JOIN LATERAL ({search}) AS n"
        )
        return RawSQL(sql, [*(value for row in rows for value in row), *params])
    # SQLite has no LATERAL join: the search once per piece, with the piece's numbers (ours, never text) written in.
    parts, params = [], []
    for row in rows:
        values = dict(zip(PIECE_COLUMNS, row, strict=True))
        search, search_params = _search(
            weights,
            prefs,
            taste,
            genres,
            "sqlite",
            lambda name, values=values: _number(values[name]),
            lambda margin, values=values: _cells_listed(values["energy_low"], values["energy_high"], margin),
        )
        parts.append(f"SELECT * FROM ({search})")
        params += search_params
    return RawSQL(" UNION ALL ".join(parts), params)


def _piece_values(piece: Piece, weights: Weights) -> tuple:
    """A piece as the search reads it: its box; its path in tolerance units (x = BPM / tolerance, y = energy /
    tolerance) as a start, a direction and the direction over its squared length (0 for a point); its mood."""
    (t0, e0), (t1, e1) = piece.start, piece.end
    tol_t, tol_e = weights.tempo_tolerance_bpm, weights.energy_tolerance
    vx, vy = (t1 - t0) / tol_t, (e1 - e0) / tol_e
    length = vx * vx + vy * vy
    ux, uy = (vx / length, vy / length) if length else (0.0, 0.0)
    box = (min(t0, t1), max(t0, t1), min(e0, e1), max(e0, e1))
    mood = MOOD_TARGETS.get(piece.kind, (NEUTRAL, NEUTRAL))
    values = (*box, t0 / tol_t, e0 / tol_e, vx, vy, ux, uy, *mood)
    return (*(float(value) for value in values), int(piece.tracks))


def _genre_values(weights: Weights, prefs: Preferences, taste: Taste | None) -> list[tuple[str, float]]:
    """What each of the catalog's genres (as stored) adds to a track's estimate: a seed genre, and taste."""
    seeds = {fold(genre) for genre in prefs.seed_genres}
    values = []
    for genre in Track.objects.genres():
        folded = fold(genre)
        value = weights.seed_genre * (folded in seeds) if folded else 0.0
        if taste is not None and folded:
            value += _TASTE_SCALE * weights.taste * GROUP_VALUE["genre"] * taste.weight(f"genre:{folded}")
        if value:
            values.append((genre, value))
    return values


def _search(
    weights: Weights,
    prefs: Preferences,
    taste: Taste | None,
    genres: list[tuple[str, float]],
    vendor: str,
    piece: Callable[[str], str],
    cells: Callable[[float], str],
) -> tuple[str, list]:
    """One piece's search and its parameters, `piece(name)` giving the SQL of each of the piece's values: the tiers
    in turn, each its three readings nearest first, until CHOICE times the piece's share is found; the best of
    those by the estimate."""
    table = AudioFeatures._meta.db_table
    tol_t, tol_e = weights.tempo_tolerance_bpm, weights.energy_tolerance
    least, greatest = ("LEAST", "GREATEST") if vendor == "postgresql" else ("MIN", "MAX")
    # The catalog's tracks (the search index holds no other) that are long enough: copies of the track's columns.
    allowed = f"f.in_catalog AND f.track_duration_ms >= {MIN_TRACK_S * 1000}"
    if not prefs.explicit_allowed:
        allowed += " AND NOT f.track_explicit"
    columns = (
        "valence, danceability, energy, acousticness, instrumentalness, speechiness, loudness, "
        "track_genre AS genre, track_release_year AS release_year, track_duration_ms AS duration_ms, "
        "track_explicit AS explicit"
    )

    def box(tier: tuple[float, float], reading: float) -> str:
        bpm, energy = tier
        return (
            f"f.tempo BETWEEN ({piece('low')} - {bpm!r}) / {reading!r} AND ({piece('high')} + {bpm!r}) / {reading!r} "
            f"AND f.energy BETWEEN {piece('energy_low')} - {energy!r} AND {piece('energy_high')} + {energy!r}"
        )

    def reading_rows(tier: tuple[float, float], narrower: tuple[float, float] | None, reading: float) -> str:
        # The energy steps the box spans lead the index, so each is one short range of tempos.
        where = f"{cells(tier[1])} AND {box(tier, reading)}"
        if narrower:
            where += f" AND NOT ({box(narrower, reading)})"
        # dx, dy: the track's offset from the piece's start in tolerance units; u: how far along the piece it lies
        # (0 to 1); ox, oy: its offset from the nearest point of the piece, which tempo and energy fit are read from.
        dx = f"(f.tempo * {reading / tol_t!r} - {piece('x0')})"
        dy = f"(f.energy * {1 / tol_e!r} - {piece('y0')})"
        u = f"{greatest}(0.0, {least}(1.0, {dx} * {piece('ux')} + {dy} * {piece('uy')}))"
        along = (
            f"SELECT f.track_id, {dx} AS dx, {dy} AS dy, {u} AS u, {columns} FROM {table} f WHERE {where} AND {allowed}"
        )
        return f"SELECT a.*, dx - u * {piece('vx')} AS ox, dy - u * {piece('vy')} AS oy FROM ({along}) AS a"

    tiers = []
    for i, tier in enumerate(TIERS):
        readings = " UNION ALL ".join(reading_rows(tier, TIERS[i - 1] if i else None, r) for r in READINGS)
        tiers.append(
            f"SELECT * FROM (SELECT * FROM ({readings}) AS r ORDER BY abs(ox) + abs(oy) LIMIT {piece('k')} * {CHOICE})"
            f" AS t{i}"
        )
    enough = f"SELECT * FROM ({' UNION ALL '.join(tiers)}) AS tiers LIMIT {piece('k')} * {CHOICE}"
    estimate, params = _estimate(weights, taste, genres, piece, greatest)
    return f"SELECT track_id FROM ({enough}) AS e ORDER BY {estimate} DESC LIMIT {piece('k')}", params


def _estimate(
    weights: Weights, taste: Taste | None, genres: list[tuple[str, float]], piece, greatest: str
) -> tuple[str, list]:
    """The engine's estimate of a track's score near the piece (mixes.engine.candidates), as far as the search's
    columns tell it: tempo and energy fit, mood, seed genre and taste (not the artists)."""
    # A fit far off is 0 to the engine; PostgreSQL refuses EXP of a number so low that the answer underflows.
    fit = (
        f"{weights.tempo!r} * EXP({greatest}(-50.0, -0.5 * ox * ox)) + "
        f"{weights.energy!r} * EXP({greatest}(-50.0, -0.5 * oy * oy))"
    )
    valence = f"(COALESCE(valence, {NEUTRAL!r}) - {piece('valence')})"
    dance = f"(COALESCE(danceability, {NEUTRAL!r}) - {piece('dance')})"
    mood = f"{weights.mood!r} * EXP(-0.5 * ({valence} * {valence} + {dance} * {dance}) / {MOOD_WIDTH**2!r})"
    parts = [fit, mood]
    params: list = []
    if genres:
        parts.append(f"CASE genre {' '.join(['WHEN %s THEN %s'] * len(genres))} ELSE 0 END")
        params = [value for pair in genres for value in pair]
    if taste is not None:
        parts += _taste_parts(weights, taste)
    return " + ".join(parts), params


# The taste part of a score is w·tanh(score / 2): about w·score / 2 where scores separate tracks.
_TASTE_SCALE = 0.5


def _taste_parts(weights: Weights, taste: Taste) -> list[str]:
    """The person's taste over a track's own columns (decade, feature bins, length, explicit), as SQL terms."""
    scale = _TASTE_SCALE * weights.taste
    parts = []
    decades = [(decade, taste.weight(f"decade:{decade}")) for decade in DECADES]
    if any(value for _, value in decades):
        cases = " ".join(
            f"WHEN release_year < {decade + 10} THEN {_number(scale * GROUP_VALUE['decade'] * value)}"
            for decade, value in decades
        )
        parts.append(f"CASE WHEN release_year IS NULL OR release_year < {DECADES[0]} THEN 0 {cases} ELSE 0 END")
    for name, edges in BINS.items():
        values = [taste.weight(f"{name}:{b}") for b in range(len(edges) + 1)]
        if not any(values):
            continue
        column = "duration_ms / 1000.0" if name == "duration" else name
        cases = " ".join(
            f"WHEN {column} < {edge!r} THEN {_number(scale * GROUP_VALUE['bin'] * value)}"
            for edge, value in zip(edges, values, strict=False)
        )
        last = _number(scale * GROUP_VALUE["bin"] * values[-1])
        parts.append(f"CASE WHEN {column} IS NULL THEN 0 {cases} ELSE {last} END")
    if explicit := taste.weight("explicit"):
        parts.append(f"CASE WHEN explicit THEN {_number(scale * GROUP_VALUE['explicit'] * explicit)} ELSE 0 END")
    return parts


def _cells_sql(margin: float) -> str:
    """The search index's energy steps a piece's box spans, in SQL over the piece's values (PostgreSQL)."""
    low, high = (
        f"GREATEST(0, FLOOR((p.energy_{end} {sign} {margin!r}) * {ENERGY_CELLS}))::int"
        for end, sign in (("low", "-"), ("high", "+"))
    )
    return f"f.energy_cell = ANY(ARRAY(SELECT generate_series({low}, LEAST({high}, {ENERGY_CELLS}))))"


def _cells_listed(energy_low: float, energy_high: float, margin: float) -> str:
    """The same, listed (SQLite, one search per piece)."""
    low = max(0, math.floor((energy_low - margin) * ENERGY_CELLS))
    high = min(ENERGY_CELLS, math.floor((energy_high + margin) * ENERGY_CELLS))
    return f"f.energy_cell IN ({', '.join(str(cell) for cell in range(low, high + 1))})"


def _number(value: float) -> str:
    """A number of ours as an SQL literal (never text from outside)."""
    value = float(value)
    return repr(value) if math.isfinite(value) else "0.0"
