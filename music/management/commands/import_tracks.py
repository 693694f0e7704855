from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from music.importers import BATCH_SIZE, CatalogError, import_csv


class Command(BaseCommand):
    help = (
        "Import tracks with audio features from a TidyTuesday spotify_songs.csv or a Kaggle "
        '"Spotify Tracks" CSV. Safe to rerun: tracks are matched by Spotify id.'
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The CSV file.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Rows written per batch.")

    def handle(self, *args, path: Path, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = import_csv(path, batch_size=batch_size, progress=self.show_progress)
        except (OSError, UnicodeDecodeError, CatalogError) as error:
            raise CommandError(f"Cannot import {path}: {error}") from error
        finally:
            self.stderr.write("", style_func=str)  # end the progress line
        for line in report.summary():
            self.stdout.write(line)

    def show_progress(self, done: int, total: int | None) -> None:
        counted = f"{done:,} / {total:,}" if total is not None else f"{done:,}"
        # Plain text (stderr is styled as errors by default), rewritten in place.
        self.stderr.write(f"\r  {counted} rows", style_func=str, ending="")
        self.stderr.flush()
