"""Dates of birth: a date is one only beside a birth word or under a birth-date header.

Every document is full of dates (hearings, filings, bookings); what makes one a
date of birth is "DOB", "born", "date of birth", "fecha de nacimiento" next to
it, or a ``DOB`` column. A birth date is also plausible: not in the future and
no more than 120 years ago. "Today" is a parameter (STYLE.md: time is a
parameter), as is whether the source writes numeric dates day-first.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Final

from casevault.shield.detectors._base import ContextWords, Prepared, Recogniser, cell_span
from casevault.shield.detectors._dates import FoundDate, compact_date, dates_in
from casevault.shield.detectors.headers import ColumnRole
from casevault.shield.model import Kind, Match

CONTEXT: Final = ContextWords(
    r"d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth(?:\s*date|day)?|born|"
    r"fecha\s+de\s+nac(?:imiento|\.)?|f\.?\s?nac\.?|nacimiento|nacid[oa]|"
    r"date\s+de\s+naissance|n[ée]e?\s+le",
    ("dob", "d.o.b", "d. o. b", "birth", "born", "nac", "naissance", "né"),
)
_SEARCH_BEFORE: Final = 24
_SEARCH_AFTER: Final = 64
MAX_AGE_YEARS: Final = 120


class DateOfBirthDetector(Recogniser):
    """Dates beside a birth context word or under a birth-date header, if plausible."""

    kind = Kind.DATE_OF_BIRTH
    min_digits = 4
    HEADER_CONFIDENCE: Final = 0.9
    CONTEXT_CONFIDENCE: Final = 0.85

    def __init__(self, *, today: date | None = None, day_first: bool | None = None) -> None:
        """``today`` fixes the clock (default: the UTC date at each call); ``day_first``
        reads ambiguous numeric dates as day/month (default: month/day, unless dotted)."""
        self._today = today
        self._day_first = day_first

    def scan(self, prepared: Prepared) -> list[Match]:
        if not prepared.has_digit:
            return []
        text = prepared.text
        if prepared.role is ColumnRole.DATE_OF_BIRTH:
            return self._cell(text)
        if CONTEXT.in_context(prepared.context):
            return self._matches(self._dates(text, 0, len(text)), self.CONTEXT_CONFIDENCE)
        return self._matches(self._beside_words(prepared), self.CONTEXT_CONFIDENCE)

    def _cell(self, text: str) -> list[Match]:
        start, end = cell_span(text)
        compact = compact_date(text[start:end])
        if compact is not None:
            found = [FoundDate(start, end, compact, 1.0)]
        else:
            found = self._dates(text, start, end)
        return self._matches(found, self.HEADER_CONFIDENCE)

    def _beside_words(self, prepared: Prepared) -> list[FoundDate]:
        """For each birth word, the first date after it, or the one just before it.

        Only the nearest date counts: in "DOB 3/12/1990, hearing 5/1/2019" the
        hearing is not a birth date.
        """
        text = prepared.text
        chosen: dict[int, FoundDate] = {}
        hits = CONTEXT.hits(prepared)
        for word_start, word_end in zip(hits.starts, hits.ends, strict=True):
            after = self._dates(text, word_end, min(len(text), word_end + _SEARCH_AFTER))
            before = [found for found in self._dates(text, max(0, word_start - _SEARCH_BEFORE),
                                                     word_start)
                      if _ADJACENT.fullmatch(text, found.end, word_start)]
            nearest = after[:1] or before[-1:]
            for found in nearest:
                chosen[found.start] = found
        return [chosen[start] for start in sorted(chosen)]

    def _dates(self, text: str, start: int, end: int) -> list[FoundDate]:
        """Plausible birth dates in ``text[start:end]``, in text order, none inside another."""
        today = self._today or datetime.now(UTC).date()
        found = [f for f in dates_in(text, start, end, today=today, day_first=self._day_first)
                 if _plausible(f.value, today)]
        return _longest(sorted(found, key=lambda f: (f.start, -f.end)))

    def _matches(self, found: list[FoundDate], confidence: float) -> list[Match]:
        return [Match(self.kind, f.start, f.end, round(confidence * f.certainty, 3),
                      f.value.isoformat()) for f in found]


_ADJACENT: Final = re.compile(r"[\s(\[,:;\-]*")
"""What may stand between a date and a birth word after it: ``3/12/1990 (DOB)``."""


def _plausible(value: date, today: date) -> bool:
    """Not in the future, and no more than 120 years ago."""
    return value <= today and value.year >= today.year - MAX_AGE_YEARS


def _longest(found: list[FoundDate]) -> list[FoundDate]:
    """Drop dates inside a longer one (``12 Mar 1990`` read also as ``Mar 1990``)."""
    kept: list[FoundDate] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept
