"""Re-identification risk of a table without direct identifiers (issue 6, item 5).

A table with no name and no A-number can still single people out: one row per
case with birth date, sex, nationality, city and detention date is, for most
rows, one person. The measure is k-anonymity over the quasi-identifier columns
present (the size of the smallest group of rows that share all of them) and
the share of rows that are unique on them. The scanner blocks a table when k is
below the configured threshold (default 5).

Counting is one pass over the rows with a dictionary of value combinations;
memory is bounded by ``max_classes`` (beyond it the table is reported as
``truncated`` and k as 1: that many distinct combinations means people are
distinguishable). Blank values count as a value of their own ("unknown"),
which is how an attacker would treat them too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

DEFAULT_K: Final = 5
MAX_CLASSES: Final = 2_000_000


@dataclass(frozen=True, slots=True)
class RiskReport:
    """How identifiable the rows of one table are on its quasi-identifiers."""

    columns: tuple[str, ...]
    rows: int
    classes: int
    k: int
    """Rows in the smallest equivalence class (0 for an empty table)."""
    unique_rows: int
    truncated: bool = False

    @property
    def unique_share(self) -> float:
        return self.unique_rows / self.rows if self.rows else 0.0

    def blocks(self, threshold: int = DEFAULT_K) -> bool:
        """Whether the table should be stopped: some group smaller than ``threshold``."""
        return self.rows > 0 and bool(self.columns) and self.k < threshold


class RiskCounter:
    """Counts equivalence classes over chosen columns, row by row (streaming)."""

    def __init__(self, headers: Sequence[str], columns: Sequence[int], *,
                 max_classes: int = MAX_CLASSES) -> None:
        self._names = tuple(headers[i] for i in columns)
        self._columns = tuple(columns)
        self._max_classes = max_classes
        self._counts: dict[tuple[str, ...], int] = {}
        self._rows = 0
        self._truncated = False

    def add(self, row: Sequence[str]) -> None:
        self._rows += 1
        if self._truncated:
            return
        key = tuple(row[i].strip().casefold() if i < len(row) else "" for i in self._columns)
        count = self._counts.get(key)
        if count is None and len(self._counts) >= self._max_classes:
            self._truncated = True
            self._counts.clear()
            return
        self._counts[key] = (count or 0) + 1

    def add_all(self, rows: Iterable[Sequence[str]]) -> None:
        for row in rows:
            self.add(row)

    def report(self) -> RiskReport:
        if self._truncated:
            return RiskReport(self._names, self._rows, self._max_classes, 1, self._rows,
                              truncated=True)
        counts = self._counts.values()
        return RiskReport(
            columns=self._names, rows=self._rows, classes=len(self._counts),
            k=min(counts, default=0), unique_rows=sum(1 for c in counts if c == 1))


def assess(headers: Sequence[str], rows: Iterable[Sequence[str]],
           columns: Sequence[int]) -> RiskReport:
    """The risk report of ``rows`` over ``columns`` (indexes into ``headers``)."""
    counter = RiskCounter(headers, columns)
    counter.add_all(rows)
    return counter.report()


__all__ = ["DEFAULT_K", "MAX_CLASSES", "RiskCounter", "RiskReport", "assess"]
