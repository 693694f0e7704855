"""Generate a session mix for a plan file, from a CSV catalog or the database catalog.

python manage.py generate_mix --plan plan.json --catalog spotify_songs.csv --json
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mixes.engine.catalog_csv import CatalogError, read_pool
from mixes.engine.generator import MixResult, generate
from mixes.engine.plan import MIX_TYPES, PlanError, PlanSpec
from mixes.engine.pool import Pool
from mixes.engine.scorer import Preferences, Weights


class Command(BaseCommand):
    help = "Generate a session mix for a plan (JSON) from a CSV catalog (TidyTuesday or Kaggle layout) or the database."
    # Plain engine work: it does not need the web layer (URLs, templates) checked first.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="Plan JSON: {name, phases: [{name, kind, duration_s, ...}]}")
        parser.add_argument("--catalog", help="Tracks CSV; without it, the database catalog is used.")
        parser.add_argument("--mix-type", choices=MIX_TYPES, default="full")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--seed-artist", action="append", default=[], metavar="NAME")
        parser.add_argument("--seed-genre", action="append", default=[], metavar="GENRE")
        parser.add_argument("--json", action="store_true", help="Print the mix as JSON.")

    def handle(self, *args, **options):
        try:
            plan = read_plan(options["plan"]).select(options["mix_type"])
        except PlanError as error:
            raise CommandError(str(error)) from None
        prefs = Preferences(
            seed_artists=frozenset(options["seed_artist"]), seed_genres=frozenset(options["seed_genre"])
        )
        pool = load_catalog(options["catalog"], plan, prefs)
        result = generate(pool, plan, prefs, seed=options["seed"])
        notes = list(result.notes)
        if pool.skipped_rows:
            notes.append(
                f"{pool.skipped_rows} catalog rows were skipped (missing or invalid title, artist, id or values)."
            )
        if options["json"]:
            self.stdout.write(json.dumps(as_json(result, pool, notes), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(as_table(result, pool, notes))


def read_plan(path: str) -> PlanSpec:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"No plan file at {path}.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read the plan file {path}: {error}.") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"The plan file {path} is not valid JSON: {error}.") from None
    try:
        return PlanSpec.from_dict(data)
    except PlanError as error:
        raise CommandError(f"The plan file {path} is not a usable plan: {error}") from None


def load_catalog(path: str | None, plan: PlanSpec, prefs: Preferences) -> Pool:
    if path is None:
        # The database catalog, as Generate reads it for the plan (no user: no listening history).
        from mixes.pools import plan_pool
        from music.models import Artist

        spelled = [
            Artist.objects.filter(name__iexact=name).values_list("name", flat=True).first()
            for name in prefs.seed_artists
        ]
        return plan_pool(
            None, plan, replace(prefs, seed_artists=frozenset(filter(None, spelled)) | prefs.seed_artists), Weights()
        )
    try:
        return read_pool(path)
    except CatalogError as error:
        raise CommandError(str(error)) from None


def _track(pool: Pool, pick) -> dict:
    artists = pool.artists(pick.index)
    return {
        "track_id": pick.key,
        "title": pool.titles[pick.index],
        "artist": ", ".join(artists),
        "duration_ms": int(round(pick.duration_s * 1000)),
        "tempo": pick.tempo,
        "energy": pick.energy,
        "why": pick.why,
    }


def as_json(result: MixResult, pool: Pool, notes: list[str]) -> dict:
    return {
        "plan": result.plan.name,
        "generation_ms": round(result.generation_ms, 2),
        "phases": [
            {
                "name": section.section.name,
                "kind": section.section.kind,
                "duration_s": section.section.duration_s,
                "tracks": [_track(pool, pick) for pick in section.picks],
            }
            for section in result.sections
        ],
        "notes": notes,
    }


def as_table(result: MixResult, pool: Pool, notes: list[str]) -> str:
    lines = [f"{result.plan.name} — {len(result.picks)} tracks, generated in {result.generation_ms:.0f} ms"]
    for section in result.sections:
        total = sum(p.duration_s for p in section.picks)
        lines.append("")
        lines.append(f"{section.section.name} ({_clock(total)} of {_clock(section.section.duration_s)})")
        for pick in section.picks:
            track = _track(pool, pick)
            tempo = f"{pick.tempo * pick.tempo_factor:5.0f}" if pick.tempo is not None else "    ?"
            title = f"{track['title']} — {track['artist']}"
            lines.append(
                f"  {_clock(pick.start_s)}  {_clock(pick.duration_s)}  {tempo} BPM  {title[:60]:<60}  {pick.why}"
            )
    for note in notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
