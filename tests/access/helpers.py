"""Independent helpers for the guard's tests: they read interchange files without casevault code."""

from __future__ import annotations

import csv
from pathlib import Path


def read_rows(folder: Path, table: str) -> list[dict[str, str]]:
    """One interchange file's rows, read with the csv module only."""
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
