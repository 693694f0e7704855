"""A catalog of any size from the real one: the TidyTuesday Spotify songs resampled into a CSV file to import.

Every distinct track of the dataset is one base; track n of the output is base n mod B (the bases in a shuffled,
seeded order) in its copy n div B. A copy is a track of its own, a song of its own ("Take 3: …" in front of the
title, which the same-song rule keeps apart; brackets and " - " editions it would fold together) with a Spotify-like
id of its own, and the features, artists, genre and length of its base: the catalog grows denser, never different.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ID_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def resample(dataset: Path, size: int, out: Path, seed: int = 0) -> int:
    """Write `size` tracks in the dataset's layout to `out`; how many distinct tracks the dataset has."""
    with dataset.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        header = list(reader.fieldnames or [])
        first: dict[str, dict] = {}  # the dataset repeats a track once per playlist: its first row, as imports do
        for row in reader:
            first.setdefault(row["track_id"], row)
    bases = list(first.values())
    random.Random(seed).shuffle(bases)
    with out.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, header)
        writer.writeheader()
        for n in range(size):
            row, copy = dict(bases[n % len(bases)]), n // len(bases)
            if copy:
                row["track_id"] = (row["track_id"] + _digits(copy))[:32]
                row["track_name"] = f"Take {copy}: {row['track_name']}"
            writer.writerow(row)
    return len(bases)


def _digits(number: int) -> str:
    text = ""
    while number:
        number, digit = divmod(number, len(ID_DIGITS))
        text = ID_DIGITS[digit] + text
    return text
